"""The backend contract: SPEC section 5's promises as tests every sandbox backend passes.

A backend's test module subclasses ``BackendContract`` (as keyring's backends subclass
``keyring.testing.backend.BackendBasicTests``), sets ``backend``, and answers four questions
about its own plans, because only the backend knows what its plan data means::

    class TestMyBackend(BackendContract):
        backend = MyBackend()
        can_run_here = MyBackend().viability().ok   # real runs through `guard run` too
        degraded = ()                                 # modes the real runs accept by name
        not_kept = frozenset()                        # promises it admits it cannot keep

        def plan_allows_write(self, plan, path): ...  # a write there reaches the host file
        def plan_allows_read(self, plan, path): ...   # the host file's content is readable
        def plan_allows_rename(self, plan, path): ... # the folder can be moved away
        def plan_network(self, plan): ...             # "none", "proxy-only" or "open"

Plan-level tests run everywhere. Real-run tests need ``can_run_here``; they run the real
``guard run`` CLI with this backend selected in the user's config layer. A promise named in
``not_kept`` must fail for real (its test is an expected failure that turns into an error
the day the backend starts keeping it), and the plan must report it in ``unenforced``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

SSH_MARKER = "FAKE-SSH-KEY-MATERIAL-5d1c"
SECRET_ENV = {"GITHUB_TOKEN": "ghp_" + "A1b2C3d4" * 5, "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCY",
              "MY_SERVICE_API_KEY": "k-7f3a9c0e55d1"}
SCRATCH = os.environ.get("GUARD_TEST_SCRATCH", "/var/tmp")  # not /tmp: some backends hide it


@dataclass
class World:
    """A workspace (a git repository with protected files), a fake HOME, a folder outside."""

    base: Path
    workspace: Path
    home: Path
    outside: Path

    def env(self) -> dict[str, str]:
        return {"HOME": str(self.home), "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                "XDG_CONFIG_HOME": str(self.base / "config"), "XDG_STATE_HOME": str(self.base / "state"),
                "GUARD_MANAGED_POLICY": str(self.base / "no-managed-policy.toml"), "GIT_CONFIG_NOSYSTEM": "1"}

    def user_config(self, backend: str, network: bool = False) -> None:
        # The user's own layer: a repository cannot pick a weaker backend without trust.
        text = f'version = 1\n[backend]\nlinux = "{backend}"\nmacos = "{backend}"\n'
        if network:
            text += '[network]\nallow = ["example.invalid"]\n'
        folder = self.base / "config" / "guard"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.toml").write_text(text)


def make_world() -> World:
    base = Path(tempfile.mkdtemp(prefix="guard-contract-", dir=SCRATCH)).resolve()
    world = World(base, base / "ws", base / "home", base / "outside")
    for folder in (world.workspace / "src", world.home / ".ssh", world.outside, base / "config", base / "state"):
        folder.mkdir(parents=True)
    (world.home / ".ssh" / "id_ed25519").write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SSH_MARKER}\n")
    (world.outside / "target.txt").write_text("original\n")
    (world.workspace / "sandbox.toml").write_text("version = 1\n")
    (world.workspace / "src" / "main.py").write_text("print('hi')\n")
    (world.workspace / ".vscode").mkdir()
    (world.workspace / ".vscode" / "tasks.json").write_text("{}\n")
    git = ["git", "-c", "init.defaultBranch=main", "init", "-q"]
    subprocess.run([*git, str(world.workspace)], check=True, env=world.env())
    (world.workspace / ".git" / "hooks").mkdir(exist_ok=True)
    return world


class BackendContract:
    backend = None
    can_run_here: bool = False
    degraded: tuple[str, ...] = ()
    not_kept: frozenset[str] = frozenset()

    # -- the adapter: answers about this backend's plans -------------------------------------
    def plan_allows_write(self, plan, path: Path) -> bool:
        raise NotImplementedError

    def plan_allows_read(self, plan, path: Path) -> bool:
        raise NotImplementedError

    def plan_allows_rename(self, plan, path: Path) -> bool:
        raise NotImplementedError

    def plan_network(self, plan) -> str:
        raise NotImplementedError

    # -- fixtures ----------------------------------------------------------------------------
    @pytest.fixture
    def world(self, monkeypatch):
        world = make_world()
        from guard import paths

        for name, value in world.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(paths, "MANAGED_POLICY", world.base / "no-managed-policy.toml")
        monkeypatch.chdir(world.workspace)
        yield world
        shutil.rmtree(world.base, ignore_errors=True)

    def context(self, world: World, network: str = "none"):
        from guard.context import build_context
        from guard.plugins import Plugins
        from guard.policy import load_policy

        host_env = {**world.env(), **SECRET_ENV}
        ctx, _env = build_context(load_policy(world.workspace), ["printf", "%s\n", "a b"], Plugins.load(),
                                  host_env=host_env, cwd=world.workspace)
        return replace(ctx, network=network)

    def plan(self, ctx):
        plan = self.backend.plan(ctx)
        plan.unenforced = self.backend.unenforced(ctx)
        return plan

    def reported(self, plan, path: Path) -> bool:
        return any(str(path) in item for item in plan.unenforced)

    # -- plan-level promises -----------------------------------------------------------------
    def test_planning_changes_no_file_of_the_user(self, world):
        def snapshot():  # guard's own state folder (caches) aside
            return sorted((str(p), p.lstat().st_mtime_ns) for root in (world.workspace, world.home, world.outside)
                          for p in [root, *root.rglob("*")])

        ctx = self.context(world, "proxy")
        before = snapshot()
        self.plan(ctx)
        assert snapshot() == before

    def test_argv_ends_with_the_users_command(self, world):
        plan = self.plan(self.context(world))
        assert plan.argv[-3:] == ["printf", "%s\n", "a b"]

    def test_no_secret_looking_variable_enters_the_plan(self, world):
        plan = self.plan(self.context(world, "proxy"))
        for name, value in SECRET_ENV.items():
            assert name not in plan.env
            assert not any(value in v for v in plan.env.values())
            assert not any(value in a for a in plan.argv)

    def test_workspace_is_writable(self, world):
        plan = self.plan(self.context(world))
        assert self.plan_allows_write(plan, world.workspace / "src" / "main.py")
        assert self.plan_allows_write(plan, world.workspace / "src" / "new.py")

    def test_nothing_outside_the_workspace_is_writable(self, world):
        plan = self.plan(self.context(world))
        for path in (world.outside / "target.txt", world.outside / "new.txt", world.home / ".bashrc",
                     world.base / "config" / "guard" / "config.toml", Path("/etc/passwd")):
            assert not self.plan_allows_write(plan, path), path

    def test_every_protected_path_is_read_only_or_reported(self, world):
        ctx = self.context(world)
        plan = self.plan(ctx)
        assert ctx.protected
        for item in ctx.protected:
            assert not self.plan_allows_write(plan, item.path) or self.reported(plan, item.path), item.path

    def test_no_folder_above_a_protected_path_can_be_renamed_or_it_is_reported(self, world):
        ctx = self.context(world)
        plan = self.plan(ctx)
        for item in ctx.protected:
            folder = item.path.parent
            while folder != world.workspace and world.workspace in folder.parents:
                assert not self.plan_allows_rename(plan, folder) or self.reported(plan, item.path), folder
                folder = folder.parent
            assert not self.plan_allows_rename(plan, world.workspace)

    def test_denied_reads_are_unreadable_or_reported(self, world):
        ctx = self.context(world)
        plan = self.plan(ctx)
        ssh = world.home / ".ssh"
        assert ssh in {d.path for d in ctx.denied_reads}
        for target in (ssh, ssh / "id_ed25519"):
            assert not self.plan_allows_read(plan, target) or self.reported(plan, ssh), target
        assert self.plan_allows_read(plan, world.workspace / "src" / "main.py")  # the test can fail

    def test_no_network_when_the_policy_allows_none(self, world):
        plan = self.plan(self.context(world, "none"))
        assert self.plan_network(plan) == "none" or any(i.startswith("network") for i in plan.unenforced)
        assert not plan.proxy

    def test_only_the_proxy_when_the_policy_allows_domains(self, world):
        plan = self.plan(self.context(world, "proxy"))
        assert plan.proxy and plan.channel_placeholder in plan.argv
        assert self.plan_network(plan) == "proxy-only" or any(i.startswith("network") for i in plan.unenforced)

    def test_every_unenforced_rule_names_its_degraded_mode(self, world):
        for network in ("none", "proxy"):
            for item in self.plan(self.context(world, network)).unenforced:
                assert re.match(r"^[a-z][a-z-]*: \S", item), item

    def test_viability_says_why_not(self):
        viability = self.backend.viability()
        assert viability.ok or viability.reason

    # -- real runs ---------------------------------------------------------------------------
    def run(self, world: World, script: str, *, network: bool = False, env: dict | None = None):
        if not self.can_run_here:
            pytest.skip(f"{self.backend.name} cannot run on this machine: plan-level tests only")
        world.user_config(self.backend.name, network)
        argv = [sys.executable, "-m", "guard", "run"]
        for mode in self.degraded:
            argv += ["--degraded", mode]
        argv += ["--", "/bin/sh", "-c", textwrap.dedent(script)]
        return subprocess.run(argv, capture_output=True, text=True, cwd=world.workspace, timeout=120,
                              env={**world.env(), **(env or {})})

    def promise(self, name: str, kept: bool, detail: str = "") -> None:
        if name in self.not_kept:
            if kept:
                pytest.fail(f"{self.backend.name} keeps {name!r} now: remove it from not_kept")
            pytest.xfail(f"{self.backend.name} does not keep {name!r} (reported in unenforced)")
        assert kept, f"{name}: {detail}"

    def test_run_exit_status_is_the_commands(self, world):
        result = self.run(world, "exit 7")
        assert result.returncode == 7, result.stderr

    def test_run_writes_inside_the_workspace(self, world):
        result = self.run(world, "echo made > src/made.txt")
        assert result.returncode == 0, result.stderr
        assert (world.workspace / "src" / "made.txt").read_text() == "made\n"

    def test_run_cannot_write_outside_the_workspace(self, world):
        result = self.run(world, f"echo evil > {world.outside}/target.txt; echo evil > {world.outside}/new.txt")
        assert (world.outside / "target.txt").read_text() == "original\n", result.stderr
        assert not (world.outside / "new.txt").exists()

    def test_run_cannot_read_the_ssh_key(self, world):
        result = self.run(world, f"cat {world.home}/.ssh/id_ed25519")
        assert SSH_MARKER not in result.stdout
        assert result.returncode != 0

    def test_run_cannot_plant_a_git_hook(self, world):
        hook = world.workspace / ".git" / "hooks" / "pre-commit"
        self.run(world, f"printf '#!/bin/sh\\necho owned\\n' > {hook}")
        self.promise("protected-paths", not hook.exists(), "a hook was written")

    def test_run_cannot_rewrite_the_policy(self, world):
        self.run(world, "echo '[filesystem]' >> sandbox.toml")
        self.promise("protected-paths", (world.workspace / "sandbox.toml").read_text() == "version = 1\n")

    def test_run_secret_environment_stays_out(self, world):
        result = self.run(world, "env", env=SECRET_ENV)
        assert result.returncode == 0, result.stderr
        for name, value in SECRET_ENV.items():
            assert name not in result.stdout and value not in result.stdout

    def test_run_cannot_reach_a_host_tcp_server(self, world):
        with _Server(socket.AF_INET, ("127.0.0.1", 0)) as server:
            assert server.answers_from_host()
            result = self.run(world, f"exec /usr/bin/python3 -c '{_CONNECT}' tcp 127.0.0.1:{server.address[1]}")
        assert "CONNECTED" not in result.stdout, result.stdout

    def test_run_cannot_reach_a_host_unix_socket(self, world):
        path = str(world.outside / "agent.sock")
        with _Server(socket.AF_UNIX, path) as server:
            assert server.answers_from_host()
            result = self.run(world, f"exec /usr/bin/python3 -c '{_CONNECT}' unix {path}")
        assert "CONNECTED" not in result.stdout, result.stdout

    def test_run_reaches_the_proxy_when_domains_are_allowed(self, world):
        result = self.run(world, """
            exec /usr/bin/python3 -c '
            import os, socket
            host, port = os.environ["HTTP_PROXY"].rsplit("/", 1)[1].split(":")
            s = socket.create_connection((host, int(port)), timeout=10)
            s.sendall(b"GET http://denied.example/ HTTP/1.1\\r\\nHost: denied.example\\r\\n\\r\\n")
            print("PROXY-SAID", s.recv(12))'
        """.replace("\n            ", "\n"), network=True)
        assert "PROXY-SAID b'HTTP/1." in result.stdout, result.stdout + result.stderr


_CONNECT = (
    "import socket, sys\n"
    "kind, where = sys.argv[1:3]\n"
    "try:\n"
    "    if kind == \"unix\":\n"
    "        s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(where)\n"
    "    else:\n"
    "        h, p = where.rsplit(\":\", 1); s = socket.create_connection((h, int(p)), timeout=5)\n"
    "    print(\"CONNECTED\", s.recv(16))\n"
    "except OSError as exc:\n"
    "    print(\"REFUSED\", exc)\n"
)


class _Server:
    """A server on the host that greets every client: proof that a connection got through."""

    def __init__(self, family: int, address) -> None:
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind(address)
        self.sock.listen(8)
        self.address = self.sock.getsockname()
        self.family = family
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.sendall(b"HELLO")
            conn.close()

    def answers_from_host(self) -> bool:
        with socket.socket(self.family, socket.SOCK_STREAM) as client:
            client.settimeout(5)
            client.connect(self.address)
            return client.recv(5) == b"HELLO"

    def __enter__(self) -> _Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
