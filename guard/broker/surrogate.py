"""Per-session surrogates: the only "token" the sandbox ever holds.

A surrogate is 256 random bits with a recognizable prefix, issued once per host per session.
It is worthless anywhere else: it is derived from nothing (not from the real token, not from
the host), and the host -> surrogate mapping lives only in this object, in the guard process's
memory, and dies with it. The proxy calls ``verify(host, presented)`` before it swaps in the
real token, so a surrogate issued for one host never unlocks another.
"""

from __future__ import annotations

import hmac
import secrets

from guard.broker.hosts import normalize_credential_host

PREFIX = "guard-surrogate-"


class Surrogates:
    def __init__(self) -> None:
        self._by_host: dict[str, bytes] = {}
        # Compared against when a host has no surrogate, so that "unknown host" and "wrong
        # surrogate" take the same path and the same time.
        self._decoy = self._new()

    @staticmethod
    def _new() -> bytes:
        return (PREFIX + secrets.token_urlsafe(32)).encode("ascii")

    def issue(self, host: str) -> str:
        """The session's surrogate for ``host`` (the same one on every call)."""
        host = normalize_credential_host(host)
        if host not in self._by_host:
            self._by_host[host] = self._new()
        return self._by_host[host].decode("ascii")

    def verify(self, host: str, presented: str | bytes | None) -> bool:
        """True only for the surrogate this session issued for exactly ``host``.

        Constant time in the presented value (``hmac.compare_digest``). Characters that do not
        encode are replaced, never raised on: no surrogate contains them, so they cannot match.
        """
        try:
            host = normalize_credential_host(host)
        except ValueError:
            return False
        expected = self._by_host.get(host)
        if presented is None:
            presented = b""
        if isinstance(presented, str):
            presented = presented.encode("utf-8", "replace")
        same = hmac.compare_digest(expected or self._decoy, presented)
        return same and expected is not None

    def bound_host(self, presented: str | bytes) -> str | None:
        """The host a presented surrogate was issued for, comparing against every one."""
        if isinstance(presented, str):
            presented = presented.encode("utf-8", "replace")
        found = None
        for host, value in self._by_host.items():  # no early exit: same work whatever matches
            if hmac.compare_digest(value, presented):
                found = host
        return found

    def __repr__(self) -> str:
        return f"Surrogates(hosts={sorted(self._by_host)})"  # never the values
