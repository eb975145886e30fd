"""guard run behaves like the command it wraps: status, signals, stdin, a terminal; 125 for itself."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time

import pytest

pytestmark = pytest.mark.bwrap


@pytest.mark.parametrize("status", [0, 1, 42])
def test_exit_status_is_passed_through(sandbox, status):
    assert sandbox.sh(f"exit {status}").returncode == status


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL, signal.SIGSEGV])
def test_death_by_signal_becomes_128_plus_n(sandbox, signum):
    assert sandbox.sh(f"kill -{int(signum)} $$").returncode == 128 + signum


def wait_for(path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_sent_to_guard_reaches_the_command(sandbox, signum):
    code = f"""
import signal, sys, time
def handler(signum, frame):
    open("got-signal", "w").write(str(signum))
    sys.exit(3)
signal.signal({int(signum)}, handler)
open("ready", "w").close()
time.sleep(60)
sys.exit(9)
"""
    proc = sandbox.popen("run", "--", "/usr/bin/python3", "-c", code)
    wait_for(sandbox.workspace / "ready")
    proc.send_signal(signum)
    assert proc.wait(timeout=30) == 3
    assert (sandbox.workspace / "got-signal").read_text() == str(int(signum))


def test_stdin_passes_through(sandbox):
    result = sandbox.run("run", "--", "cat", input="hi\n")
    assert result.returncode == 0
    assert result.stdout == "hi\n"


def test_large_stdin_passes_through(sandbox):
    data = "x" * 1_000_000 + "\n"
    result = sandbox.run("run", "--", "wc", "-c", input=data)
    assert result.stdout.strip() == str(len(data))


def run_in_pty(argv: list[str], env: dict, cwd, timeout: float = 30) -> tuple[int, str]:
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                            start_new_session=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(timeout=10), out.decode(errors="replace")


def test_a_terminal_works_inside(sandbox):
    argv = sandbox.guard_argv("run", "--", "sh", "-c", "test -t 0 && test -t 1 && echo tty; stty size")
    status, out = run_in_pty(argv, sandbox.env, sandbox.workspace)
    assert status == 0, out
    assert "tty" in out


def test_terminal_injection_is_refused(sandbox):
    """TIOCSTI would type a command into the host shell that owns the terminal."""
    code = """
import fcntl, termios, sys
try:
    fcntl.ioctl(0, termios.TIOCSTI, b"x")
    print("INJECTED")
except OSError as exc:
    print("REFUSED", exc.errno)
"""
    argv = sandbox.guard_argv("run", "--", "/usr/bin/python3", "-c", code)
    status, out = run_in_pty(argv, sandbox.env, sandbox.workspace)
    assert "REFUSED" in out and "INJECTED" not in out, out


def test_threads_and_new_syscalls_work_inside(sandbox):
    """clone3 (threads), openat2, faccessat2 and close_range are ordinary syscalls of today's libc."""
    code = """
import threading, os, subprocess
t = threading.Thread(target=lambda: None); t.start(); t.join()
print(os.access("/usr/bin/env", os.X_OK))
print(subprocess.run(["true"]).returncode)
"""
    result = sandbox.run("run", "--", "/usr/bin/python3", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "0"]


def test_missing_bwrap_exits_125_and_points_to_doctor(sandbox):
    result = sandbox.run("run", "--", "true", env={"GUARD_BWRAP": "/nonexistent/bwrap"})
    assert result.returncode == 125
    assert "bwrap" in result.stderr or "bubblewrap" in result.stderr
    assert "guard doctor" in result.stderr
    assert "Traceback" not in result.stderr
    doctor = sandbox.run("doctor", env={"GUARD_BWRAP": "/nonexistent/bwrap"})
    assert doctor.returncode != 0
    assert "fix:" in doctor.stdout + doctor.stderr
    assert "bubblewrap" in doctor.stdout + doctor.stderr


def test_invalid_policy_runs_nothing_and_exits_2(sandbox):
    sandbox.policy("[filesystem]\nallow_wirte = []\n")
    result = sandbox.sh("touch ran")
    assert result.returncode == 2
    assert "sandbox.toml:" in result.stderr
    assert not (sandbox.workspace / "ran").exists()


def test_no_command_is_a_usage_error(sandbox):
    assert sandbox.run("run", "--").returncode == 2


def test_a_command_that_does_not_exist_is_not_reported_as_guard_failing(sandbox):
    result = sandbox.run("run", "--", "no-such-command-guard-test")
    assert result.returncode not in (0, 125)
    assert "no-such-command-guard-test" in result.stderr


def test_write_to_private_tmp_works(sandbox):
    result = sandbox.sh("echo data > /tmp/scratch && cat /tmp/scratch && mktemp")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("data\n/tmp/")


def test_command_runs_in_the_current_subfolder(sandbox):
    result = sandbox.run("run", "--", "pwd", cwd=sandbox.workspace / "src")
    assert result.stdout.strip() == str(sandbox.workspace / "src")
