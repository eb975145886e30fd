"""``CredentialBroker``: the one place that turns a host into its real token, for the proxy.

The broker serves only the hosts listed in ``[git] hosts`` and only the exact host asked for.
A locked store raises ``StoreLocked`` (the proxy must fail the request and say so, never treat
it as "no token"); a missing credential is ``None``. The proxy never hands the real token to
the sandbox: it gives out ``broker.surrogates.issue(host)`` and, on each request, checks
``broker.surrogates.verify(host, presented)`` before calling ``broker.credential(host)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from guard.broker.hosts import normalize_credential_host
from guard.broker.store import DEFAULT_USERNAME, Credential, CredentialStore
from guard.broker.surrogate import Surrogates

if TYPE_CHECKING:
    from guard.policy import Policy


class CredentialBroker:
    def __init__(self, store: CredentialStore, hosts: Iterable[str]) -> None:
        self.store = store
        self.hosts = frozenset(normalize_credential_host(h) for h in hosts)
        self.surrogates = Surrogates()

    @classmethod
    def for_policy(cls, policy: Policy, store: CredentialStore) -> CredentialBroker:
        return cls(store, [*policy.values(policy.git_hosts), *policy.values(policy.git_inject)])

    def credential(self, host: str) -> Credential | None:
        """The stored credential for exactly ``host`` if the policy lets the broker serve it."""
        try:
            host = normalize_credential_host(host)
        except ValueError:
            return None
        if host not in self.hosts:
            return None
        return self.store.get(host)

    def lookup(self, host: str) -> str | None:
        """The real token for ``host``, or None. Raises ``StoreLocked`` / ``StoreUnavailable``."""
        found = self.credential(host)
        return found.secret if found else None

    def basic_auth(self, host: str) -> tuple[str, str] | None:
        """``(username, token)`` for an ``Authorization: Basic`` header to ``host``."""
        found = self.credential(host)
        return (found.username or DEFAULT_USERNAME, found.secret) if found else None
