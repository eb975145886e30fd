"""SOCKS5 through the real proxy: curl as the client, real loopback upstreams."""

from __future__ import annotations

import shutil
import socket
import struct
import subprocess

import pytest

from test_proxy_helpers import FakeResolver, Upstream, running_proxy, write_policy


@pytest.fixture
def upstream():
    server = Upstream()
    yield server
    server.close()


def curl(*args):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    return subprocess.run(["curl", "-sS", "--max-time", "10", *args], capture_output=True, text=True, timeout=20)


def socks_request(port: int, atyp: int, address: bytes, dest_port: int, command: int = 1,
                  methods: bytes = b"\x00") -> bytes:
    """Greeting + request; returns the method choice followed by whatever reply came."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(bytes((5, len(methods))) + methods)
        choice = sock.recv(2)
        if choice != b"\x05\x00":
            return choice
        sock.sendall(bytes((5, command, 0, atyp)) + address + struct.pack("!H", dest_port))
        reply = b""
        while len(reply) < 10:
            chunk = sock.recv(10 - len(reply))
            if not chunk:
                break
            reply += chunk
        return choice + reply


def domain(name: bytes) -> bytes:
    return bytes((len(name),)) + name


def test_socks5_with_ipv4_literal_reaches_allowed_upstream(tmp_path, upstream):
    policy = write_policy(tmp_path, f'allow_local = ["127.0.0.1:{upstream.port}"]')
    with running_proxy(policy, tmp_path) as proxy:
        result = curl("--socks5", f"127.0.0.1:{proxy.port}", f"http://127.0.0.1:{upstream.port}/s")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("GET /s")


def test_socks5_with_domain_name_is_resolved_by_the_proxy(tmp_path, upstream):
    resolver = FakeResolver({"app.example": ["127.0.0.1"]})
    policy = write_policy(tmp_path, f'allow = ["app.example"]\nallow_local = ["127.0.0.1:{upstream.port}"]')
    with running_proxy(policy, tmp_path, resolver=resolver) as proxy:
        result = curl("--socks5-hostname", f"127.0.0.1:{proxy.port}", f"http://app.example:{upstream.port}/h")
    assert result.stdout.startswith("GET /h host=app.example"), result.stderr
    assert resolver.asked == ["app.example"]


def test_socks5_with_ipv6_literal(tmp_path):
    try:
        server = Upstream("::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        policy = write_policy(tmp_path, f'allow_local = ["[::1]:{server.port}"]')
        with running_proxy(policy, tmp_path) as proxy:
            result = curl("--socks5", f"127.0.0.1:{proxy.port}", f"http://[::1]:{server.port}/v6")
    finally:
        server.close()
    assert result.stdout.startswith("GET /v6"), result.stderr


def test_socks5_denial_is_a_ruleset_failure_and_is_logged(tmp_path, upstream):
    policy = write_policy(tmp_path, 'allow = ["example.com"]')
    with running_proxy(policy, tmp_path) as proxy:
        reply = socks_request(proxy.port, 1, socket.inet_aton("127.0.0.1"), upstream.port)
        result = curl("--socks5-hostname", f"127.0.0.1:{proxy.port}", "http://denied.example/")
        denials = proxy.gate.log.read()
    assert reply[:4] == b"\x05\x00\x05\x02"  # 0x02: connection not allowed by ruleset
    assert result.returncode != 0
    assert upstream.connections == 0
    assert [(d.host, d.via) for d in denials] == [("127.0.0.1", "socks5"), ("denied.example", "socks5")]
    assert "guard allow denied.example" in denials[1].fix


@pytest.mark.parametrize("name", [b"2130706433", b"0x7f.1", b"127.1", b"localhost", b"::ffff:127.0.0.1"])
def test_socks5_domain_field_cannot_smuggle_loopback(tmp_path, upstream, name):
    policy = write_policy(tmp_path, 'allow = ["localhost"]')
    with running_proxy(policy, tmp_path) as proxy:
        reply = socks_request(proxy.port, 3, domain(name), upstream.port)
    assert reply[3] == 2
    assert upstream.connections == 0


@pytest.mark.parametrize("command", [2, 3])  # BIND, UDP ASSOCIATE
def test_socks5_bind_and_udp_are_refused(tmp_path, upstream, command):
    policy = write_policy(tmp_path, f'allow_local = ["127.0.0.1:{upstream.port}"]')
    with running_proxy(policy, tmp_path) as proxy:
        reply = socks_request(proxy.port, 1, socket.inet_aton("127.0.0.1"), upstream.port, command=command)
    assert reply[:4] == b"\x05\x00\x05\x07"  # command not supported
    assert upstream.connections == 0


def test_socks5_without_no_auth_method_is_refused(tmp_path):
    policy = write_policy(tmp_path, "allow = []")
    with running_proxy(policy, tmp_path) as proxy:
        assert socks_request(proxy.port, 1, b"", 0, methods=b"\x02") == b"\x05\xff"


@pytest.mark.parametrize("raw_name", [b"ex\x00ample.com", b"a%25b.example", b"[::1]", b"\xff\xfe"])
def test_socks5_odd_domain_names_are_refused(tmp_path, raw_name):
    policy = write_policy(tmp_path, 'allow = ["example.com"]\nallow_local = ["0.0.0.0/0", "[::]/0"]')
    with running_proxy(policy, tmp_path, resolver=FakeResolver()) as proxy:
        reply = socks_request(proxy.port, 3, domain(raw_name), 80)
    assert reply[3] == 2


def test_socks4_is_not_spoken(tmp_path, upstream):
    policy = write_policy(tmp_path, f'allow_local = ["127.0.0.1:{upstream.port}"]')
    with running_proxy(policy, tmp_path) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
            sock.sendall(b"\x04\x01" + struct.pack("!H", upstream.port) + socket.inet_aton("127.0.0.1") + b"\x00")
            reply = sock.recv(100)
    assert not reply.startswith(b"\x00\x5a")  # never "request granted"
    assert upstream.connections == 0
