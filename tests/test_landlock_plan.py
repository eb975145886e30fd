"""Landlock plans as data: what an older kernel reports, how reads are carved around denials."""

from __future__ import annotations

import os
import shutil
import pytest

from guard.testing import BackendContract
from guard_landlock import landlock as ll
from guard_landlock.backend import LandlockBackend
from guard_landlock.rules import effective, read_rules
from test_backend_contract_landlock import landlock_rules


class _Contexts(BackendContract):
    backend = LandlockBackend()


@pytest.mark.parametrize("abi, modes", [
    (1, {"network", "truncate", "signals"}),
    (3, {"network", "signals"}),
    (4, {"signals"}),
    (7, set()),
])
def test_older_kernels_report_what_they_cannot_enforce(monkeypatch, abi, modes):
    from dataclasses import replace

    from guard import paths
    from guard.testing import make_world

    world = make_world()
    try:
        for name, value in world.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(paths, "MANAGED_POLICY", world.base / "no-managed-policy.toml")
        monkeypatch.chdir(world.workspace)
        ctx = _Contexts().context(world)
        backend = LandlockBackend(abi=abi)
        reported = {item.split(":")[0] for item in backend.unenforced(ctx)}
        assert reported - {"protected-paths"} == modes
        spec, rules = landlock_rules(backend.plan(ctx))
        assert spec["fs"] == ll.handled_fs(abi) and spec["net"] == ll.handled_net(abi)
        assert all(rule.access & ~spec["fs"] == 0 for rule in rules)  # the kernel would reject them
        proxied = {i.split(":")[0] for i in backend.unenforced(replace(ctx, network="proxy"))}
        assert ("net-port-only" in proxied) == (abi >= 4)
    finally:
        shutil.rmtree(world.base, ignore_errors=True)


def test_reads_are_carved_around_a_denied_folder(tmp_path):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id").write_text("key")
    (home / "notes.txt").write_text("n")
    (home / "proj").mkdir()
    os.symlink(home / ".ssh" / "id", home / "link-to-key")
    rules = read_rules({home / ".ssh"}, root=tmp_path)
    granted = {r.path for r in rules if r.access & ll.READ_FILE}
    assert home / "notes.txt" in granted and home / "proj" in granted
    assert not any(p == home / ".ssh" or home / ".ssh" in p.parents for p in granted)
    assert home / "link-to-key" not in granted  # a symlink gets no rule: its target decides
    assert all(not r.follow for r in rules if r.access & ll.READ_FILE)
    assert effective(rules, home / ".ssh" / "id") & ll.READ_FILE == 0
    assert effective(rules, home / "proj" / "deep" / "file") & ll.READ_FILE


def test_a_denied_path_that_does_not_exist_yet_stays_unreadable_when_it_appears(tmp_path):
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "other").write_text("x")
    rules = read_rules({tmp_path / "cfg" / "gh"}, root=tmp_path)
    assert effective(rules, tmp_path / "cfg" / "other") & ll.READ_FILE
    assert effective(rules, tmp_path / "cfg" / "gh" / "hosts.yml") & ll.READ_FILE == 0
