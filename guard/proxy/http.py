"""HTTP/1.1 request heads as a proxy receives them: parsed strictly, rewritten for upstream.

Pure functions on bytes, no I/O, so the fuzz tests can throw anything at them. Anything
ambiguous is refused rather than guessed at, because two parsers that disagree about where a
request ends or which host it names are how smuggling and filter bypasses work: bare CR or
LF, obs-folded lines, whitespace before a colon, both Content-Length and Transfer-Encoding,
conflicting lengths, userinfo or percent signs in the authority.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from guard.proxy.target import split_authority

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TARGET = re.compile(r"[\x21-\x7e]+")
_VALUE_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_AUTHORITY = re.compile(r"[A-Za-z0-9._~\-:\[\]]+")
# Hop-by-hop headers (RFC 9110 7.6.1) and the proxy's own: never passed upstream.
# Proxy-Authorization in particular would hand the client's proxy credentials to the origin.
HOP_BY_HOP = frozenset({"connection", "proxy-connection", "keep-alive", "proxy-authorization",
                        "proxy-authenticate", "te", "trailer", "upgrade", "transfer-encoding"})


class BadRequest(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class RequestHead:
    method: str
    target: str
    version: str  # "HTTP/1.0" or "HTTP/1.1"
    headers: tuple[tuple[str, str], ...]

    def values(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]


@dataclass(frozen=True)
class Body:
    """How the request body is framed: ``chunked``, or a byte count (0: no body)."""

    chunked: bool = False
    length: int = 0


def parse_head(data: bytes, max_headers: int = 100) -> RequestHead:
    """``data`` is everything up to and including the blank line (``\\r\\n\\r\\n``)."""
    if not data.endswith(b"\r\n\r\n"):
        raise BadRequest(400, "request head does not end with an empty line")
    text = data[:-4].decode("latin-1")
    lines = text.split("\r\n")
    for line in lines:
        if "\r" in line or "\n" in line or "\0" in line:
            raise BadRequest(400, "bare CR, LF or NUL in the request head")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise BadRequest(400, "malformed request line")
    method, target, version = parts
    if not _TOKEN.fullmatch(method) or not _TARGET.fullmatch(target):
        raise BadRequest(400, "malformed request line")
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise BadRequest(505, f"unsupported protocol {version[:20]!r}")
    if len(lines) - 1 > max_headers:
        raise BadRequest(431, f"more than {max_headers} header lines")
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            raise BadRequest(400, "folded header lines are not accepted")
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN.fullmatch(name):
            raise BadRequest(400, f"malformed header line {line[:40]!r}")
        value = value.strip(" \t")
        if _VALUE_BAD.search(value):
            raise BadRequest(400, f"control character in header {name!r}")
        headers.append((name, value))
    return RequestHead(method, target, version, tuple(headers))


def body_framing(head: RequestHead) -> Body:
    """RFC 9112 6.3, refusing the ambiguous cases instead of picking one reading."""
    encodings = head.values("transfer-encoding")
    lengths = head.values("content-length")
    if encodings:
        if lengths:
            raise BadRequest(400, "both Transfer-Encoding and Content-Length")
        if head.version == "HTTP/1.0":
            raise BadRequest(400, "Transfer-Encoding in an HTTP/1.0 request")
        if len(encodings) != 1 or encodings[0].lower() != "chunked":
            raise BadRequest(501, "only 'Transfer-Encoding: chunked' is supported")
        return Body(chunked=True)
    if lengths:
        values = {v for item in lengths for v in item.split(",")}
        values = {v.strip() for v in values}
        if len(values) != 1:
            raise BadRequest(400, "conflicting Content-Length values")
        value = values.pop()
        if not value.isascii() or not value.isdigit() or len(value) > 18:
            raise BadRequest(400, "invalid Content-Length")
        return Body(length=int(value))
    return Body()


def absolute_target(target: str) -> tuple[str, int, str]:
    """``http://host[:port]/path?query`` -> (host text, port, origin-form path)."""
    scheme, sep, rest = target.partition("://")
    if not sep:
        raise BadRequest(400, "a proxy request needs an absolute URL (http://host/path)")
    if scheme.lower() != "http":
        raise BadRequest(400, f"unsupported scheme {scheme[:10]!r}; use CONNECT for https")
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    authority, path = rest[:end], rest[end:]
    if path.startswith("#"):
        path = ""
    path = path.split("#", 1)[0]
    return (*authority_of(authority, 80), path if path.startswith("/") else "/" + path)


def authority_of(text: str, default_port: int | None) -> tuple[str, int]:
    # Userinfo ("allowed.com@evil.com"), percent-escapes and backslashes are where URL
    # parsers disagree about the host; refusing them keeps one reading.
    if not text or not _AUTHORITY.fullmatch(text):
        raise BadRequest(400, f"invalid host {text[:80]!r}")
    try:
        return split_authority(text, default_port)
    except ValueError as exc:
        raise BadRequest(400, str(exc)) from None


def upstream_head(head: RequestHead, path: str, host_header: str, body: Body) -> bytes:
    """The head sent to the origin: origin-form, hop-by-hop headers dropped, one request only."""
    connection_named = {t.strip().lower() for v in head.values("connection") for t in v.split(",")}
    connection_named -= {"host", "content-length"}  # "Connection: host" must not drop framing
    lines = [f"{head.method} {path} {head.version}"]
    has_host = False
    for name, value in head.headers:
        low = name.lower()
        if low in HOP_BY_HOP or low in connection_named:
            continue
        has_host |= low == "host"
        lines.append(f"{name}: {value}")
    if not has_host:
        lines.insert(1, f"Host: {host_header}")
    if body.chunked:
        lines.append("Transfer-Encoding: chunked")
    lines.append("Connection: close")  # one request per upstream connection: see server.py
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def response(status: int, reason: str, text: str) -> bytes:
    body = text.encode("utf-8", "replace")
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode("latin-1") + body
