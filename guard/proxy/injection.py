"""Opt-in token injection for HTTPS APIs (say ``gh`` against api.github.com).

For a host named for injection, a CONNECT is not tunnelled: the proxy answers the TLS itself
with a leaf from the session CA (guard.broker.ca), reads one request, and when its
Authorization carries the surrogate issued for *that* host (``Bearer``/``token`` value or the
Basic password), swaps in the real token before forwarding over verified TLS. Everything else
is forwarded as sent; a surrogate of another host is refused, so a surrogate never unlocks a
host it was not issued for. One request per connection (``Connection: close``), like the
plain HTTP path, so every request head is seen.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ssl
from typing import Iterable

from guard.proxy.forwarding import Framer, Refused, RequestBody, _reply, dial_verified
from guard.proxy.http import HOP_BY_HOP, BadRequest, authority_of, body_framing, parse_head
from guard.proxy.relay import within
from guard.proxy.target import canonical_host


class TokenInjector:
    def __init__(self, broker, hosts: Iterable[str], ca, *, cafile: str | None = None,
                 idle_timeout: float = 300.0, connect_timeout: float = 10.0, head_timeout: float = 10.0) -> None:
        self.broker, self.ca = broker, ca
        # "host" (port 443) or "host:port"; compared as canonical (host, port) pairs
        self.hosts = frozenset((canonical_host(h), p) for h, p in (authority_of(e, 443) for e in hosts))
        self.idle_timeout, self.connect_timeout, self.head_timeout = idle_timeout, connect_timeout, head_timeout
        self.tls = ssl.create_default_context()
        if cafile:
            self.tls.load_verify_locations(cafile)

    def claims(self, host: str, port: int) -> bool:
        return (host, port) in self.hosts

    async def intercept(self, reader, writer, verdict) -> None:
        host = verdict.host
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await writer.start_tls(self.ca.server_context(host), ssl_handshake_timeout=self.head_timeout)
        port_key = host if verdict.port == 443 else f"{host}:{verdict.port}"  # the credential's key
        try:
            data = await within(self.head_timeout, reader.readuntil(b"\r\n\r\n"))
            head = parse_head(data)
            body = body_framing(head)
            names = head.values("host")
            if not head.target.startswith("/") or len(names) != 1 \
                    or authority_of(names[0], 443) != (host, verdict.port):
                raise Refused(400, f"guard: an intercepted request must be origin-form for {host}")
            given = head.values("authorization")
            loop = asyncio.get_running_loop()  # the keyring may block (D-Bus): off the event loop
            authorization = await loop.run_in_executor(None, lambda: [self._swap(port_key, v) for v in given])
            up_reader, up_writer = await dial_verified(verdict, self.tls, self.connect_timeout)
        except BadRequest as exc:
            writer.write(_reply(exc.status, f"guard: {exc.reason}"))
            return await writer.drain()
        except Refused as exc:
            writer.write(_reply(exc.status, exc.text))
            return await writer.drain()
        try:
            lines = [f"{head.method} {head.target} {head.version}"]
            for name, value in head.headers:
                if name.lower() not in HOP_BY_HOP and name.lower() not in ("authorization", "content-length"):
                    lines.append(f"{name}: {value}")
            lines += [f"Authorization: {value}" for value in authorization]
            if body.chunked:
                lines.append("Transfer-Encoding: chunked")
            elif body.length or head.method in ("POST", "PUT", "PATCH"):
                lines.append(f"Content-Length: {body.length}")
            lines.append("Connection: close")
            up_writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            incoming, framer = RequestBody(reader, body), Framer(up_writer, body.chunked)
            while chunk := await within(self.idle_timeout, incoming.read(65536)):
                framer.write(chunk)
                await up_writer.drain()
            framer.end()
            await up_writer.drain()
            while chunk := await within(self.idle_timeout, up_reader.read(65536)):
                writer.write(chunk)
                await writer.drain()
        finally:
            up_writer.transport.abort()

    def _swap(self, host: str, value: str) -> str:
        """``value`` with this host's surrogate replaced by the real token; refuses a foreign one."""
        scheme, _, credential = value.partition(" ")
        credential = credential.strip()
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(credential, validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return value
            token = self._token_for(host, password)
            return value if token is None else "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()
        token = self._token_for(host, credential)
        return value if token is None else f"{scheme} {token}"

    def _token_for(self, host: str, presented: str) -> str | None:
        if self.broker.surrogates.verify(host, presented):
            token = self.broker.lookup(host)
            if token is None:
                raise Refused(502, f"guard: no token is stored for {host}; run `guard creds set {host}`")
            return token
        bound = self.broker.surrogates.bound_host(presented)
        if bound is not None:  # a surrogate sent to a host it was not issued for
            raise Refused(403, f"guard: the surrogate for {bound} is not valid for {host}")
        return None
