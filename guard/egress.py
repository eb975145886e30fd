"""The data of one egress decision: what the sandbox asked to reach, and the verdict.

The proxy builds an ``EgressRequest`` per connection attempt, asks every plugin through
``guard_egress_decision`` and combines the answers with ``combine``: any deny wins, and with
no allow at all the request is denied (fail closed).
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
