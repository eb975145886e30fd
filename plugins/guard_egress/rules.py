"""The builtin egress rules: ``[network] allow``, ``deny`` and ``allow_local`` applied to one request.

Order, and the attack each step stops:

1. ``deny`` first, against the name and every resolved address: deny wins at every layer.
2. The name (or IP literal) must be allowed before it is even resolved, so an unlisted name
   cannot carry data out through a DNS query. Learning mode lets unlisted names through.
3. Every resolved address is classified (``addresses.classify``). Loopback, private,
   link-local, CGNAT, the host's own addresses and their IPv6 disguises need an
   ``allow_local`` entry even when the name is allowed: an allowed name pointed at 127.0.0.1
   must not open the host's own services. Metadata addresses need an ``allow_local`` entry
   naming exactly that address (or the host name), never a broad CIDR. Unspecified,
   multicast, reserved addresses and the proxy's own endpoints are never reachable.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from guard.egress import EgressDecision, EgressRequest
from guard.policy.model import Policy, Rule
from guard.policy.patterns import parse_domain_pattern, parse_local_destination
from guard.proxy.target import bracketed

from guard_egress import addresses as _addresses
from guard_egress import fixes
from guard_egress.addresses import METADATA, NEVER, PUBLIC

_domain = lru_cache(maxsize=4096)(parse_domain_pattern)
_local = lru_cache(maxsize=4096)(parse_local_destination)


@lru_cache(maxsize=4096)
def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _first(rules: tuple[Rule, ...], test) -> Rule | None:
    return next((rule for rule in rules if test(rule)), None)


def _deny(rule: str, fix: str | None = None) -> EgressDecision:
    return EgressDecision(False, rule, fix)


def decide(request: EgressRequest, policy: Policy) -> EgressDecision:
    host, port = request.host, request.port
    literal = _ip(host)
    shown = f"{bracketed(host)}:{port}"

    # 1. deny wins, whether it names the host or an address the name resolved to.
    def denied(rule: Rule) -> bool:
        pattern = _domain(rule.value)
        return pattern.matches(host, port) or (
            pattern.ip is not None and any(pattern.matches(a, port) for a in request.addresses))

    deny = _first(policy.net_deny, denied)
    if deny is not None:
        return _deny(f"[network] deny {fixes.where(deny)} matches {shown}", fixes.remove_deny(deny))

    # 2. the name itself, before any DNS query.
    def allow_matches(value: str) -> bool:
        try:
            return _domain(value).matches(host, port)
        except ValueError:  # a withheld entry is not validated by the loader
            return False

    allow = _first(policy.net_allow, lambda r: allow_matches(r.value))
    learned = False
    if literal is None:
        by_name = _first(policy.allow_local, lambda r: _local(r.value).host == host
                         and _local(r.value).port in (None, port))
        allow = allow or by_name
        if allow is None:
            if not request.learn:
                return _deny(f'no [network] allow entry matches "{host}"',
                             fixes.add_entry(policy, "allow", host, allow_matches))
            learned = True
        if not request.resolved:
            return EgressDecision(True, _allowed_by(allow, learned, host), learned=learned)

    # 3. every address the connection could go to.
    targets = (str(literal),) if literal is not None else request.addresses
    if not targets:
        return _deny(f'"{host}" resolved to no address')
    own = _addresses.host_addresses()
    for text in targets:
        addr = _ip(text)
        if addr is None:
            return _deny(f'"{host}" resolved to an invalid address {text!r}')
        subject = f"{addr}" if literal is not None else f'"{host}" resolves to {addr}, which'
        if _is_proxy(addr, port, request.proxy_endpoints, own):
            return _deny(f"{subject} is the guard proxy itself ({bracketed(str(addr))}:{port})")
        kind = _addresses.classify(addr, own)
        if kind.kind == NEVER:
            return _deny(f"{subject} is {kind.why}, never reachable from the sandbox")
        if kind.kind == PUBLIC:
            if literal is not None and allow is None:
                if not request.learn:
                    return _deny(f"no [network] allow entry matches {bracketed(host)}",
                                 fixes.add_entry(policy, "allow", bracketed(host), allow_matches))
                learned = True
            continue
        name = host if literal is None else None
        local = _first(policy.allow_local, lambda r: _local_allows(r.value, addr, port, name, kind.kind))
        if local is None:
            entry = f"{bracketed(host)}:{port}"
            fix = fixes.add_entry(policy, "allow_local", entry,
                                  lambda v: _local_allows_text(v, addr, port, name, kind.kind))
            if kind.kind == METADATA:
                fix = "only if this sandbox may read the cloud machine's credentials: " + fix
            return _deny(f"{subject} is {kind.why}; no [network] allow_local entry names it", fix)
        allow = allow or local
    return EgressDecision(True, _allowed_by(allow, learned, host), learned=learned and allow is None)


def _allowed_by(rule: Rule | None, learned: bool, host: str) -> str:
    if rule is not None:
        return f"[network] allow {fixes.where(rule)}"
    return f'learning mode: "{host}" is not listed; allowed and recorded'


def _local_allows_text(value: str, addr, port: int, name: str | None, kind: str) -> bool:
    try:
        return _local_allows(value, addr, port, name, kind)
    except ValueError:  # a withheld entry is not validated by the loader
        return False


def _local_allows(value: str, addr, port: int, name: str | None, kind: str) -> bool:
    entry = _local(value)
    if not entry.matches(str(addr), port, name):
        return False
    if kind == METADATA and entry.network is not None:
        # 169.254.0.0/16 or 0.0.0.0/0 must not quietly open the credentials service.
        return entry.network.num_addresses == 1
    return True


def _is_proxy(addr, port: int, endpoints: tuple[tuple[str, int], ...], own) -> bool:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    for ep_host, ep_port in endpoints:
        if ep_port != port:
            continue
        ep = _ip(ep_host.split("%")[0])
        if ep is None:
            continue
        if ep.is_unspecified:  # listening on every address: each local address is the proxy
            if addr.is_loopback or addr in own or addr.is_unspecified:
                return True
        elif addr == ep:
            return True
    return False

