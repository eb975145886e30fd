"""Forwarding one request to an origin over verified TLS: the pieces the git route and token
injection share (a refusal, the verified dial, the client body de-chunked, the body re-framed).
"""

from __future__ import annotations

import asyncio
import ssl

from guard.broker.pktline import PktError
from guard.proxy.gate import render_denial
from guard.proxy.http import BadRequest, response
from guard.proxy.relay import TIMEOUT, within


class Refused(Exception):
    def __init__(self, status: int, text: str, log: bool = True) -> None:
        super().__init__(text)
        self.status, self.text, self.log = status, text, log



async def dial_verified(verdict, tls: ssl.SSLContext, timeout: float):
    """A verified TLS connection to the gate's vetted addresses for ``verdict`` (or Refused)."""
    if not verdict.allowed:
        if verdict.failure:
            raise Refused(502, f"guard: {verdict.failure}", log=False)
        raise Refused(403, render_denial(verdict, "git"), log=False)  # the gate logged it
    errors = []
    for address in verdict.addresses:
        try:
            return await within(timeout, asyncio.open_connection(
                address, verdict.port, ssl=tls, server_hostname=verdict.host, ssl_handshake_timeout=timeout))
        except ssl.SSLError as exc:  # a failed verification is never retried without it
            errors.append(f"{address}: TLS verification failed: {exc.reason or exc}")
        except (OSError, *TIMEOUT) as exc:
            errors.append(f"{address}: {getattr(exc, 'strerror', None) or exc!r}")
    raise Refused(502, f"guard: cannot reach {verdict.host}:{verdict.port}: " + "; ".join(errors), log=False)


class RequestBody:
    """The client's request body, de-chunked, read exactly once."""

    def __init__(self, reader: asyncio.StreamReader, body) -> None:
        self.reader, self.chunked = reader, body.chunked
        self.left = body.length  # bytes left in the body, or in the current chunk
        self.done = not body.chunked and not body.length

    async def read(self, n: int) -> bytes:
        if self.done:
            return b""
        if self.chunked and self.left == 0:
            line = await self._line()
            size_text = line.split(b";", 1)[0].strip(b" \t")
            if not size_text or len(size_text) > 16 or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
                raise BadRequest(400, "invalid chunk size")
            self.left = int(size_text, 16)
            if self.left == 0:
                while await self._line():  # trailer fields, up to the empty line
                    pass
                self.done = True
                return b""
        data = await self.reader.read(min(n, self.left))
        if not data:
            raise BadRequest(400, "request body ended early")
        self.left -= len(data)
        if self.left == 0:
            if self.chunked:
                if await self.reader.readexactly(2) != b"\r\n":
                    raise BadRequest(400, "chunk not followed by CRLF")
            else:
                self.done = True
        return data

    async def exact(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            more = await self.read(n - len(out))
            if not more:
                raise PktError("the request body ended in the middle of a pkt-line")
            out += more
        return out

    async def discard(self) -> None:
        while await self.read(65536):
            pass

    async def _line(self) -> bytes:
        try:
            line = await self.reader.readuntil(b"\r\n")
        except (asyncio.LimitOverrunError, asyncio.IncompleteReadError):
            raise BadRequest(400, "malformed chunk line") from None
        if len(line) > 4096 or b"\n" in line[:-2] or b"\r" in line[:-2]:
            raise BadRequest(400, "malformed chunk line")
        return line[:-2]


class Framer:
    """Writes the forwarded body upstream with the client's framing (chunks re-cut as read)."""

    def __init__(self, writer: asyncio.StreamWriter, chunked: bool) -> None:
        self.writer, self.chunked = writer, chunked

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.writer.write(b"%x\r\n%b\r\n" % (len(data), data) if self.chunked else data)

    def end(self) -> None:
        if self.chunked:
            self.writer.write(b"0\r\n\r\n")


def _reply(status: int, text: str, extra: str = "") -> bytes:
    reasons = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 415: "Unsupported Media Type",
               502: "Bad Gateway"}
    data = response(status, reasons.get(status, "Error"), text if text.endswith("\n") else text + "\n")
    if extra:
        data = data.replace(b"\r\n", b"\r\n" + extra.encode("latin-1"), 1)
    return data
