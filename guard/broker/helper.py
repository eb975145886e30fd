"""``guard credential get/store/erase``: a git credential helper for the user's own git.

Configure it outside the sandbox (it needs the user's keyring, which the sandbox cannot reach)::

    git config --global credential.https://github.com.helper ""        # drop helpers before it
    git config --global --add credential.https://github.com.helper "!guard credential"
    # or, on a machine without a keyring:  "!guard credential --store file"

The helper only ever looks things up in the store: it opens no connection and derives no
destination from its input. A credential is answered only for the exact host (``host[:port]``,
normalized) and protocol it was stored for; ``https`` unless ``guard creds set --protocol
http`` said otherwise. Unknown verbs are ignored with exit status 0, as gitcredentials(7)
asks, so a future git can add verbs without breaking anything.
"""

from __future__ import annotations

import hmac
from typing import Callable

from guard.broker.hosts import normalize_credential_host
from guard.broker.protocol import CredentialRequest, ProtocolError, format_response, parse_request
from guard.broker.store import DEFAULT_PROTOCOL, DEFAULT_USERNAME, Credential, CredentialStore

VERBS = ("get", "store", "erase")


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class GitCredentialHelper:
    def __init__(self, open_store: Callable[[], CredentialStore]) -> None:
        self._open_store = open_store  # opened only for a known verb with a usable request

    def run(self, verb: str, data: bytes) -> bytes:
        """Answer one helper call; returns what to write on stdout (often nothing)."""
        if verb not in VERBS:
            return b""
        request = parse_request(data)
        host = self._host(request)
        if host is None:
            return b""
        store = self._open_store()
        stored = store.get(host)
        return getattr(self, "_" + verb)(request, host, stored, store)

    @staticmethod
    def _host(request: CredentialRequest) -> str | None:
        host, protocol = request.get("host"), request.get("protocol")
        if not host or not protocol:
            return None  # nothing to match exactly; never guess a host
        try:
            return normalize_credential_host(host)
        except ValueError as exc:
            raise ProtocolError(f"host={host!r}: {exc}") from None

    @staticmethod
    def _matches(request: CredentialRequest, stored: Credential | None) -> bool:
        if stored is None or request.get("protocol") != stored.protocol:
            return False
        username = request.get("username")
        return not (username and stored.username and username != stored.username)

    def _get(self, request, host, stored, store) -> bytes:
        if not self._matches(request, stored):
            return b""
        username = stored.username or request.get("username") or DEFAULT_USERNAME
        return format_response({"username": username, "password": stored.secret})

    def _store(self, request, host, stored, store) -> bytes:
        password, username, protocol = request.get("password"), request.get("username"), request.get("protocol")
        if not password or request.get("password_expiry_utc") or request.get("ephemeral"):
            return b""  # nothing to keep, or a short-lived token this store cannot expire
        if protocol != (stored.protocol if stored else DEFAULT_PROTOCOL):
            return b""  # plain http only where the user configured it for this host
        if stored and _same(stored.secret, password) and stored.username in (None, username):
            return b""  # git echoing back what we just gave it: keep the record as the user set it
        store.set(Credential(host, password, username or None, protocol))
        return b""

    def _erase(self, request, host, stored, store) -> bytes:
        if not self._matches(request, stored):
            return b""
        password = request.get("password")
        if password and not _same(stored.secret, password):
            return b""  # a rejection of an older token must not erase the newer one
        store.delete(host)
        return b""
