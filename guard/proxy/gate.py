"""One destination -> one decision: canonical host, name check, one lookup, address check.

The gate is the only place the proxy asks the egress plugins anything. It resolves a name
once, hands every address to the plugins, and returns the vetted addresses for the server
to dial, so what was checked is exactly what is reached (no DNS rebinding between check and
connect). Denials are logged and reported; names let through by learning mode are recorded.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import sys
import threading
from dataclasses import dataclass, replace
from typing import Awaitable, Callable

from guard.denials import Denial, DenialLog
from guard.egress import EgressDecision, EgressRequest, combine
from guard.proxy.relay import TIMEOUT, within
from guard.proxy.target import bracketed, canonical_host

Resolver = Callable[[str, int], Awaitable[list[str]]]


@dataclass(frozen=True)
class Verdict:
    host: str  # canonical host, or the text as given when it was invalid
    port: int
    decision: EgressDecision
    addresses: tuple[str, ...] = ()  # vetted, in the order to dial them
    failure: str | None = None  # allowed, but the name could not be resolved (-> 502)

    @property
    def allowed(self) -> bool:
        return self.decision.allow and self.failure is None


def render_denial(verdict: Verdict, via: str) -> str:
    """The text a sandboxed client sees: what was blocked, the rule, and the fix."""
    lines = [f"guard: blocked {via} connection to {bracketed(verdict.host)}:{verdict.port}",
             f"rule: {verdict.decision.rule}"]
    if verdict.decision.fix:
        lines.append(f"to allow it: {verdict.decision.fix}")
    return "\n".join(lines) + "\n"


class EgressGate:
    def __init__(self, policy, plugins, *, learn: bool = False, log: DenialLog | None = None,
                 command: tuple[str, ...] = (), on_denial: Callable[[Denial], None] | None = None,
                 resolver: Resolver | None = None, resolve_timeout: float = 10.0) -> None:
        self.policy = policy
        self.plugins = plugins
        self.learn = learn
        self.log = log
        self.command = list(command)
        self.on_denial = on_denial
        self.resolver = resolver or self._getaddrinfo
        self.resolve_timeout = resolve_timeout
        self.endpoints: tuple[tuple[str, int], ...] = ()  # the proxy's own (set by the server)
        self._learned: set[str] = set()
        self._lock = threading.Lock()

    def learned(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(sorted(self._learned))

    async def check(self, host_text: str, port: int, via: str) -> Verdict:
        try:
            host = canonical_host(host_text)
        except ValueError as exc:
            return self._deny(Verdict(host_text, port, EgressDecision(False, f"invalid destination: {exc}")), via)
        request = EgressRequest(host, port, via=via, learn=self.learn, proxy_endpoints=self.endpoints)
        if _is_ip(host):
            addresses: tuple[str, ...] = (host,)
        else:
            first = self._decide(replace(request, resolved=False))
            if not first.allow:  # refused before any DNS query leaves the machine
                return self._deny(Verdict(host, port, first), via)
            try:
                addresses = await self._resolve(host, port)
            except OSError as exc:
                return Verdict(host, port, first, failure=f"cannot resolve {host}: {exc}")
        decision = self._decide(replace(request, addresses=addresses))
        verdict = Verdict(host, port, decision, addresses)
        if not decision.allow:
            return self._deny(verdict, via)
        if decision.learned:
            with self._lock:
                self._learned.add(bracketed(host))
        return verdict

    def refuse(self, host_text: str, port: int, via: str, rule: str) -> Verdict:
        """A denial decided by the protocol layer (say, a Host header that names another site)."""
        try:
            host = canonical_host(host_text)
        except ValueError:
            host = host_text
        return self._deny(Verdict(host, port, EgressDecision(False, rule)), via)

    def _decide(self, request: EgressRequest) -> EgressDecision:
        try:
            return combine(self.plugins.egress_decisions(request, self.policy))
        except Exception as exc:  # noqa: BLE001 - a broken plugin denies, it never allows
            return EgressDecision(False, f"an egress plugin failed: {exc!r}")

    async def _resolve(self, host: str, port: int) -> tuple[str, ...]:
        try:
            found = await within(self.resolve_timeout, self.resolver(host, port))
        except TIMEOUT:
            raise OSError(f"lookup timed out after {self.resolve_timeout:g}s") from None
        unique: list[str] = []
        for text in found:
            canonical = str(ipaddress.ip_address(text.split("%")[0]))
            if canonical not in unique:
                unique.append(canonical)
        if not unique:
            raise OSError("no addresses")
        return tuple(unique)

    @staticmethod
    async def _getaddrinfo(host: str, port: int) -> list[str]:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
        return [info[4][0] for info in infos]

    def _deny(self, verdict: Verdict, via: str) -> Verdict:
        denial = Denial.now(host=verdict.host, port=verdict.port, via=via, rule=verdict.decision.rule,
                            fix=verdict.decision.fix, workspace=str(self.policy.workspace),
                            command=self.command)
        if self.log is not None:
            try:
                self.log.append(denial)
            except OSError as exc:  # the denial still stands; only its record is lost
                print(f"guard: cannot write the denial log {self.log.file}: {exc}", file=sys.stderr)
        if self.on_denial is not None:
            try:
                self.on_denial(denial)
            except Exception:  # noqa: BLE001 - a reporting callback must not break the proxy
                pass
        return verdict


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
