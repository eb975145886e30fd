"""What kind of place an IP address is: public, local (needs ``allow_local``), metadata, or never.

Every address a destination resolved to goes through ``classify``. Addresses that carry an
IPv4 address inside an IPv6 one (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo) are
judged by the embedded address too, and the stricter answer wins: ``::ffff:127.0.0.1`` and
``64:ff9b::7f00:1`` reach loopback as surely as ``127.0.0.1`` does.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from functools import lru_cache
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

PUBLIC, LOCAL, METADATA, NEVER = "public", "local", "metadata", "never"
_STRICTNESS = {PUBLIC: 0, LOCAL: 1, METADATA: 2, NEVER: 3}

# Cloud instance metadata services hand out the machine's credentials to any local caller.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, ...
    "169.254.170.2",  # AWS ECS task credentials
    "169.254.169.123",  # AWS time sync (same link-local service block)
    "fd00:ec2::254",  # AWS IMDS over IPv6
    "100.100.100.200",  # Alibaba Cloud
    "168.63.129.16",  # Azure WireServer
))
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # "this host" on Linux: reaches loopback
_RESERVED_V4 = ipaddress.ip_network("240.0.0.0/4")  # includes 255.255.255.255
_CGNAT = ipaddress.ip_network("100.64.0.0/10")  # shared address space: the provider's inside
_TRANSLATED = ("IPv4-mapped", "NAT64", "IPv4-compatible")


@dataclass(frozen=True)
class AddressClass:
    kind: str  # PUBLIC, LOCAL, METADATA or NEVER
    why: str  # "a loopback address", "an IPv4-mapped loopback address", ...


def _embedded_v4(addr: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    if addr.ipv4_mapped is not None:
        return "IPv4-mapped", addr.ipv4_mapped
    if any(addr in net for net in _NAT64):
        return "NAT64", ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr in _IPV4_COMPATIBLE and int(addr) > 1:
        return "IPv4-compatible", ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr.sixtofour is not None:
        return "6to4", addr.sixtofour
    if addr.teredo is not None:
        return "Teredo", addr.teredo[1]
    return None


def _own_class(addr: IPAddress, host_addresses: frozenset[IPAddress]) -> AddressClass:
    if addr in METADATA_ADDRESSES:
        return AddressClass(METADATA, "a cloud metadata address")
    if addr.is_unspecified or (addr.version == 4 and addr in _THIS_NETWORK):
        # connect() to 0.0.0.0 or :: lands on the host's own loopback.
        return AddressClass(NEVER, "an unspecified (0.0.0.0/8 or ::) address")
    if addr.is_multicast:
        return AddressClass(NEVER, "a multicast address")
    if addr.version == 4 and addr in _RESERVED_V4:
        return AddressClass(NEVER, "a reserved or broadcast address")
    if addr.is_loopback:
        return AddressClass(LOCAL, "a loopback address")
    if addr in host_addresses:
        return AddressClass(LOCAL, "one of this host's own addresses")
    if addr.is_link_local:
        return AddressClass(LOCAL, "a link-local address")
    if addr.version == 4 and addr in _CGNAT:
        return AddressClass(LOCAL, "a carrier-grade NAT (100.64.0.0/10) address")
    if addr.is_private:
        return AddressClass(LOCAL, "a private address")
    if not addr.is_global:
        return AddressClass(LOCAL, "a non-global (reserved) address")
    return AddressClass(PUBLIC, "a public address")


@lru_cache(maxsize=4096)  # host_addresses() is one frozenset object per refresh: a stable key
def classify(addr: IPAddress, host_addresses: frozenset[IPAddress] = frozenset()) -> AddressClass:
    """The class of ``addr``; an embedded IPv4 address makes it at least as strict as that."""
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.scope_id:
            return AddressClass(NEVER, "an address with a zone id")
        embedded = _embedded_v4(addr)
        if embedded is not None:
            label, v4 = embedded
            found = _own_class(v4, host_addresses)
            inner = AddressClass(found.kind, f"{found.why} ({label} {v4})")
            if label in _TRANSLATED:  # the packet really goes to the embedded address
                return inner
            return max(inner, _own_class(addr, host_addresses), key=lambda c: _STRICTNESS[c.kind])
    return _own_class(addr, host_addresses)


_cache: tuple[float, frozenset[IPAddress]] = (-1e9, frozenset())
_CACHE_SECONDS = 10.0  # addresses change with DHCP and VPNs; re-read them now and then


def host_addresses() -> frozenset[IPAddress]:
    """Every address of this host's interfaces (a service bound to 0.0.0.0 listens on each)."""
    global _cache
    now = time.monotonic()
    if now - _cache[0] < _CACHE_SECONDS:
        return _cache[1]
    found: set[IPAddress] = set()
    found.update(_linux_v4())
    found.update(_linux_v6())
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            found.add(ipaddress.ip_address(info[4][0].split("%")[0]))
    except (OSError, ValueError):
        pass
    _cache = (now, frozenset(found))
    return _cache[1]


def _linux_v4() -> set[IPAddress]:
    """Local addresses from the kernel's routing trie: every ``/32 host LOCAL`` entry."""
    found: set[IPAddress] = set()
    try:
        with open("/proc/net/fib_trie") as f:
            lines = f.read().splitlines()
    except OSError:
        return found
    for previous, line in zip(lines, lines[1:]):
        if line.strip() == "/32 host LOCAL":
            try:
                found.add(ipaddress.IPv4Address(previous.split()[-1]))
            except (ValueError, IndexError):
                continue
    return found


def _linux_v6() -> set[IPAddress]:
    found: set[IPAddress] = set()
    try:
        with open("/proc/net/if_inet6") as f:
            for line in f:
                digits = line.split()[0] if line.split() else ""
                if len(digits) == 32:
                    found.add(ipaddress.IPv6Address(int(digits, 16)))
    except (OSError, ValueError):
        pass
    return found
