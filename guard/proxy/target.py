"""A destination as the client wrote it -> the canonical host the rules are matched against.

Everything a resolver would read as an IP address is turned into that address here, before
any rule sees it: ``2130706433``, ``0x7f.1``, ``127.1`` and ``0177.0.0.1`` all mean 127.0.0.1
to ``inet_aton`` (and so to ``getaddrinfo``), and a rule engine that compared them as names
would let them through. Names become lower-case ASCII (IDNA 2008, trailing dot dropped).
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

from guard.policy.patterns import normalize_host

_HEX = re.compile(r"0[xX][0-9a-fA-F]*")
_OCT = re.compile(r"0[0-7]*")
_DEC = re.compile(r"[1-9][0-9]*")
_MAX_HOST = 255


def _number(part: str) -> int | None:
    """One part the way ``inet_aton`` reads it (strtoul base 0), or None when it is not one."""
    if _HEX.fullmatch(part):
        return int(part[2:], 16) if len(part) > 2 else None  # glibc refuses a bare "0x"
    if _OCT.fullmatch(part):
        return int(part, 8)
    if _DEC.fullmatch(part):
        return int(part)
    return None


def _ends_in_number(text: str) -> bool:
    labels = text.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    last = labels[-1]
    return bool(last) and (last.isdigit() or bool(_HEX.fullmatch(last)))


def parse_ipv4(text: str) -> str | None:
    """Dotted-quad form of an IPv4 address in any ``inet_aton`` spelling; None for a name.

    Raises ValueError for text whose last label is numeric but which is no valid address
    (``1.2.3.4.5``, ``256.0.0.1``): no real name ends in a number, and a resolver may still
    read it as an address, so it is refused rather than looked up.
    """
    if not _ends_in_number(text):
        return None
    parts = text.split(".")
    if parts[-1] == "":
        parts.pop()  # one trailing dot, as in a fully qualified name
    numbers = [_number(p) for p in parts]
    if not 1 <= len(parts) <= 4 or any(n is None for n in numbers):
        raise ValueError(f"invalid IPv4 address {text!r}")
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(parts)):
        raise ValueError(f"IPv4 address out of range: {text!r}")
    value = last
    for i, n in enumerate(head):
        value |= n << (8 * (3 - i))
    return str(ipaddress.IPv4Address(value))


@lru_cache(maxsize=4096)  # pure, and asked once per connection: most connections repeat a host
def canonical_host(text: str) -> str:
    """Canonical form of a host: dotted-quad IPv4, compressed IPv6 (no brackets), or a name.

    Raises ValueError naming what is wrong; a zone id (``fe80::1%eth0``) is always refused,
    since it selects an interface, which no rule can speak about.
    """
    if not isinstance(text, str) or not text or len(text) > _MAX_HOST:
        raise ValueError(f"invalid host {text!r}")
    if "%" in text:
        raise ValueError(f"zone ids and percent-encoding are not allowed in a host: {text!r}")
    inner = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    if ":" in inner:
        try:
            return str(ipaddress.IPv6Address(inner))
        except ValueError:
            raise ValueError(f"invalid IPv6 address {text!r}") from None
    if inner is not text:
        raise ValueError(f"only IPv6 addresses go in brackets: {text!r}")
    # IDNA mapping first: fullwidth digits and dots ("１２７．０．０．１") map to an address.
    ascii_text = text if text.isascii() else normalize_host(text)
    ipv4 = parse_ipv4(ascii_text)
    return ipv4 if ipv4 is not None else normalize_host(ascii_text)


def split_authority(text: str, default_port: int | None) -> tuple[str, int]:
    """``host[:port]`` or ``[v6][:port]`` -> (host text, port). Port required without a default."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError(f"unclosed '[' in {text!r}")
        host, rest = text[: end + 1], text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ValueError(f"unexpected text after ']' in {text!r}")
        port_text = rest[1:] if rest else None
    else:
        if text.count(":") > 1:
            raise ValueError(f"IPv6 addresses need brackets: {text!r}")
        host, sep, port_text = text.partition(":")
        port_text = port_text if sep else None
    if not host:
        raise ValueError(f"missing host in {text!r}")
    if port_text is None:
        if default_port is None:
            raise ValueError(f"missing port in {text!r}")
        return host, default_port
    if not (port_text.isascii() and port_text.isdigit()) or len(port_text) > 5:
        raise ValueError(f"invalid port {port_text!r} in {text!r}")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} out of range 1-65535 in {text!r}")
    return host, port


def bracketed(host: str) -> str:
    """The host as it is written before ``:port`` (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host else host
