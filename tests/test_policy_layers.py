"""Layers merge as SPEC section 2 says; an untrusted repository file only tightens."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard import paths
from guard.policy import load_policy
from guard.policy.trust import TrustStore


@pytest.fixture
def env(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    managed = tmp_path / "managed.toml"
    monkeypatch.setattr(paths, "MANAGED_POLICY", managed)
    repo = tmp_path / "repo"
    repo.mkdir()
    return {"repo": repo, "managed": managed, "user": tmp_path / "config" / "guard" / "config.toml"}


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


REPO = """version = 1
[network]
allow = ["evil.example", "pypi.org"]
deny = ["gist.github.com"]
[filesystem]
allow_write = ["/"]
deny_read = [".env"]
[git]
allow_force_push = true
"""


def test_untrusted_repo_policy_keeps_only_tightening_entries(env):
    write(env["repo"] / "sandbox.toml", REPO)
    policy = load_policy(env["repo"])
    assert not policy.repo_trusted
    assert [r.value for r in policy.net_deny] == ["gist.github.com"]
    assert [r.value for r in policy.deny_read] == [".env"]
    assert policy.net_allow == () and policy.allow_write == ()
    assert policy.allow_force_push.value is False
    withheld = {(w.key, w.value) for w in policy.withheld}
    assert ("network.allow", "evil.example") in withheld
    assert ("filesystem.allow_write", "/") in withheld
    assert ("git.allow_force_push", True) in withheld
    assert all(w.origin.line > 0 for w in policy.withheld)


def test_trust_applies_exact_content_and_a_change_revokes_it(env):
    file = env["repo"] / "sandbox.toml"
    write(file, REPO)
    TrustStore().trust(file.resolve(), file.read_bytes())
    policy = load_policy(env["repo"])
    assert policy.repo_trusted and "evil.example" in [r.value for r in policy.net_allow]
    write(file, REPO + "# a harmless-looking comment\n")
    policy = load_policy(env["repo"])
    assert not policy.repo_trusted and policy.net_allow == ()


def test_denies_add_up_and_false_in_any_layer_wins(env):
    write(env["managed"], 'version = 1\n[network]\ndeny = ["pastebin.com"]\n[git]\nallow_force_push = false\n')
    write(env["user"], 'version = 1\n[network]\ndeny = ["evil.example"]\n')
    file = env["repo"] / "sandbox.toml"
    write(file, REPO)
    TrustStore().trust(file.resolve(), file.read_bytes())
    policy = load_policy(env["repo"])
    assert {r.value for r in policy.net_deny} == {"pastebin.com", "evil.example", "gist.github.com"}
    assert policy.allow_force_push.value is False
    assert policy.allow_force_push.origin.layer == "managed"
    assert [r.origin.layer for r in policy.net_deny][:2] == ["managed", "user"]


def test_managed_backend_choice_is_final(env):
    write(env["managed"], 'version = 1\n[backend]\nlinux = "bwrap"\n')
    file = env["repo"] / "sandbox.toml"
    write(file, 'version = 1\n[backend]\nlinux = "landlock"\n')
    TrustStore().trust(file.resolve(), file.read_bytes())
    assert load_policy(env["repo"]).backend_for("linux").value == "bwrap"


def test_invalid_user_layer_is_refused_too(env):
    from guard.errors import PolicyError

    write(env["user"], "version = 1\n[network]\nallow = 'x'\n")
    with pytest.raises(PolicyError) as info:
        load_policy(env["repo"])
    assert info.value.file.endswith("config.toml") and info.value.line == 3


def test_untrust_drops_approval(env, monkeypatch):
    file = env["repo"] / "sandbox.toml"
    write(file, REPO)
    store = TrustStore()
    store.trust(file.resolve(), file.read_bytes())
    assert store.untrust(file.resolve())
    assert not load_policy(env["repo"]).repo_trusted
