"""The Seatbelt profile, read back as S-expressions and evaluated rule by rule.

It cannot run here (no macOS); instead a small SBPL reader below parses the generated profile
and answers "would this operation on this path be allowed?" the way Seatbelt does: the last
matching rule wins, ``(deny default)`` decides the rest. docs/seatbelt-on-macos.md runs the
same promises for real on a Mac.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from guard.testing import BackendContract, make_world
from guard_seatbelt import profile
from guard_seatbelt.backend import PORTBOOT, SeatbeltBackend


# -- a tiny SBPL reader ---------------------------------------------------------------------
class Symbol(str):
    pass


_TOKEN = re.compile(r'\s+|;[^\n]*|(#?"(?:[^"\\]|\\.)*")|([()])|([^\s()";]+)')


def parse(text: str) -> list:
    stack: list[list] = [[]]
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        assert m, f"unreadable profile at {pos}: {text[pos:pos + 40]!r}"
        pos = m.end()
        string, paren, atom = m.groups()
        if string:
            body = string[2:-1] if string.startswith("#") else string[1:-1]
            stack[-1].append(re.sub(r"\\(.)", r"\1", body))
        elif paren == "(":
            stack.append([])
        elif paren == ")":
            assert len(stack) > 1, "unbalanced ')'"
            done = stack.pop()
            stack[-1].append(done)
        elif atom:
            stack[-1].append(Symbol(atom))
    assert len(stack) == 1, "unbalanced '('"
    return stack[0]


class Profile:
    def __init__(self, text: str) -> None:
        self.forms = parse(text)
        self.rules = []
        for form in self.forms:
            if form[0] not in ("allow", "deny"):
                continue
            ops = [x for x in form[1:] if isinstance(x, Symbol)]
            mods = [x for x in form[1:] if isinstance(x, list) and x[0] == "with"]
            filters = [x for x in form[1:] if isinstance(x, list) and x[0] != "with"]
            message = next((m[2] for m in mods if m[1] == "message"), None)
            self.rules.append((form[0], ops, filters, message))

    @staticmethod
    def _op_matches(rule_op: str, op: str) -> bool:
        return rule_op == "default" or rule_op == op or (rule_op.endswith("*") and op.startswith(rule_op[:-1]))

    @classmethod
    def _filter_matches(cls, f: list, query: dict) -> bool:
        kind = f[0]
        if kind == "require-any":
            return any(cls._filter_matches(x, query) for x in f[1:])
        if kind == "require-all":
            return all(cls._filter_matches(x, query) for x in f[1:])
        if kind == "require-not":
            return not cls._filter_matches(f[1], query)
        path = query.get("path")
        if kind == "literal":
            return path == f[1]
        if kind == "subpath":
            return path is not None and (path == f[1] or path.startswith(f[1].rstrip("/") + "/"))
        if kind == "regex":
            return path is not None and re.search(f[1], path) is not None
        if kind == "remote":
            return query.get("remote") == (f[1], f[2])
        if kind == "global-name":
            return query.get("service") == f[1]
        return False  # a filter this query does not speak about

    def decide(self, op: str, **query) -> tuple[str, str | None]:
        decision = ("deny", None)
        for action, ops, filters, message in self.rules:
            if any(self._op_matches(o, op) for o in ops) and (
                    not filters or any(self._filter_matches(f, query) for f in filters)):
                decision = (action, message)
        return decision

    def allows(self, op: str, **query) -> bool:
        return self.decide(op, **query)[0] == "allow"


def profile_of(plan) -> Profile:
    return Profile(plan.argv[plan.argv.index("-p") + 1])


WRITE_OPS = ("file-write-data", "file-write-create", "file-write-unlink", "file-write-mode", "file-write-xattr")


# -- the tests --------------------------------------------------------------------------------
class _Helper(BackendContract):
    backend = SeatbeltBackend()


@pytest.fixture
def world(monkeypatch):
    import shutil

    from guard import paths

    world = make_world()
    for name, value in world.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(paths, "MANAGED_POLICY", world.base / "no-managed-policy.toml")
    monkeypatch.chdir(world.workspace)
    yield world
    shutil.rmtree(world.base, ignore_errors=True)


def plan_for(world, network="none", policy=None):
    if policy is not None:
        (world.workspace / "sandbox.toml").write_text("version = 1\n" + policy)
    ctx = _Helper().context(world, network)
    return ctx, SeatbeltBackend().plan(ctx)


def test_profile_is_deny_by_default_and_every_deny_carries_the_run_tag(world):
    _ctx, plan = plan_for(world)
    prof = profile_of(plan)
    assert prof.forms[0] == ["version", 1] or prof.forms[0] == ["version", Symbol("1")]
    first = prof.rules[0]
    assert first[0] == "deny" and first[1] == ["default"]
    tag = first[3]
    assert re.fullmatch(r"guard-run-[0-9a-f]{16}", tag)
    assert all(message == tag for action, _o, _f, message in prof.rules if action == "deny")
    assert not any("default" in ops for action, ops, _f, _m in prof.rules if action == "allow")
    assert tag in " ".join(plan.notes)
    assert profile_of(plan_for(world)[1]).rules[0][3] != tag  # a new tag per run


def test_protected_paths_and_everything_below_are_not_writable(world):
    ctx, plan = plan_for(world)
    prof = profile_of(plan)
    for item in ctx.protected:
        for path in (item.path, item.path / "child"):
            for op in WRITE_OPS:
                assert not prof.allows(op, path=str(path)), (op, path)
    assert prof.allows("file-write-data", path=str(world.workspace / "src" / "main.py"))


def test_no_folder_above_a_protected_path_can_be_renamed(world):
    ctx, plan = plan_for(world)
    prof = profile_of(plan)
    hooks = world.workspace / ".git" / "hooks"
    for folder in (hooks, hooks.parent, world.workspace):
        assert not prof.allows("file-write-unlink", path=str(folder)), folder
    assert prof.allows("file-write-unlink", path=str(world.workspace / "src"))  # ordinary folders move


def test_protected_names_that_do_not_exist_yet_cannot_be_created_at_any_depth(world):
    _ctx, plan = plan_for(world)
    prof = profile_of(plan)
    ws = world.workspace
    for path in (ws / ".idea" / "workspace.xml", ws / ".envrc", ws / "src" / "deep" / ".vscode" / "tasks.json",
                 ws / "src" / "sandbox.toml", ws / "src" / "clone" / ".git" / "hooks" / "post-checkout",
                 ws / "src" / "clone" / ".git" / "config", ws / "src" / "sub" / ".git"):
        assert not prof.allows("file-write-create", path=str(path)), path
    assert prof.allows("file-write-create", path=str(ws / "src" / "envrc.txt"))


def test_denied_reads_are_unreadable_and_allow_read_reopens_below_them(world):
    (world.home / ".aws").mkdir()
    (world.home / ".aws" / "config").write_text("[default]\n")
    folder = world.base / "config" / "guard"  # the user's layer: applied without trust
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text('version = 1\n[filesystem]\nallow_read = ["~/.aws/config"]\n')
    ctx, plan = plan_for(world)
    prof = profile_of(plan)
    assert not prof.allows("file-read-data", path=str(world.home / ".ssh" / "id_ed25519"))
    assert not prof.allows("file-read-data", path=str(world.home / ".ssh"))
    assert not prof.allows("file-read-data", path=str(world.home / ".aws" / "credentials"))
    assert ctx.allow_reads
    assert prof.allows("file-read-data", path=str(world.home / ".aws" / "config"))
    assert prof.allows("file-read-data", path="/usr/lib/libc.dylib")


def test_a_denied_file_inside_the_workspace_cannot_be_moved_or_linked_to_be_read(world):
    (world.workspace / ".env").write_text("S=1\n")
    _ctx, plan = plan_for(world, policy='[filesystem]\ndeny_read = [".env"]\n')
    prof = profile_of(plan)
    env = str(world.workspace / ".env")
    assert not prof.allows("file-read-data", path=env)
    assert not prof.allows("file-write-unlink", path=env)  # rename away, then read elsewhere
    assert not prof.allows("file-write-data", path=env)


def test_writes_reach_only_the_workspace_the_runs_tmpdir_and_devices(world):
    _ctx, plan = plan_for(world)
    prof = profile_of(plan)
    tmpdir = plan.env["TMPDIR"]
    assert (Path(tmpdir), "dir") in plan.placeholders
    assert prof.allows("file-write-create", path=tmpdir + "/x")
    assert prof.allows("file-write-data", path="/dev/null")
    for path in (str(world.outside / "target.txt"), str(world.home / ".zshrc"), "/private/tmp/other",
                 "/tmp/other", "/usr/local/bin/git", "/dev/disk0"):
        assert not prof.allows("file-write-data", path=path), path
        assert not prof.allows("file-write-create", path=path), path


def test_network_is_closed_without_allowed_domains(world):
    _ctx, plan = plan_for(world, "none")
    prof = profile_of(plan)
    assert not any(op.startswith("network") for a, ops, _f, _m in prof.rules if a == "allow" for op in ops)


def test_network_reaches_only_the_proxys_loopback_port_and_no_unix_socket(world):
    _ctx, plan = plan_for(world, "proxy")
    prof = profile_of(plan)
    allows = [(ops, filters) for a, ops, filters, _m in prof.rules if a == "allow"
              and any(o.startswith("network") for o in ops)]
    assert allows == [(["network-outbound"], [["remote", "ip", f"localhost:{profile.PORT_PLACEHOLDER}"]])]
    assert not prof.allows("network-outbound", remote=("ip", "*:443"))
    assert not prof.allows("network-outbound", remote=("unix-socket", "/private/var/run/docker.sock"))
    assert not prof.allows("network-bind", remote=("ip", "localhost:8080"))
    assert plan.env["HTTP_PROXY"] == f"http://127.0.0.1:{profile.PORT_PLACEHOLDER}"


def test_the_keychain_is_not_reachable(world):
    prof = profile_of(plan_for(world)[1])
    for service in ("com.apple.SecurityServer", "com.apple.securityd", "com.apple.securityd.xpc"):
        assert not prof.allows("mach-lookup", service=service)
    assert prof.allows("mach-lookup", service="com.apple.system.opendirectoryd.libinfo")


def test_a_crafted_folder_name_cannot_add_rules(monkeypatch):
    import shutil

    from guard import paths

    world = make_world()
    evil = world.base / 'ws") (allow default) (allow file-write* (subpath "'
    world.workspace.rename(evil)
    world = replace(world, workspace=evil)
    try:
        for name, value in world.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(paths, "MANAGED_POLICY", world.base / "none.toml")
        monkeypatch.chdir(evil)
        prof = profile_of(plan_for(world)[1])
        assert not any("default" in ops for a, ops, _f, _m in prof.rules if a == "allow")
        assert prof.allows("file-write-data", path=str(evil / "src" / "main.py"))
        assert not prof.allows("file-write-data", path="/etc/passwd")
    finally:
        shutil.rmtree(world.base, ignore_errors=True)


def test_the_port_step_hands_over_a_listener_and_writes_its_port_in(tmp_path):
    """The pre-sandbox step, run for real here (with env in place of sandbox-exec)."""
    channel, inside = socket.socketpair()
    argv = [sys.executable, "-I", "-S", "-c", PORTBOOT, str(inside.fileno()), "/usr/bin/env"]
    env = {"HTTP_PROXY": f"http://127.0.0.1:{profile.PORT_PLACEHOLDER}"}
    proc = subprocess.Popen(argv, pass_fds=(inside.fileno(),), env=env, stdout=subprocess.PIPE, text=True)
    inside.close()
    _msg, fds, _f, _a = socket.recv_fds(channel, 1, 1)
    listener = socket.socket(fileno=fds[0])
    port = listener.getsockname()[1]
    channel.sendall(b"G")
    out, _ = proc.communicate(timeout=30)
    assert listener.getsockname()[0] == "127.0.0.1"
    assert f"HTTP_PROXY=http://127.0.0.1:{port}" in out
    listener.close()


def test_viable_only_on_macos():
    assert SeatbeltBackend().viability().ok == (sys.platform == "darwin" and os.access("/usr/bin/sandbox-exec", os.X_OK))
