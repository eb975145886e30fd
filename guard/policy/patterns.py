"""Syntax of the values inside sandbox.toml: domain patterns, local destinations, path globs.

Each parser returns a normalized value or raises ``ValueError`` with a message fit to follow
``FILE:LINE:COL:``. The egress engine matches with the same types, so what validates here is
exactly what is enforced there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


def normalize_host(host: str) -> str:
    """Lower-case ASCII form of a host name: trailing dot dropped, IDNA labels as punycode.

    Raises ValueError for names that no DNS query could carry.
    """
    if not host or host != host.strip():
        raise ValueError(f"invalid host name {host!r}")
    name = host[:-1] if host.endswith(".") else host
    if not name.isascii():
        import idna  # only paid for on non-ASCII names

        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise ValueError(f"invalid internationalized name {host!r}: {exc}") from None
    name = name.lower()
    if len(name) > 253:
        raise ValueError(f"host name longer than 253 characters: {host!r}")
    labels = name.split(".")
    for label in labels:
        if not _LABEL.match(label):
            raise ValueError(f"invalid label {label!r} in host name {host!r}")
    if name.startswith("xn--") or ".xn--" in name:
        import idna

        try:  # punycode must decode to a valid IDNA 2008 name, or it is a disguise
            idna.decode(name)
        except (idna.IDNAError, UnicodeError) as exc:
            raise ValueError(f"invalid punycode in host name {host!r}: {exc}") from None
    return name


def _parse_port(text: str, where: str) -> int:
    if not text.isdigit():
        raise ValueError(f"invalid port {text!r} in {where!r}")
    port = int(text)
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} out of range 1-65535 in {where!r}")
    return port


def _split_host_port(text: str) -> tuple[str, str | None]:
    """Split ``host[:port]`` / ``[v6][:port]``; bare IPv6 without brackets is refused."""
    import ipaddress  # ~2 ms; only paid when a pattern needs it

    if "%" in text:
        raise ValueError(f"zone ids are not allowed: {text!r}")
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError(f"unclosed '[' in {text!r}")
        host, rest = text[1:end], text[end + 1 :]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"invalid IPv6 address in {text!r}") from None
        if not rest:
            return "[" + host + "]", None
        if not rest.startswith(":"):
            raise ValueError(f"unexpected text after ']' in {text!r}")
        return "[" + host + "]", rest[1:]
    if text.count(":") > 1:
        raise ValueError(f"IPv6 addresses need brackets, as in [{text}]: {text!r}")
    host, sep, port = text.partition(":")
    return host, (port if sep else None)


@dataclass(frozen=True)
class DomainPattern:
    """``example.com``, ``*.example.com`` (strict subdomains only), optional ``:port``, or an IP."""

    host: str  # normalized; for a wildcard, the suffix after "*."
    wildcard: bool = False
    port: int | None = None
    ip: object = None  # ipaddress.IPv4Address | IPv6Address

    def matches(self, host: str, port: int | None = None) -> bool:
        """``host`` must already be normalized (``normalize_host``) or a canonical IP string."""
        import ipaddress

        if self.port is not None and port != self.port:
            return False
        if self.ip is not None:
            try:
                return ipaddress.ip_address(host.strip("[]")) == self.ip
            except ValueError:
                return False
        if self.wildcard:
            return host.endswith("." + self.host)
        return host == self.host

    def __str__(self) -> str:
        text = ("*." if self.wildcard else "") + self.host
        return text if self.port is None else f"{text}:{self.port}"


def parse_domain_pattern(text: str) -> DomainPattern:
    import ipaddress  # ~2 ms; only paid when a pattern needs it

    if not isinstance(text, str) or not text:
        raise ValueError("empty domain pattern")
    if any(c.isspace() for c in text) or "/" in text or "@" in text:
        raise ValueError(f"domain pattern must be a bare host name, not a URL: {text!r}")
    host, port_text = _split_host_port(text)
    port = _parse_port(port_text, text) if port_text is not None else None
    if host.startswith("["):
        return DomainPattern(host=host, port=port, ip=ipaddress.IPv6Address(host[1:-1]))
    if re.fullmatch(r"[0-9.]+", host):
        try:
            ip = ipaddress.IPv4Address(host)
        except ValueError:
            raise ValueError(f"invalid IPv4 address {host!r} (write it in dotted-quad form)") from None
        return DomainPattern(host=str(ip), port=port, ip=ip)
    wildcard = host.startswith("*.")
    suffix = host[2:] if wildcard else host
    if host == "*" or "*" in suffix:
        raise ValueError(
            f"wildcards are allowed only as a leading '*.' on a domain with two or more labels: {text!r}"
        )
    suffix = normalize_host(suffix)
    if wildcard and suffix.count(".") < 1:
        raise ValueError(f"wildcard on a top-level domain matches too much: {text!r}")
    return DomainPattern(host=suffix, wildcard=wildcard, port=port)


@dataclass(frozen=True)
class LocalDestination:
    """An ``allow_local`` entry: ``host:port`` or ``CIDR[:port]``."""

    network: object  # ipaddress.IPv4Network | IPv6Network | None
    host: str | None
    port: int | None

    def matches(self, address: str, port: int, host: str | None = None) -> bool:
        import ipaddress

        if self.port is not None and port != self.port:
            return False
        if self.network is not None:
            try:
                addr = ipaddress.ip_address(address)
            except ValueError:
                return False
            if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
                addr = addr.ipv4_mapped
            return addr.version == self.network.version and addr in self.network
        return host is not None and host == self.host


def parse_local_destination(text: str) -> LocalDestination:
    import ipaddress  # ~2 ms; only paid when a pattern needs it

    if not isinstance(text, str) or not text:
        raise ValueError("empty allow_local entry")
    if "%" in text:
        raise ValueError(f"zone ids are not allowed: {text!r}")
    if "/" in text:  # CIDR[:port]; IPv6 as [addr/len][:port] or [addr]/len[:port]
        m = re.fullmatch(r"\[([0-9a-fA-F:.]+(?:/\d+)?)\](/\d+)?(?::(\w+))?|([0-9.]+/\d+)(?::(\w+))?", text)
        if not m:
            raise ValueError(f"invalid CIDR {text!r} (IPv6 needs brackets: [fd00::]/8:PORT)")
        cidr = m.group(1) + (m.group(2) or "") if m.group(1) else m.group(4)
        port_text = m.group(3) or m.group(5)
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError as exc:
            raise ValueError(f"invalid CIDR {text!r}: {exc}") from None
        port = _parse_port(port_text, text) if port_text else None
        return LocalDestination(network=network, host=None, port=port)
    host, port_text = _split_host_port(text)
    if port_text is None:
        raise ValueError(f"allow_local needs host:port or a CIDR, got {text!r}")
    port = _parse_port(port_text, text)
    if host.startswith("["):
        return LocalDestination(ipaddress.ip_network(host[1:-1]), None, port)
    try:
        return LocalDestination(ipaddress.ip_network(host), None, port)
    except ValueError:
        return LocalDestination(None, normalize_host(host), port)


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_env_name(name: str) -> str:
    if not _ENV_NAME.match(name):
        raise ValueError(f"invalid environment variable name {name!r}")
    return name


def check_path_glob(text: str) -> str:
    """A path or glob: absolute, ``~``-relative or workspace-relative. ``**`` spans folders."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("empty path")
    if any(c in text for c in "\0\n\r"):
        raise ValueError(f"control character in path {text!r}")
    depth = 0
    for c in text:
        depth += c == "["
        depth -= c == "]"
        if depth < 0 or depth > 1:
            raise ValueError(f"unbalanced brackets in glob {text!r}")
    if depth:
        raise ValueError(f"unclosed '[' in glob {text!r}")
    for part in text.split("/"):
        if "**" in part and part != "**":
            raise ValueError(f"'**' must be a whole path component in {text!r}")
    if text.startswith("~") and not (text == "~" or text.startswith("~/")):
        raise ValueError(f"only '~' and '~/...' are supported, not {text!r}")
    return text


def check_branch_glob(text: str) -> str:
    """A branch name or fnmatch-style glob such as ``agent/*`` (git's ref-name rules apply)."""
    bad = any(ord(c) < 32 or c in " ~^:\\" for c in text) if isinstance(text, str) else True
    if bad or not text or ".." in text or text.startswith(("-", "/")) or text.endswith("/"):
        raise ValueError(f"invalid branch pattern {text!r}")
    return text
