"""The proxy under hostile clients: slow, huge, idle, malformed; and a clean shutdown.

Timeouts are made small through ``Limits`` so the tests are quick; no assertion is about
speed, only about what the proxy does (close, refuse, keep serving).
"""

from __future__ import annotations

import socket
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guard.proxy.server import Limits
from test_proxy_helpers import Upstream, exchange, running_proxy, write_policy


@pytest.fixture
def upstream():
    server = Upstream()
    yield server
    server.close()


def policy_for(tmp_path, upstream):
    return write_policy(tmp_path, f'allow_local = ["127.0.0.1:{upstream.port}"]')


def get(proxy, upstream, path="/ok") -> bytes:
    return exchange(proxy.port, f"GET http://127.0.0.1:{upstream.port}{path} HTTP/1.1\r\n"
                                f"Host: 127.0.0.1:{upstream.port}\r\n\r\n".encode())


def test_slowloris_head_is_cut_off_even_while_bytes_keep_coming(tmp_path, upstream):
    limits = Limits(head_timeout=0.5)
    with running_proxy(policy_for(tmp_path, upstream), tmp_path, limits=limits) as proxy:
        sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
        sock.sendall(b"GET http://127.0.0.1/ HTTP/1.1\r\n")
        closed, reply = False, b""
        for _ in range(100):  # one header byte every 50 ms: never idle, never finished
            try:
                sock.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.05)
            sock.setblocking(False)
            try:
                reply += sock.recv(4096)
            except BlockingIOError:
                pass
            finally:
                sock.setblocking(True)
            if reply:
                closed = True
                break
        sock.close()
    assert closed, "the proxy kept waiting for a head that never ends"
    assert reply == b"" or reply.startswith(b"HTTP/1.1 408")


def test_silent_clients_do_not_starve_real_ones(tmp_path, upstream):
    limits = Limits(head_timeout=30)
    with running_proxy(policy_for(tmp_path, upstream), tmp_path, limits=limits) as proxy:
        idle = [socket.create_connection(("127.0.0.1", proxy.port)) for _ in range(200)]
        for sock in idle[:100]:
            sock.sendall(b"GET http://")  # half a request line
        reply = get(proxy, upstream)
        for sock in idle:
            sock.close()
    assert reply.startswith(b"HTTP/1.1 200")


def test_idle_tunnel_is_closed(tmp_path, upstream):
    limits = Limits(idle_timeout=0.5)
    with running_proxy(policy_for(tmp_path, upstream), tmp_path, limits=limits) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
            sock.sendall(f"CONNECT 127.0.0.1:{upstream.port} HTTP/1.1\r\n\r\n".encode())
            assert sock.recv(100).startswith(b"HTTP/1.1 200")
            assert sock.recv(100) == b""  # nothing moved: the proxy hung up (socket timeout: 10 s)


def test_busy_tunnel_outlives_the_idle_timeout(tmp_path, upstream):
    limits = Limits(idle_timeout=0.5)
    with running_proxy(policy_for(tmp_path, upstream), tmp_path, limits=limits) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
            sock.sendall(f"CONNECT 127.0.0.1:{upstream.port} HTTP/1.1\r\n\r\n".encode())
            assert sock.recv(100).startswith(b"HTTP/1.1 200")
            host = f"127.0.0.1:{upstream.port}"
            sock.sendall(f"POST /slow HTTP/1.1\r\nHost: {host}\r\nContent-Length: 10\r\n\r\n".encode())
            for _ in range(10):  # 1.5 s in all, a byte every 0.15 s: active, so kept open
                time.sleep(0.15)
                sock.sendall(b"x")
            assert sock.recv(100).startswith(b"HTTP/1.1 200")


def test_oversized_head_is_refused(tmp_path, upstream):
    with running_proxy(policy_for(tmp_path, upstream), tmp_path, limits=Limits(head_bytes=4096)) as proxy:
        big = (f"GET http://127.0.0.1:{upstream.port}/ HTTP/1.1\r\nX-Big: {'a' * 5000}\r\n\r\n").encode()
        huge = b"GET http://127.0.0.1/" + b"a" * 200_000  # no end of head at all
        assert exchange(proxy.port, big).startswith(b"HTTP/1.1 431")
        assert exchange(proxy.port, huge).startswith(b"HTTP/1.1 431")
    assert upstream.connections == 0


def test_too_many_headers_are_refused(tmp_path, upstream):
    with running_proxy(policy_for(tmp_path, upstream), tmp_path, limits=Limits(headers=10)) as proxy:
        head = f"GET http://127.0.0.1:{upstream.port}/ HTTP/1.1\r\n" + "X: y\r\n" * 11 + "\r\n"
        assert exchange(proxy.port, head.encode()).startswith(b"HTTP/1.1 431")


def test_connections_beyond_the_cap_are_closed_at_once(tmp_path, upstream):
    with running_proxy(policy_for(tmp_path, upstream), tmp_path, limits=Limits(max_connections=5)) as proxy:
        held = [socket.create_connection(("127.0.0.1", proxy.port)) for _ in range(5)]
        time.sleep(0.2)  # let the proxy accept them
        extra = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
        assert extra.recv(100) == b""
        extra.close()
        for sock in held:
            sock.close()


def test_stop_closes_every_connection_and_socket(tmp_path, upstream):
    with running_proxy(policy_for(tmp_path, upstream), tmp_path) as proxy:
        tunnel = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
        tunnel.sendall(f"CONNECT 127.0.0.1:{upstream.port} HTTP/1.1\r\n\r\n".encode())
        assert tunnel.recv(100).startswith(b"HTTP/1.1 200")
        waiting = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
        waiting.sendall(b"GET http://")
        time.sleep(0.1)
        proxy.stop()
        assert tunnel.recv(100) == b""
        assert waiting.recv(100) == b""
        assert proxy.listener.fileno() == -1
        assert proxy.server.connections == 0
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        tunnel.close()
        waiting.close()


def test_start_refuses_a_socket_that_is_not_listening(tmp_path):
    from guard.errors import GuardError
    from guard.plugins import Plugins
    from guard.proxy.thread import ProxyThread

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound, but listen() was never called
    proxy = ProxyThread(write_policy(tmp_path, "allow = []"), Plugins.load(), [sock])
    with pytest.raises(GuardError, match="could not start"):
        proxy.start()
    proxy.stop()
    assert sock.fileno() == -1


def test_serves_every_socket_it_is_handed(tmp_path, upstream):
    from guard.denials import DenialLog
    from guard.plugins import Plugins
    from guard.proxy.thread import ProxyThread

    listeners = []
    for _ in range(2):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        listeners.append(sock)
    ports = [s.getsockname()[1] for s in listeners]
    with ProxyThread(policy_for(tmp_path, upstream), Plugins.load(), listeners,
                     log=DenialLog(tmp_path / "d.jsonl")) as proxy:
        for port in ports:
            reply = exchange(port, f"GET http://127.0.0.1:{upstream.port}/ HTTP/1.1\r\n\r\n".encode())
            assert reply.startswith(b"HTTP/1.1 200")
        assert sorted(p for _, p in proxy.endpoints) == sorted(ports)


# ---- fuzzing the live proxy -------------------------------------------------------------------

@pytest.fixture(scope="module")
def live(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    server = Upstream()
    with running_proxy(policy_for(folder, server), folder, limits=Limits(head_timeout=0.3, idle_timeout=0.5)) as proxy:
        yield proxy, server
    server.close()


METHODS = st.sampled_from([b"GET", b"POST", b"CONNECT", b"\x05", b"PUT", b"G", b""])
PIECES = st.sampled_from([b" ", b"\r\n", b"\r", b"\n", b":", b"http://", b"127.0.0.1", b"[::1]", b"%", b"@",
                          b"Host: ", b"Content-Length: ", b"Transfer-Encoding: chunked", b"\x00", b"\xff",
                          b"HTTP/1.1", b"0x7f.1", b"99999999999999999999", b"\r\n\r\n", b"\x05\x01\x00"])
NOISE = st.lists(st.one_of(PIECES, st.binary(max_size=20)), max_size=25).map(b"".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=METHODS, rest=NOISE)
def test_malformed_input_never_breaks_the_proxy(live, start, rest):
    proxy, server = live
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        try:
            sock.sendall(start + rest)
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(65536):
                pass
        except (ConnectionResetError, BrokenPipeError):
            pass
    assert proxy.server.errors == []


def test_proxy_still_serves_after_the_fuzzing(live):
    proxy, server = live
    assert get(proxy, server).startswith(b"HTTP/1.1 200")
