"""The data of one egress decision: what the sandbox asked to reach, and the verdict.

The proxy builds an ``EgressRequest`` per connection attempt, asks every plugin through
``guard_egress_decision`` and combines the answers with ``combine``: any deny wins, and with
no allow at all the request is denied (fail closed).

Every connection is decided in up to two calls. First with ``resolved=False`` and no
addresses: the name alone, before any DNS query, so a name that no rule could allow never
leaks out through a lookup (DNS exfiltration). Then, once the name is resolved (exactly once),
with ``resolved=True`` and every address it resolved to; the proxy dials only those vetted
addresses, so a second, different answer (DNS rebinding) is never used. A request for an IP
literal gets only the second call. A plugin that needs addresses abstains (returns None) in
the first call.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EgressRequest:
    host: str  # normalized name (lower-case ASCII, no trailing dot) or canonical IP literal
    port: int
    addresses: tuple[str, ...] = ()  # every address the name resolved to (canonical form)
    via: str = "http"  # "http", "connect" or "socks5"
    learn: bool = False  # learning mode: unlisted public names are let through and recorded
    resolved: bool = True  # False: the name-only check made before the DNS query
    # The proxy's own listening endpoints (address, port): never a destination, whatever the
    # policy says, so a client cannot loop the proxy into itself to multiply connections.
    proxy_endpoints: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class EgressDecision:
    allow: bool
    rule: str  # which rule decided, e.g. 'network.deny "gist.github.com" (sandbox.toml:12)'
    fix: str | None = None  # the sandbox.toml line that would allow it, when one could
    learned: bool = False  # allowed only because of learning mode


def combine(decisions: list[EgressDecision]) -> EgressDecision:
    for decision in decisions:
        if not decision.allow:
            return decision
    for decision in decisions:
        if decision.allow:
            return decision
    return EgressDecision(False, "no plugin allowed this destination")
