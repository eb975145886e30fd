"""SOCKS5 (RFC 1928), the CONNECT command only, no authentication.

BIND and UDP ASSOCIATE are refused: UDP never leaves the sandbox, and BIND would open a
listening port on the host for the outside world to reach in.
"""

from __future__ import annotations

import asyncio
import ipaddress
import struct

VERSION = 5
NO_AUTH, NO_ACCEPTABLE = 0x00, 0xFF
CONNECT = 0x01
SUCCEEDED, GENERAL_FAILURE, NOT_ALLOWED, NETWORK_UNREACHABLE = 0x00, 0x01, 0x02, 0x03
HOST_UNREACHABLE, CONNECTION_REFUSED, TTL_EXPIRED = 0x04, 0x05, 0x06
COMMAND_NOT_SUPPORTED, ADDRESS_TYPE_NOT_SUPPORTED = 0x07, 0x08
ATYP_IPV4, ATYP_DOMAIN, ATYP_IPV6 = 0x01, 0x03, 0x04


class SocksError(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


async def handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> tuple[str, int]:
    """Read the greeting (version byte already consumed) and the request -> (host text, port).

    Raises SocksError after writing the failure reply, or IncompleteReadError on EOF.
    """
    count = (await reader.readexactly(1))[0]
    methods = await reader.readexactly(count)
    if NO_AUTH not in methods:
        writer.write(bytes((VERSION, NO_ACCEPTABLE)))
        raise SocksError(GENERAL_FAILURE, "client offers no authentication method we accept")
    writer.write(bytes((VERSION, NO_AUTH)))
    version, command, _reserved, atyp = await reader.readexactly(4)
    if version != VERSION:
        raise SocksError(GENERAL_FAILURE, f"bad SOCKS version {version} in request")
    if atyp == ATYP_IPV4:
        host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
    elif atyp == ATYP_IPV6:
        host = "[" + str(ipaddress.IPv6Address(await reader.readexactly(16))) + "]"
    elif atyp == ATYP_DOMAIN:
        raw = await reader.readexactly((await reader.readexactly(1))[0])
        try:
            host = raw.decode("utf-8")
        except UnicodeDecodeError:
            await _fail(writer, NOT_ALLOWED)
            raise SocksError(NOT_ALLOWED, "domain name is not UTF-8") from None
        if not host or any(c in host for c in "[]:%"):  # a name; addresses have their own types
            await _fail(writer, NOT_ALLOWED)
            raise SocksError(NOT_ALLOWED, f"invalid domain name {host[:80]!r}")
    else:
        await _fail(writer, ADDRESS_TYPE_NOT_SUPPORTED)
        raise SocksError(ADDRESS_TYPE_NOT_SUPPORTED, f"address type {atyp} not supported")
    (port,) = struct.unpack("!H", await reader.readexactly(2))
    if command != CONNECT:
        await _fail(writer, COMMAND_NOT_SUPPORTED)
        raise SocksError(COMMAND_NOT_SUPPORTED, "only CONNECT is supported (no BIND, no UDP ASSOCIATE)")
    if port == 0:
        await _fail(writer, NOT_ALLOWED)
        raise SocksError(NOT_ALLOWED, "port 0")
    return host, port


def reply(code: int, bound: tuple[str, int] | None = None) -> bytes:
    """A reply carrying the bound address (the proxy's side of the upstream connection)."""
    host, port = bound or ("0.0.0.0", 0)
    addr = ipaddress.ip_address(host.split("%")[0])
    atyp = ATYP_IPV4 if addr.version == 4 else ATYP_IPV6
    return bytes((VERSION, code, 0, atyp)) + addr.packed + struct.pack("!H", port)


async def _fail(writer: asyncio.StreamWriter, code: int) -> None:
    writer.write(reply(code))
    try:
        await writer.drain()
    except ConnectionError:
        pass
