"""The Landlock backend for real on this kernel: what it refuses, what it stops, what it reports.

Every run goes through the real ``guard run`` CLI with landlock chosen in the user's config.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from guard.testing import SSH_MARKER, make_world
from guard_landlock.backend import LandlockBackend

pytestmark = pytest.mark.skipif(not LandlockBackend().viability().ok, reason="no Landlock in this kernel")
ACCEPT = ("--degraded", "protected-paths", "--degraded", "net-port-only")


@pytest.fixture
def world():
    world = make_world()
    world.user_config("landlock")
    yield world
    shutil.rmtree(world.base, ignore_errors=True)


def guard(world, *args, env=None):
    return subprocess.run([sys.executable, "-m", "guard", *args], capture_output=True, text=True,
                          cwd=world.workspace, timeout=120, env={**world.env(), **(env or {})})


def sh(world, script, *extra):
    return guard(world, "run", *ACCEPT, *extra, "--", "/bin/sh", "-c", textwrap.dedent(script))


def py(world, code):
    return guard(world, "run", *ACCEPT, "--", "/usr/bin/python3", "-c", textwrap.dedent(code))


def test_protected_path_in_the_workspace_refuses_naming_the_path(world):
    result = guard(world, "run", "--", "/bin/sh", "-c", "echo ran")
    assert result.returncode == 125
    assert "ran" not in result.stdout
    assert "protected-paths" in result.stderr
    assert str(world.workspace / "sandbox.toml") in result.stderr
    assert str(world.workspace / ".git" / "hooks") in result.stderr


def test_naming_the_degraded_mode_runs_the_command(world):
    result = guard(world, "run", "--degraded", "protected-paths", "--", "/bin/sh", "-c", "echo ran")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ran\n"


def test_proxy_network_also_needs_its_mode_named(world):
    world.user_config("landlock", network=True)
    result = guard(world, "run", "--degraded", "protected-paths", "--", "/bin/true")
    assert result.returncode == 125
    assert "net-port-only" in result.stderr


def test_explain_lists_what_landlock_leaves_unenforced(world):
    result = guard(world, "explain")
    assert result.returncode == 0, result.stderr
    assert "backend: landlock" in result.stdout
    assert "NOT ENFORCED HERE: protected-paths" in result.stdout
    assert str(world.workspace / "sandbox.toml") in result.stdout


def test_host_tmp_is_read_only_but_tmpdir_is_private_and_removed(world):
    result = sh(world, """
        touch /tmp/guard-landlock-escape-$$ && echo HOST-TMP-WRITTEN
        echo scratch > "$TMPDIR/f" && cat "$TMPDIR/f" && rm "$TMPDIR/f" && echo "$TMPDIR"
    """)
    assert "HOST-TMP-WRITTEN" not in result.stdout
    lines = result.stdout.split()
    assert lines[0] == "scratch", result.stderr
    assert lines[1].startswith("/tmp/guard-landlock-")
    assert not os.path.exists(lines[1])  # empty after the run: the runner removed it


def test_symlink_to_the_ssh_key_reads_nothing(world):
    os.symlink(world.home / ".ssh" / "id_ed25519", world.workspace / "key")
    result = sh(world, "cat key; cat \"$HOME/.ssh/id_ed25519\"; ls \"$HOME/.ssh\"")
    assert SSH_MARKER not in result.stdout
    assert "id_ed25519" in result.stdout  # names in a denied folder stay listable (a documented note)


def test_denied_file_in_the_workspace_cannot_be_read_by_moving_or_linking_it(world):
    (world.workspace / ".env").write_text("API=SECRET-IN-DOTENV\n")
    (world.workspace / "sandbox.toml").write_text('version = 1\n[filesystem]\ndeny_read = [".env"]\n')
    result = sh(world, """
        cat .env
        ln .env src/linked 2>&1; cat src/linked
        mv .env src/moved 2>&1; cat src/moved
        cp .env src/copy; cat src/copy
    """)
    assert "SECRET-IN-DOTENV" not in result.stdout, result.stdout
    assert (world.workspace / ".env").exists()


def test_only_tcp_sockets_can_be_made(world):
    result = py(world, """
        import socket
        for name, family, kind in [("udp", socket.AF_INET, socket.SOCK_DGRAM),
                                   ("udp6", socket.AF_INET6, socket.SOCK_DGRAM),
                                   ("unix", socket.AF_UNIX, socket.SOCK_STREAM),
                                   ("netlink", socket.AF_NETLINK, socket.SOCK_RAW)]:
            try:
                socket.socket(family, kind)
                print(name, "CREATED")
            except OSError:
                print(name, "denied")
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        socket.socketpair()
        print("tcp and socketpair ok")
    """)
    assert "CREATED" not in result.stdout
    assert "tcp and socketpair ok" in result.stdout, result.stderr


def test_no_tcp_server_can_be_started(world):
    result = py(world, """
        import socket
        try:
            socket.socket().bind(("127.0.0.1", 0)); print("BOUND")
        except OSError as exc:
            print("denied", exc)
    """)
    assert "denied" in result.stdout and "BOUND" not in result.stdout, result.stderr


def test_root_keeps_no_capability_and_no_kernel_keyring(world):
    result = py(world, """
        import ctypes
        status = dict(l.split(":", 1) for l in open("/proc/self/status") if ":" in l)
        print("CapEff", status["CapEff"].strip(), "CapBnd", status["CapBnd"].strip())
        libc = ctypes.CDLL(None, use_errno=True)
        print("keyctl", libc.syscall(250, 0, -3, 0, 0, 0), ctypes.get_errno())  # KEYCTL_GET_KEYRING_ID
    """)
    assert "CapEff 0000000000000000 CapBnd 0000000000000000" in result.stdout, result.stderr
    if os.uname().machine == "x86_64":
        assert "keyctl -1 38" in result.stdout  # ENOSYS


def test_other_processes_cannot_be_signalled_or_read(world):
    victim = subprocess.Popen(["sleep", "60"], env={"SECRET_IN_ENV": "VICTIM-ENV-SECRET"})
    try:
        result = py(world, f"""
            import os
            try:
                os.kill({victim.pid}, 15); print("SIGNALLED")
            except OSError as exc:
                print("kill denied", exc.errno)
            try:
                print(open("/proc/{victim.pid}/environ").read())
            except OSError as exc:
                print("environ denied", exc.errno)
        """)
        assert victim.poll() is None
        assert "SIGNALLED" not in result.stdout and "VICTIM-ENV-SECRET" not in result.stdout, result.stdout
    finally:
        victim.kill()
        victim.wait()


def test_a_launcher_failure_is_guards_failure_and_runs_nothing(world, tmp_path):
    from guard_landlock.backend import LAUNCHER

    marker = world.outside / "ran"
    result = subprocess.run([sys.executable, "-I", "-S", str(LAUNCHER), "-", "{not json", "--",
                             "touch", str(marker)], capture_output=True, text=True)
    assert result.returncode == 125 and not marker.exists()
    assert "did not run" in result.stderr
