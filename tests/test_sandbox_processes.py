"""Host processes are invisible inside: no environ to read, nothing in ps, no signals to send."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest
from sandbox_fixtures import unique

pytestmark = pytest.mark.bwrap


@pytest.fixture
def host_secret_process(sandbox):
    """A host process of the same user with a secret in its environment."""
    marker = unique("HOSTENVSECRET")
    proc = sandbox.host_popen("sleep", "120", env={"SECRET_MARKER": marker})
    yield proc.pid, marker
    proc.kill()
    proc.wait(timeout=10)


def test_host_process_environment_is_unreachable(sandbox, host_secret_process):
    pid, marker = host_secret_process
    assert marker in open(f"/proc/{pid}/environ").read()  # control: it is there on the host
    # the marker is not on the command line: it would be found in the sandbox's own cmdline
    result = sandbox.sh(f"cat /proc/{pid}/environ; cat /proc/*/environ /proc/*/task/*/environ")
    assert marker not in result.stdout


def test_ps_shows_no_host_process(sandbox, host_secret_process):
    pid, _marker = host_secret_process
    result = sandbox.sh("ls -d /proc/[0-9]* | sed 's#/proc/##'")
    pids = {int(p) for p in result.stdout.split()}
    assert pid not in pids
    assert len(pids) <= 4, f"more processes than the sandbox's own: {sorted(pids)}"
    ps = sandbox.run("run", "--", "ps", "-eo", "pid,args")
    if ps.returncode == 0:  # procps may be missing; the /proc listing above is the real check
        assert "sleep 120" not in ps.stdout


def test_host_process_cannot_be_signalled(sandbox, host_secret_process):
    pid, _marker = host_secret_process
    sandbox.sh(f"kill -9 {pid}; kill -9 -1")
    os.kill(pid, 0)  # still alive


def test_sandbox_is_gone_when_guard_is_killed(sandbox):
    marker = unique("orphan")
    proc = sandbox.popen("run", "--", "sh", "-c", f"exec -a {marker} sleep 60")

    def running() -> bool:
        out = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout
        return bool(out.strip())

    import time

    deadline = time.monotonic() + 20
    while not running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(), "the sandboxed command outlived a killed guard"


def test_capabilities_are_all_dropped(sandbox):
    result = sandbox.sh("grep -E '^Cap(Eff|Prm|Bnd|Amb)' /proc/self/status")
    assert result.returncode == 0
    for line in result.stdout.splitlines():
        assert line.split()[1] == "0000000000000000", line


def test_hostname_and_namespaces_are_private(sandbox):
    result = sandbox.sh("cat /proc/sys/kernel/hostname; readlink /proc/self/ns/net /proc/self/ns/ipc")
    inside = result.stdout.split()
    assert inside[0] != open("/proc/sys/kernel/hostname").read().strip()
    assert inside[1] != os.readlink("/proc/self/ns/net")
    assert inside[2] != os.readlink("/proc/self/ns/ipc")


def test_no_new_user_namespaces_inside(sandbox):
    result = sandbox.run("run", "--", "unshare", "--user", "--map-root-user", "true")
    assert result.returncode != 0
