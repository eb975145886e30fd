"""One ``guard run``'s broker: the store opened before the sandbox starts, surrogates filled in.

The launch plan (built by a backend, possibly cached) carries ``@guard-git-surrogate:HOST@``
placeholders where git's credential helper answers a password (guard_bwrap.netboot). This
module turns them into this session's surrogates just before the process starts, so nothing
cached or planned ever holds one, and opens the credential store first: a passphrase prompt
or a locked keyring is dealt with before the command runs, never half-way through a push.
"""

from __future__ import annotations

import copy
import re
import sys

from guard.broker.broker import CredentialBroker

_PLACEHOLDER = re.compile(r"@guard-git-surrogate:([^@\s]+)@")


def wants_broker(plan) -> bool:
    """True when the plan's environment or argv asks for git surrogates."""
    return any(_PLACEHOLDER.search(v) for v in (*plan.env.values(), *plan.argv))


class _NoStore:
    """What the broker uses when no store can be opened: it holds nothing, so no token can
    leak and git to the brokered hosts is refused with a message; the command still runs."""

    name = "none"

    def describe(self) -> str:
        return "no usable credential store"

    def get(self, host: str):
        return None

    def hosts(self) -> list[str]:
        return []


def open_broker(policy, store=None) -> CredentialBroker:
    """A broker for ``[git] hosts`` over the configured store, probed now (prompts, lock).

    A missing or locked store is said before the command starts and only costs the brokered
    hosts their token: refusing the whole run would protect nothing more (no token, no leak).
    A locked store stays attached, so the git route reports it as locked, never as missing.
    """
    from guard.broker.store import StoreLocked, StoreUnavailable, open_store

    if store is None:
        try:
            store = open_store()
        except StoreUnavailable as exc:
            print(f"guard: warning: {exc}; git over HTTPS to "
                  f"{', '.join(policy.values(policy.git_hosts) + policy.values(policy.git_inject))} "
                  "gets no token this run (see `guard doctor`)", file=sys.stderr)
            store = _NoStore()
    broker = CredentialBroker.for_policy(policy, store)
    for host in sorted(broker.hosts):
        try:
            found = broker.credential(host)
        except StoreLocked as exc:
            print(f"guard: warning: {exc}; git over HTTPS to {host} will be refused until it is "
                  "unlocked", file=sys.stderr)
            continue
        except StoreUnavailable as exc:
            print(f"guard: warning: {exc}; {host} gets no token this run", file=sys.stderr)
            continue
        if found is None and not isinstance(store, _NoStore):
            print(f"guard: warning: no token stored for {host}; git over HTTPS to it will be refused "
                  f"(run `guard creds set {host}`)", file=sys.stderr)
    return broker


def fill_surrogates(plan, broker: CredentialBroker):
    """A copy of ``plan`` with every placeholder replaced by this session's surrogate."""
    def fill(text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: broker.surrogates.issue(m.group(1)), text)

    filled = copy.copy(plan)  # a LaunchPlan, or the plain namespace of a cached plan
    filled.env = {k: fill(v) for k, v in plan.env.items()}
    filled.argv = [fill(a) for a in plan.argv]
    return filled
