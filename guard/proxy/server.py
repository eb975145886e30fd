"""The asyncio proxy server: one listener protocol that speaks HTTP forwarding, CONNECT and SOCKS5.

It serves on listening sockets it is handed (``serve``), so the sockets can be created inside
the sandbox's network namespace and passed to this process: one hop, no relay. The first
byte of a connection picks the protocol (0x05: SOCKS5; anything else: HTTP).

Plain HTTP requests are forwarded one per connection, each on its own upstream connection
with ``Connection: close``: every request head is checked, and nothing the client sends after
the first request's body is ever read, so a second, unchecked request (with another Host)
cannot ride along to the first request's upstream.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from dataclasses import dataclass

from guard.proxy import socks
from guard.proxy.gate import EgressGate, Verdict, render_denial
from guard.proxy.http import BadRequest, absolute_target, authority_of, body_framing, parse_head, response, upstream_head
from guard.proxy.relay import TIMEOUT, Activity, copy_body, pump, run_with_idle, tunnel, within
from guard.proxy.target import canonical_host

_STATUS = {400: "Bad Request", 403: "Forbidden", 408: "Request Timeout", 431: "Request Header Fields Too Large",
           501: "Not Implemented", 502: "Bad Gateway", 505: "HTTP Version Not Supported"}
STREAM_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Limits:
    head_bytes: int = 16 * 1024  # request head, request line included
    headers: int = 100
    head_timeout: float = 10.0  # the whole head (or SOCKS handshake) must arrive in this time
    idle_timeout: float = 300.0  # nothing moved either way for this long: the connection closes
    connect_timeout: float = 10.0  # per vetted address
    resolve_timeout: float = 10.0
    max_connections: int = 4096  # beyond this, new clients are closed at once


class UpstreamError(Exception):
    def __init__(self, reason: str, socks_code: int) -> None:
        super().__init__(reason)
        self.reason, self.socks_code = reason, socks_code


class ProxyServer:
    def __init__(self, gate: EgressGate, limits: Limits | None = None, git_route=None, injector=None) -> None:
        self.gate = gate
        self.limits = limits or Limits()
        self.git_route = git_route  # guard.proxy.gitroute.GitRoute when [git] hosts is set
        self.injector = injector  # guard.proxy.injection.TokenInjector for opted-in API hosts
        self.errors: list[BaseException] = []  # unexpected exceptions, kept for tests and logs
        self._servers: list[asyncio.AbstractServer] = []
        self._tasks: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def serve(self, sockets: list[socket.socket]) -> None:
        """Start accepting on already-listening sockets; returns once all accept."""
        endpoints = []
        for sock in sockets:  # a wrong socket from the launcher is a bug: say so, serve nothing
            if sock.type != socket.SOCK_STREAM or not sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                raise ValueError(f"not a listening stream socket: {sock!r}")
        for sock in sockets:
            sock.setblocking(False)
            server = await asyncio.start_server(self._client, sock=sock, limit=STREAM_LIMIT)
            self._servers.append(server)
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                host, port = sock.getsockname()[:2]
                endpoints.append((host, port))
        self.gate.endpoints = tuple(endpoints)

    async def close(self) -> None:
        """Stop accepting, end every connection, close every socket."""
        for server in self._servers:
            server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in list(self._writers):
            writer.transport.abort()
        for server in self._servers:
            await server.wait_closed()

    @property
    def connections(self) -> int:
        return len(self._tasks)

    # -- one client ------------------------------------------------------------------------
    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            try:
                if len(self._tasks) <= self.limits.max_connections:
                    await self._dispatch(reader, writer)
            except (OSError, asyncio.IncompleteReadError, *TIMEOUT):
                pass
            except Exception as exc:  # noqa: BLE001 - one bad connection never takes the proxy down
                self.errors.append(exc)
                print(f"guard proxy: internal error on a connection: {exc!r}", file=sys.stderr)
            await self._finish(writer)
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.transport.abort()

    async def _dispatch(self, reader, writer) -> None:
        deadline = time.monotonic() + self.limits.head_timeout
        first = await within(self.limits.head_timeout, reader.readexactly(1))
        if first == b"\x05":
            await self._socks(reader, writer, deadline)
        elif first.isalpha():  # an HTTP method; anything else (SOCKS4, TLS, noise) ends here
            await self._http(first, reader, writer, deadline)
        else:
            await _reply(writer, 400, "not an HTTP or SOCKS5 request")

    async def _http(self, first: bytes, reader, writer, deadline: float) -> None:
        try:
            data = first + await within(deadline - time.monotonic(), reader.readuntil(b"\r\n\r\n"))
        except asyncio.LimitOverrunError:
            return await _reply(writer, 431, "request head too large")
        except TIMEOUT:
            return await _reply(writer, 408, "request head not received in time")
        try:
            if len(data) > self.limits.head_bytes:
                raise BadRequest(431, f"request head larger than {self.limits.head_bytes} bytes")
            head = parse_head(data, self.limits.headers)
            # -- credential broker: git requests addressed to the proxy's own /git/ route --
            route = self.git_route.path_of(head.target) if self.git_route is not None else None
            if route is not None:
                return await self.git_route.handle(head, route, reader, writer)
            # -- end of the broker hook --
            if head.method == "CONNECT":
                host_text, port = authority_of(head.target, None)
                via, path, body, mismatch = "connect", "", None, None
            else:
                host_text, port, path = absolute_target(head.target)
                body = body_framing(head)
                via = "http"
                mismatch = _host_mismatch(head.values("host"), host_text, port)
        except BadRequest as exc:
            return await _reply(writer, exc.status, exc.reason)
        if mismatch:
            verdict = self.gate.refuse(host_text, port, via, mismatch)
        else:
            verdict = await self.gate.check(host_text, port, via)
        if not verdict.allowed:
            if verdict.failure:
                return await _reply(writer, 502, verdict.failure)
            return await _reply(writer, 403, render_denial(verdict, via))
        # -- credential broker: CONNECT to an injection host is answered, not tunnelled --
        if via == "connect" and self.injector is not None and self.injector.claims(verdict.host, verdict.port):
            return await self.injector.intercept(reader, writer, verdict)
        # -- end of the broker hook --
        try:
            up_reader, up_writer = await self._dial(verdict)
        except UpstreamError as exc:
            return await _reply(writer, 502, exc.reason)
        self._writers.add(up_writer)
        try:
            if via == "connect":
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await tunnel((reader, writer), (up_reader, up_writer), self.limits.idle_timeout)
            else:
                given = head.values("host")
                host_header = given[0] if given else host_text + ("" if port == 80 else f":{port}")
                up_writer.write(upstream_head(head, path, host_header, body))
                activity = Activity()
                await run_with_idle(activity, self.limits.idle_timeout,
                                    _forward(reader, writer, up_reader, up_writer, body, activity))
        finally:
            await self._finish(up_writer)
            self._writers.discard(up_writer)

    async def _finish(self, writer: asyncio.StreamWriter) -> None:
        """Close after the last buffered bytes are out (abort() would drop a response's tail),
        but give a peer that stopped reading only ``idle_timeout`` to take them."""
        writer.close()
        try:
            await within(self.limits.idle_timeout, writer.wait_closed())
        except (OSError, *TIMEOUT):
            pass
        finally:
            writer.transport.abort()  # no-op once closed; on cancel (shutdown) it ends at once

    async def _socks(self, reader, writer, deadline: float) -> None:
        try:
            host_text, port = await within(deadline - time.monotonic(), socks.handshake(reader, writer))
        except socks.SocksError:
            return
        verdict = await self.gate.check(host_text, port, "socks5")
        if not verdict.allowed:
            code = socks.HOST_UNREACHABLE if verdict.failure else socks.NOT_ALLOWED
            writer.write(socks.reply(code))
            await writer.drain()
            return
        try:
            upstream = await self._dial(verdict)
        except UpstreamError as exc:
            writer.write(socks.reply(exc.socks_code))
            await writer.drain()
            return
        self._writers.add(upstream[1])
        try:
            # The bound address stays 0.0.0.0:0: the host's own addresses are none of the
            # sandbox's business.
            writer.write(socks.reply(socks.SUCCEEDED))
            await tunnel((reader, writer), upstream, self.limits.idle_timeout)
        finally:
            await self._finish(upstream[1])
            self._writers.discard(upstream[1])

    async def _dial(self, verdict: Verdict):
        """Connect to the vetted addresses in order; never to anything looked up again."""
        errors, code = [], socks.HOST_UNREACHABLE
        for address in verdict.addresses:
            try:
                return await within(self.limits.connect_timeout,
                                    asyncio.open_connection(address, verdict.port, limit=STREAM_LIMIT))
            except TIMEOUT:
                errors.append(f"{address}: connection timed out after {self.limits.connect_timeout:g}s")
                code = socks.TTL_EXPIRED
            except ConnectionRefusedError:
                errors.append(f"{address}: connection refused")
                code = socks.CONNECTION_REFUSED
            except OSError as exc:
                errors.append(f"{address}: {exc.strerror or exc}")
        target = f"{verdict.host}:{verdict.port}"
        raise UpstreamError(f"guard: cannot reach {target}: " + "; ".join(errors) + "\n", code)


async def _forward(reader, writer, up_reader, up_writer, body, activity) -> None:
    answer = asyncio.ensure_future(pump(up_reader, writer, activity))
    try:
        await copy_body(reader, up_writer, body, activity)
    except BaseException:
        answer.cancel()  # a broken body ends the exchange; the upstream gets no more bytes
        raise
    await answer


def _host_mismatch(hosts: list[str], host_text: str, port: int) -> str | None:
    """Why the Host header disagrees with the target (a way to reach another site through an
    allowed front, as in domain fronting), or None when it agrees or is absent."""
    if len(hosts) > 1:
        return "more than one Host header"
    if not hosts:
        return None
    try:
        header_host, header_port = authority_of(hosts[0], 80)
        same = canonical_host(header_host) == canonical_host(host_text) and header_port == port
    except (BadRequest, ValueError):
        same = False
    if same:
        return None
    return f"Host header {hosts[0][:80]!r} does not match the request target {host_text}:{port}"


async def _reply(writer: asyncio.StreamWriter, status: int, text: str) -> None:
    writer.write(response(status, _STATUS.get(status, "Error"), text if text.endswith("\n") else text + "\n"))
    await writer.drain()
