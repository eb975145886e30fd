"""No host socket is reachable: the session bus (so: the keyring), X11, docker, $HOME, the network.

Each test first proves from the host that the socket answers, then that the sandbox cannot.
"""

from __future__ import annotations

import shutil
import subprocess
import socket
import threading
import time
from pathlib import Path

import pytest
from sandbox_fixtures import unique

pytestmark = pytest.mark.bwrap

CONNECT = """
import socket, sys
family, address = sys.argv[1], sys.argv[2]
try:
    if family == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(3)
        s.connect(address)
    else:
        host, port = address.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=3)
    print("CONNECTED", s.recv(64))
except OSError as exc:
    print("REFUSED", exc)
"""


def connect_inside(sandbox, family: str, address: str) -> str:
    result = sandbox.run("run", "--", "/usr/bin/python3", "-c", CONNECT, family, address)
    return result.stdout + result.stderr


class UnixServer:
    """A unix socket server, as the identity so that only the sandbox stands in the way."""

    def __init__(self, sandbox, path: Path, kind: str = "stream") -> None:
        self.path = path
        code = f"""
import socket, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_{'STREAM' if kind == 'stream' else 'DGRAM'})
s.bind({str(path)!r})
{'s.listen()' if kind == 'stream' else ''}
print("ready", flush=True)
while True:
    {'c, _ = s.accept(); c.sendall(b"pong"); c.close()' if kind == 'stream'
     else 'data = s.recv(64); open(' + repr(str(path) + '.got') + ', "ab").write(data)'}
"""
        self.proc = sandbox.host_popen("/usr/bin/python3", "-c", code, stdout=subprocess.PIPE)
        assert self.proc.stdout.readline().strip() == b"ready"


def test_session_bus_is_unreachable(sandbox):
    if not shutil.which("dbus-daemon") or not shutil.which("dbus-send"):
        pytest.skip("dbus-daemon/dbus-send not installed")
    runtime = sandbox.base / "runtime"
    bus = f"unix:path={runtime}/bus"
    daemon = sandbox.host_popen("dbus-daemon", "--session", f"--address={bus}", "--nofork", "--nopidfile",
                                "--print-address", stdout=subprocess.PIPE)
    assert daemon.stdout.readline().startswith(b"unix:")
    probe = ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
             "/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames"]
    env = {"DBUS_SESSION_BUS_ADDRESS": bus}
    assert sandbox.host(*probe, env=env).returncode == 0  # control
    result = sandbox.run("run", "--", "sh", "-c", f"DBUS_SESSION_BUS_ADDRESS={bus} " + " ".join(probe), env=env)
    assert result.returncode != 0
    assert "org.freedesktop.DBus" not in result.stdout
    assert "DBUS_SESSION_BUS_ADDRESS" not in sandbox.sh("env").stdout


def test_abstract_socket_session_bus_is_unreachable(sandbox):
    if not shutil.which("dbus-daemon") or not shutil.which("dbus-send"):
        pytest.skip("dbus-daemon/dbus-send not installed")
    bus = f"unix:abstract=/tmp/{unique('guard-test-bus')}"
    daemon = sandbox.host_popen("dbus-daemon", "--session", f"--address={bus}", "--nofork", "--nopidfile",
                                "--print-address", stdout=subprocess.PIPE)
    assert daemon.stdout.readline().startswith(b"unix:abstract=")
    probe = ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
             "/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames"]
    assert sandbox.host(*probe, env={"DBUS_SESSION_BUS_ADDRESS": bus}).returncode == 0  # control
    result = sandbox.run("run", "--", "sh", "-c", f"DBUS_SESSION_BUS_ADDRESS={bus} " + " ".join(probe))
    assert result.returncode != 0


@pytest.mark.parametrize("where", ["home", "x11-in-host-tmp", "docker-like", "runtime-dir"])
def test_host_unix_socket_is_unreachable(sandbox, where):
    paths = {
        "home": sandbox.home / "agent.sock",
        "x11-in-host-tmp": Path("/tmp") / unique(".X11-unix-guard-test") / "X0",
        "docker-like": sandbox.base / "var-run" / "docker.sock",
        "runtime-dir": sandbox.base / "runtime" / "keyring" / "control",
    }
    path = paths[where]
    sandbox.makedirs(path.parent)
    try:
        UnixServer(sandbox, path)
        assert "CONNECTED" in sandbox.host("/usr/bin/python3", "-c", CONNECT, "unix", str(path)).stdout  # control
        out = connect_inside(sandbox, "unix", str(path))
        assert "CONNECTED" not in out, out
    finally:
        if where == "x11-in-host-tmp":
            shutil.rmtree(path.parent, ignore_errors=True)


def test_host_datagram_socket_is_unreachable_through_a_socketpair(sandbox):
    """socketpair(AF_UNIX) is allowed for pipes, but a datagram socket from it can still be
    pointed at any path with sendto()/connect(): e.g. a logging or notify socket in $HOME."""
    path = sandbox.home / "notify.sock"
    UnixServer(sandbox, path, kind="dgram")
    code = f"""
import socket
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
try:
    a.sendto(b"FROM-SANDBOX", {str(path)!r})
    print("SENT")
except OSError as exc:
    print("REFUSED", exc)
"""
    result = sandbox.run("run", "--", "/usr/bin/python3", "-c", code)
    time.sleep(0.5)
    assert not Path(str(path) + ".got").exists(), "a host datagram socket received data from the sandbox"
    assert "SENT" not in result.stdout


@pytest.fixture
def loopback_server():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.sendall(b"pong")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    stop.set()
    thread.join()
    server.close()


def test_host_loopback_server_is_unreachable(sandbox, loopback_server):
    assert socket.create_connection(("127.0.0.1", loopback_server), timeout=3)  # control
    out = connect_inside(sandbox, "tcp", f"127.0.0.1:{loopback_server}")
    assert "CONNECTED" not in out, out


def test_internet_is_unreachable(sandbox):
    out = connect_inside(sandbox, "tcp", "1.1.1.1:80")
    assert "CONNECTED" not in out, out
    if shutil.which("curl"):
        result = sandbox.run("run", "--", "curl", "-sS", "--max-time", "5", "http://1.1.1.1/")
        assert result.returncode != 0
    result = sandbox.sh("cat /proc/net/route | wc -l; ls /sys/class/net")
    assert result.stdout.split()[-1] == "lo" and result.stdout.split()[0] == "1", result.stdout


def test_server_on_the_sandbox_loopback_is_reachable_from_inside(sandbox):
    code = """
import socket, threading
server = socket.create_server(("127.0.0.1", 0))
port = server.getsockname()[1]
threading.Thread(target=lambda: server.accept()[0].sendall(b"pong"), daemon=True).start()
print(socket.create_connection(("127.0.0.1", port), timeout=3).recv(4).decode())
"""
    result = sandbox.run("run", "--", "/usr/bin/python3", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "pong\n"


def test_pipes_between_sandboxed_processes_work(sandbox):
    result = sandbox.sh("printf 'a\\nb\\n' | sort -r | head -1")
    assert result.stdout == "b\n"
