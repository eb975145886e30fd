"""The tunnel relay (guard.proxy.relay) under the loads that its fast path must get right:
bytes pipelined behind CONNECT, half-close, back-pressure from a slow reader, many tunnels
sharing one read buffer, and no error logged by the event loop along the way.

(Proxy-level, no sandbox: named into this file family because that is what this work owns.)
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading

import pytest

from test_proxy_helpers import running_proxy, write_policy


class ThreadServer:
    """A loopback TCP server running ``handle(conn)`` per connection in a thread."""

    def __init__(self, handle) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.handle = handle
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn) -> None:
        with conn:
            try:
                self.handle(conn)
            except OSError:
                pass

    def close(self) -> None:
        self.sock.close()


def read_until_eof(sock) -> bytes:
    chunks = []
    while chunk := sock.recv(1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def open_tunnel(proxy_port: int, port: int, extra: bytes = b"", via: str = "connect") -> socket.socket:
    s = socket.create_connection(("127.0.0.1", proxy_port), timeout=30)
    if via == "connect":
        s.sendall(f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n".encode() + extra)
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(1)
        assert head.startswith(b"HTTP/1.1 200"), head
    else:
        s.sendall(b"\x05\x01\x00")
        assert s.recv(2) == b"\x05\x00"
        s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + port.to_bytes(2, "big") + extra)
        reply = b""
        while len(reply) < 10:
            reply += s.recv(10 - len(reply))
        assert reply[1] == 0, reply
    return s


@pytest.fixture
def loop_errors(caplog):
    """Errors the event loop logged (an exception inside a protocol callback lands here)."""
    caplog.set_level(logging.WARNING, logger="asyncio")
    yield lambda: [r.getMessage() for r in caplog.records if r.name == "asyncio"]


def echo_until_eof(conn) -> None:
    """Reads everything, then answers with its length and digest: proves half-close passed."""
    data = read_until_eof(conn)
    conn.sendall(f"{len(data)} {hashlib.sha256(data).hexdigest()}".encode())


@pytest.mark.parametrize("via", ["connect", "socks5"])
def test_bytes_sent_right_behind_the_request_arrive_first(tmp_path, loop_errors, via):
    server = ThreadServer(echo_until_eof)
    try:
        policy = write_policy(tmp_path, f'allow_local = ["127.0.0.1:{server.port}"]')
        with running_proxy(policy, tmp_path) as proxy:
            s = open_tunnel(proxy.port, server.port, extra=b"hello-pipelined|", via=via)
            s.sendall(b"rest")
            s.shutdown(socket.SHUT_WR)
            expected = b"hello-pipelined|rest"
            assert read_until_eof(s).decode() == f"{len(expected)} {hashlib.sha256(expected).hexdigest()}"
            s.close()
    finally:
        server.close()
    assert loop_errors() == []


def test_large_transfers_both_ways_in_many_tunnels_stay_intact(tmp_path, loop_errors):
    """Several tunnels at once share the relay's read buffer: no byte may cross over."""
    size = 8 * 1024 * 1024
    server = ThreadServer(echo_until_eof)
    payloads = [os.urandom(size // 8) * 8 for _ in range(4)]
    answers: dict[int, str] = {}
    try:
        policy = write_policy(tmp_path, f'allow_local = ["127.0.0.1:{server.port}"]')
        with running_proxy(policy, tmp_path) as proxy:
            def one(i):
                s = open_tunnel(proxy.port, server.port, via=("connect", "socks5")[i % 2])
                s.sendall(payloads[i])
                s.shutdown(socket.SHUT_WR)
                answers[i] = read_until_eof(s).decode()
                s.close()

            threads = [threading.Thread(target=one, args=(i,)) for i in range(len(payloads))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
    finally:
        server.close()
    assert answers == {i: f"{size} {hashlib.sha256(p).hexdigest()}" for i, p in enumerate(payloads)}
    assert loop_errors() == []


def test_a_reader_that_stops_pauses_the_sender(tmp_path, loop_errors):
    """Back-pressure: while the client reads nothing, the upstream's sends block (the proxy does
    not queue the whole download in memory); once the client reads, every byte arrives."""
    total = 256 * 1024 * 1024
    block = os.urandom(1 << 20)
    stalled = threading.Event()
    resume = threading.Event()
    sent_before_stall: list[int] = []

    def flood(conn) -> None:
        conn.settimeout(2)  # a send that cannot progress for 2 s: the pipe is full
        sent = 0
        while sent < total:
            try:
                sent += conn.send(block)
            except socket.timeout:
                if not stalled.is_set():
                    sent_before_stall.append(sent)
                    stalled.set()
                    resume.wait(60)
                    conn.settimeout(None)
        conn.shutdown(socket.SHUT_WR)

    server = ThreadServer(flood)
    try:
        policy = write_policy(tmp_path, f'allow_local = ["127.0.0.1:{server.port}"]')
        with running_proxy(policy, tmp_path) as proxy:
            s = open_tunnel(proxy.port, server.port)
            assert stalled.wait(120), "the upstream never blocked: the proxy buffered everything"
            resume.set()
            received = 0
            while chunk := s.recv(1 << 20):
                received += len(chunk)
            s.close()
    finally:
        server.close()
    assert sent_before_stall[0] < total // 4
    assert received == total
    assert loop_errors() == []


def test_half_closed_upstream_still_hears_the_client(tmp_path, loop_errors):
    """The upstream says its piece and shuts its sending side; the client talks on after that."""

    heard: list[bytes] = []
    done = threading.Event()

    def speak_first(conn) -> None:
        conn.sendall(b"banner")
        conn.shutdown(socket.SHUT_WR)
        heard.append(read_until_eof(conn))
        done.set()

    server = ThreadServer(speak_first)
    try:
        policy = write_policy(tmp_path, f'allow_local = ["127.0.0.1:{server.port}"]')
        with running_proxy(policy, tmp_path) as proxy:
            s = open_tunnel(proxy.port, server.port)
            assert read_until_eof(s) == b"banner"  # the upstream's EOF came through ...
            s.sendall(b"after the half-close")  # ... and the other direction still works
            s.shutdown(socket.SHUT_WR)
            assert s.recv(10) == b""  # both halves done: the proxy closes the tunnel
            s.close()
            assert done.wait(60)
    finally:
        server.close()
    assert heard == [b"after the half-close"]
    assert loop_errors() == []
