"""HTTP forwarding and CONNECT through the real proxy, with real curl and real loopback servers.

Loopback is denied by default, so these tests open the upstream's exact port through
``allow_local``, and check that without it the same request is refused.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from test_proxy_helpers import FakeResolver, Upstream, exchange, running_proxy, tls_files, write_policy

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


@pytest.fixture
def upstream():
    server = Upstream()
    yield server
    server.close()


def curl(*args, timeout=20):
    return subprocess.run(["curl", "-sS", "--max-time", "10", *args], capture_output=True, text=True, timeout=timeout)


def allowing(tmp_path, upstream, extra=""):
    return write_policy(tmp_path, f'allow_local = ["127.0.0.1:{upstream.port}"]\n{extra}')


def test_allowed_loopback_upstream_is_reached_through_allow_local(tmp_path, upstream):
    with running_proxy(allowing(tmp_path, upstream), tmp_path) as proxy:
        result = curl("-x", f"http://127.0.0.1:{proxy.port}", f"http://127.0.0.1:{upstream.port}/a?b=c")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"GET /a?b=c host=127.0.0.1:{upstream.port} body=0\n"
    [request] = upstream.requests
    assert request["path"] == "/a?b=c"  # origin-form upstream, never the absolute URL


def test_loopback_upstream_is_denied_without_allow_local(tmp_path, upstream):
    policy = write_policy(tmp_path, 'allow = ["example.com"]')
    with running_proxy(policy, tmp_path) as proxy:
        result = curl("-i", "-x", f"http://127.0.0.1:{proxy.port}", f"http://127.0.0.1:{upstream.port}/")
        denials = proxy.gate.log.read()
    assert result.stdout.startswith("HTTP/1.1 403")
    assert "rule: 127.0.0.1 is a loopback address; no [network] allow_local entry names it" in result.stdout
    assert f'add allow_local = ["127.0.0.1:{upstream.port}"] under [network] in {tmp_path}/sandbox.toml (line 3)' in result.stdout
    assert upstream.connections == 0
    assert [(d.host, d.port, d.via) for d in denials] == [("127.0.0.1", upstream.port, "http")]


def test_denied_domain_gets_403_naming_rule_and_line(tmp_path):
    policy = write_policy(tmp_path, 'allow = [\n  "pypi.org",\n]')
    resolver = FakeResolver()
    with running_proxy(policy, tmp_path, resolver=resolver) as proxy:
        result = curl("-i", "-x", f"http://127.0.0.1:{proxy.port}", "http://denied.example/")
    assert result.stdout.startswith("HTTP/1.1 403 Forbidden")
    assert 'rule: no [network] allow entry matches "denied.example"' in result.stdout
    assert (f'to allow it: add "denied.example" to [network] allow in {tmp_path}/sandbox.toml (line 4), '
            "or run: guard allow denied.example") in result.stdout
    assert resolver.asked == []


def test_connect_tunnel_carries_tls_end_to_end(tmp_path):
    context, ca = tls_files(tmp_path)
    server = Upstream(tls=context)
    try:
        with running_proxy(allowing(tmp_path, server), tmp_path) as proxy:
            result = curl("--cacert", ca, "-x", f"http://127.0.0.1:{proxy.port}",
                          f"https://127.0.0.1:{server.port}/secure")
    finally:
        server.close()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("GET /secure")


def test_connect_to_a_port_not_in_allow_local_is_denied(tmp_path, upstream):
    with running_proxy(allowing(tmp_path, upstream), tmp_path) as proxy:
        reply = exchange(proxy.port, f"CONNECT 127.0.0.1:{upstream.port + 1} HTTP/1.1\r\n\r\n".encode())
    assert reply.startswith(b"HTTP/1.1 403")
    assert b"no [network] allow_local entry names it" in reply


@pytest.mark.parametrize("target", ["2130706433", "0x7f.1", "127.1", "0177.0.0.1", "[::ffff:127.0.0.1]",
                                    "localhost", "[::1]", "0.0.0.0"])
def test_loopback_in_disguise_is_denied_through_connect(tmp_path, upstream, target):
    policy = write_policy(tmp_path, 'allow = ["localhost", "127.0.0.1"]')
    with running_proxy(policy, tmp_path) as proxy:
        reply = exchange(proxy.port, f"CONNECT {target}:{upstream.port} HTTP/1.1\r\n\r\n".encode())
    assert reply.startswith(b"HTTP/1.1 403"), reply
    assert upstream.connections == 0


def test_proxy_cannot_be_pointed_at_itself(tmp_path):
    policy = write_policy(tmp_path, 'allow_local = ["127.0.0.0/8"]')
    with running_proxy(policy, tmp_path) as proxy:
        reply = exchange(proxy.port, f"CONNECT 127.0.0.1:{proxy.port} HTTP/1.1\r\n\r\n".encode())
    assert reply.startswith(b"HTTP/1.1 403") and b"the guard proxy itself" in reply


# ---- the Host header must agree with the target ------------------------------------------

@pytest.mark.parametrize("host_header", ["evil.example", "127.0.0.1", "127.0.0.1:1", "127.0.0.2:{port}",
                                         "127.0.0.1:{port}@evil.example", "", "[::1]:{port}"])
def test_host_header_naming_another_site_is_denied(tmp_path, upstream, host_header):
    host_header = host_header.format(port=upstream.port)
    request = (f"GET http://127.0.0.1:{upstream.port}/ HTTP/1.1\r\nHost: {host_header}\r\n\r\n").encode()
    with running_proxy(allowing(tmp_path, upstream), tmp_path) as proxy:
        reply = exchange(proxy.port, request)
    assert reply.startswith((b"HTTP/1.1 403", b"HTTP/1.1 400")), reply
    assert upstream.connections == 0


@pytest.mark.parametrize("host_header", ["127.0.0.1:{port}", "0x7f.1:{port}", "2130706433:{port}"])
def test_host_header_agreeing_with_the_target_passes(tmp_path, upstream, host_header):
    host_header = host_header.format(port=upstream.port)
    request = f"GET http://127.0.0.1:{upstream.port}/ok HTTP/1.1\r\nHost: {host_header}\r\n\r\n".encode()
    with running_proxy(allowing(tmp_path, upstream), tmp_path) as proxy:
        reply = exchange(proxy.port, request)
    assert reply.startswith(b"HTTP/1.1 200"), reply
    assert upstream.requests[0]["headers"][0] == ("Host", host_header)


def test_two_host_headers_are_denied(tmp_path, upstream):
    request = (f"GET http://127.0.0.1:{upstream.port}/ HTTP/1.1\r\nHost: 127.0.0.1:{upstream.port}\r\n"
               f"Host: evil.example\r\n\r\n").encode()
    with running_proxy(allowing(tmp_path, upstream), tmp_path) as proxy:
        reply = exchange(proxy.port, request)
        [denial] = proxy.gate.log.read()
    assert reply.startswith(b"HTTP/1.1 403") and upstream.connections == 0
    assert denial.rule == "more than one Host header"


def test_missing_host_header_is_added_from_the_target(tmp_path, upstream):
    with running_proxy(allowing(tmp_path, upstream), tmp_path) as proxy:
        reply = exchange(proxy.port, f"GET http://127.0.0.1:{upstream.port}/ HTTP/1.0\r\n\r\n".encode())
    assert reply.startswith(b"HTTP/1.1 200")
    assert ("Host", f"127.0.0.1:{upstream.port}") in upstream.requests[0]["headers"]


# ---- injection and smuggling -------------------------------------------------------------

INJECTIONS = [
    "GET http://127.0.0.1:{port}/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX: a\rHost: evil.example\r\n\r\n",
    "GET http://127.0.0.1:{port}/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\nHost: evil.example\r\n\r\n",
    "GET http://127.0.0.1:{port}/\rGET http://evil.example/ HTTP/1.1\r\n\r\n",
    "GET http://127.0.0.1:{port}/ HTTP/1.1\nHost: evil.example\r\n\r\n",
    "GET http://127.0.0.1:{port}/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n X-Folded: evil\r\n\r\n",
    "GET http://127.0.0.1:{port}/ HTTP/1.1\r\nHost : evil.example\r\n\r\n",
    "GET http://127.0.0.1:{port}/ HTTP/1.1\r\nX: a\x00b\r\n\r\n",
    "POST http://127.0.0.1:{port}/ HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "POST http://127.0.0.1:{port}/ HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "POST http://127.0.0.1:{port}/ HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "GET http://127.0.0.1:{port}@evil.example/ HTTP/1.1\r\n\r\n",
    "GET http://evil.example\\@127.0.0.1:{port}/ HTTP/1.1\r\n\r\n",
    "GET http://127.0.0.1%3a{port}/ HTTP/1.1\r\n\r\n",
    "GET https://127.0.0.1:{port}/ HTTP/1.1\r\n\r\n",
    "GET /relative HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n",
    "GET http://127.0.0.1:{port}/ HTTP/2.0\r\n\r\n",
    "GET  http://127.0.0.1:{port}/ HTTP/1.1\r\n\r\n",
]


@pytest.mark.parametrize("raw", INJECTIONS)
def test_injected_and_ambiguous_requests_never_reach_upstream(tmp_path, upstream, raw):
    with running_proxy(allowing(tmp_path, upstream), tmp_path) as proxy:
        reply = exchange(proxy.port, raw.format(port=upstream.port).encode("latin-1"))
    assert reply.startswith((b"HTTP/1.1 400", b"HTTP/1.1 403", b"HTTP/1.1 501", b"HTTP/1.1 505")), reply
    assert upstream.connections == 0


def test_a_pipelined_second_request_is_never_forwarded(tmp_path, upstream):
    port = upstream.port
    raw = (f"GET http://127.0.0.1:{port}/first HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
           f"GET http://127.0.0.1:{port}/second HTTP/1.1\r\nHost: evil.example\r\n\r\n").encode()
    with running_proxy(allowing(tmp_path, upstream), tmp_path) as proxy:
        reply = exchange(proxy.port, raw)
    assert reply.count(b"HTTP/1.1 200") == 1
    assert [r["path"] for r in upstream.requests] == ["/first"]


def test_bytes_after_a_body_are_not_forwarded(tmp_path, upstream):
    port = upstream.port
    raw = (f"POST http://127.0.0.1:{port}/p HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 5\r\n\r\n"
           f"helloGET /smuggled HTTP/1.1\r\nHost: evil.example\r\n\r\n").encode()
    with running_proxy(allowing(tmp_path, upstream), tmp_path) as proxy:
        reply = exchange(proxy.port, raw)
    assert reply.startswith(b"HTTP/1.1 200")
    assert [(r["path"], r["body"]) for r in upstream.requests] == [("/p", b"hello")]


def test_chunked_body_is_forwarded_exactly(tmp_path, upstream):
    port = upstream.port
    raw = (f"POST http://127.0.0.1:{port}/c HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTransfer-Encoding: chunked\r\n\r\n"
           "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n").encode()
    with running_proxy(allowing(tmp_path, upstream), tmp_path) as proxy:
        reply = exchange(proxy.port, raw)
    assert reply.startswith(b"HTTP/1.1 200"), reply
    assert upstream.requests[0]["body"] == b"hello world"


def test_curl_post_body_arrives(tmp_path, upstream):
    with running_proxy(allowing(tmp_path, upstream), tmp_path) as proxy:
        result = curl("-x", f"http://127.0.0.1:{proxy.port}", "--data-binary", "x" * 100_000,
                      f"http://127.0.0.1:{upstream.port}/upload")
    assert result.stdout == f"POST /upload host=127.0.0.1:{upstream.port} body=100000\n"


def test_proxy_credentials_and_hop_by_hop_headers_stay_with_the_proxy(tmp_path, upstream):
    port = upstream.port
    raw = (f"GET http://127.0.0.1:{port}/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
           "Proxy-Authorization: Basic c2VjcmV0\r\nProxy-Connection: keep-alive\r\nConnection: close, X-Private\r\n"
           "X-Private: 1\r\nKeep-Alive: 300\r\nX-Kept: yes\r\n\r\n").encode()
    with running_proxy(allowing(tmp_path, upstream), tmp_path) as proxy:
        exchange(proxy.port, raw)
    names = [name.lower() for name, _ in upstream.requests[0]["headers"]]
    assert "proxy-authorization" not in names and "proxy-connection" not in names
    assert "x-private" not in names and "keep-alive" not in names
    assert "x-kept" in names


# ---- upstream failures become 502 with the reason --------------------------------------------

def test_refused_upstream_is_502_with_reason(tmp_path):
    import socket

    spare = socket.socket()
    spare.bind(("127.0.0.1", 0))
    port = spare.getsockname()[1]
    spare.close()  # nothing listens there now
    policy = write_policy(tmp_path, f'allow_local = ["127.0.0.1:{port}"]')
    with running_proxy(policy, tmp_path) as proxy:
        reply = exchange(proxy.port, f"GET http://127.0.0.1:{port}/ HTTP/1.1\r\n\r\n".encode())
        tunnel = exchange(proxy.port, f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n".encode())
    assert reply.startswith(b"HTTP/1.1 502") and b"connection refused" in reply
    assert tunnel.startswith(b"HTTP/1.1 502")


def test_unresolvable_allowed_name_is_502(tmp_path):
    policy = write_policy(tmp_path, 'allow = ["nowhere.example"]')
    with running_proxy(policy, tmp_path, resolver=FakeResolver()) as proxy:
        reply = exchange(proxy.port, b"GET http://nowhere.example/ HTTP/1.1\r\nHost: nowhere.example\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 502") and b"cannot resolve nowhere.example" in reply


def test_allowed_name_is_dialled_at_the_vetted_address(tmp_path, upstream):
    # The scripted resolver answers once; the proxy must dial that answer, not look it up again.
    resolver = FakeResolver({"app.example": ["127.0.0.1"]})
    policy = write_policy(tmp_path, f'allow = ["app.example"]\nallow_local = ["127.0.0.1:{upstream.port}"]')
    with running_proxy(policy, tmp_path, resolver=resolver) as proxy:
        result = curl("-x", f"http://127.0.0.1:{proxy.port}", f"http://app.example:{upstream.port}/v")
    assert result.stdout == f"GET /v host=app.example:{upstream.port} body=0\n"
    assert resolver.asked == ["app.example"]


def test_learn_mode_records_what_the_command_needed(tmp_path, monkeypatch):
    from guard.proxy import server

    async def no_dial(self, verdict):  # the point is what was recorded; reach no real host
        raise server.UpstreamError("not dialled in this test", 1)

    monkeypatch.setattr(server.ProxyServer, "_dial", no_dial)
    resolver = FakeResolver({"one.example": ["192.0.2.1"], "two.example": ["93.184.215.14"],
                             "three.example": ["93.184.215.15"]})
    policy = write_policy(tmp_path, "allow = []")
    with running_proxy(policy, tmp_path, resolver=resolver, learn=True) as proxy:
        local = exchange(proxy.port, b"CONNECT one.example:443 HTTP/1.1\r\n\r\n")
        two = exchange(proxy.port, b"CONNECT two.example:443 HTTP/1.1\r\n\r\n")
        exchange(proxy.port, b"GET http://three.example/ HTTP/1.1\r\n\r\n")
        learned = proxy.learned()
    assert local.startswith(b"HTTP/1.1 403")  # 192.0.2.1 is not public: still denied
    assert two.startswith(b"HTTP/1.1 502")  # let through (and then not dialled here)
    assert learned == ("three.example", "two.example")


@pytest.mark.parametrize("via", ["http", "connect", "socks5"])
def test_a_slow_reader_gets_every_byte_after_upstream_closes(tmp_path, upstream, via):
    import socket
    import struct
    import time

    size = 4 * 1024 * 1024
    with running_proxy(allowing(tmp_path, upstream), tmp_path) as proxy:
        sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
        request = f"GET /bulk/{size} HTTP/1.1\r\nHost: 127.0.0.1:{upstream.port}\r\n\r\n".encode()
        if via == "http":
            sock.sendall(request.replace(b"/bulk", f"http://127.0.0.1:{upstream.port}/bulk".encode(), 1))
        elif via == "connect":
            sock.sendall(f"CONNECT 127.0.0.1:{upstream.port} HTTP/1.1\r\n\r\n".encode())
            assert sock.recv(39).startswith(b"HTTP/1.1 200")
            sock.sendall(request)
        else:
            sock.sendall(b"\x05\x01\x00")
            assert sock.recv(2) == b"\x05\x00"
            sock.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", upstream.port))
            assert sock.recv(10)[1] == 0
            sock.sendall(request)
        time.sleep(0.5)  # read nothing for a while: the upstream finishes and closes first
        data = b""
        while chunk := sock.recv(1 << 20):
            data += chunk
        sock.close()
    body = data.split(b"\r\n\r\n", 1)[1]
    assert len(body) == size
    assert body == (bytes(range(256)) * (size // 256))
