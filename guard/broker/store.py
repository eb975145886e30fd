"""The credential record, the store interface every backend implements, and its errors.

A store maps an exact host (``guard.broker.hosts``) to one ``Credential``. Stores never guess:
a locked store raises ``StoreLocked`` (it is not "empty"), an unusable one raises
``StoreUnavailable`` naming what was found and how to fix it, and no error path deletes or
rewrites anything.
"""

from __future__ import annotations

import abc
import os
import unicodedata
from dataclasses import dataclass, field

from guard.errors import GuardError, UsageError

DEFAULT_PROTOCOL = "https"
PROTOCOLS = ("https", "http")
# Sent when the stored credential has no username and git asked without one. GitHub documents
# it for app tokens and accepts any name with a personal token; GitLab accepts any name too.
DEFAULT_USERNAME = "x-access-token"
MAX_SECRET = 16 * 1024  # generous for any token; stops a mistaken `< big-file`
STORE_ENV = "GUARD_CREDS_STORE"


class StoreLocked(GuardError):
    """The store exists but is locked; nothing was read, written or deleted."""


class StoreUnavailable(GuardError):
    """No usable store: a refused backend, no keyring at all, a bad file or passphrase."""


@dataclass(frozen=True)
class Credential:
    host: str  # normalized host[:port]
    secret: str = field(repr=False)  # never in a repr, a log line or a traceback
    username: str | None = None  # None: any username git asks with is fine (GitHub tokens)
    protocol: str = DEFAULT_PROTOCOL

    def __post_init__(self) -> None:
        check_secret(self.secret)
        if self.username is not None:
            check_username(self.username)
        if self.protocol not in PROTOCOLS:
            raise UsageError(f"protocol must be one of {', '.join(PROTOCOLS)}, not {self.protocol!r}")

    def metadata(self) -> dict[str, str | None]:
        """The non-secret part, safe for an index."""
        return {"username": self.username, "protocol": self.protocol}


def stored_credential(host: str, secret: str, meta: dict) -> Credential:
    """A credential read back from a store; one that could not have been set is refused."""
    try:
        return Credential(host, secret, meta.get("username"), meta.get("protocol") or DEFAULT_PROTOCOL)
    except UsageError as exc:  # e.g. written by another tool: a line break would reach a header
        raise StoreUnavailable(f"the credential stored for {host} is not usable: {exc}",
                               hint=f"set it again with `guard creds set {host}`") from None


def _control(text: str) -> bool:
    # Cc covers CR, LF, NUL, DEL and C1 controls; the line/paragraph separators are split on
    # by some line readers. Any of them in a token would let it inject into an HTTP header or
    # a credential-protocol line.
    return any(unicodedata.category(c) == "Cc" or c in "\u2028\u2029" for c in text)


def check_secret(secret: str) -> str:
    if not isinstance(secret, str) or not secret:
        raise UsageError("the secret is empty; nothing was stored")
    if len(secret) > MAX_SECRET:
        raise UsageError(f"the secret is longer than {MAX_SECRET} characters; nothing was stored")
    if _control(secret):
        raise UsageError("the secret contains a control character (line break, NUL, ...); "
                         "a token is one line; nothing was stored")
    if secret != secret.strip():
        raise UsageError("the secret starts or ends with whitespace, probably a paste mistake; "
                         "nothing was stored")
    return secret


def check_username(username: str) -> str:
    if not username or _control(username) or ":" in username or username != username.strip():
        # ':' would split differently in HTTP Basic "user:password".
        raise UsageError(f"invalid username {username!r}: no control characters, ':' or edge spaces")
    return username


class CredentialStore(abc.ABC):
    """One place credentials live. Plugins may offer more through ``guard_credential_stores``."""

    name: str = "?"

    @abc.abstractmethod
    def describe(self) -> str:
        """Where the secrets are, for messages and ``guard doctor`` (e.g. the backend class)."""

    @abc.abstractmethod
    def get(self, host: str) -> Credential | None:
        """The credential for exactly ``host`` (already normalized), or None when none is stored."""

    @abc.abstractmethod
    def set(self, credential: Credential) -> None:
        """Add or replace the credential for ``credential.host``."""

    @abc.abstractmethod
    def delete(self, host: str) -> bool:
        """Remove the credential for ``host``; False when there was none."""

    @abc.abstractmethod
    def hosts(self) -> list[str]:
        """Every host with a stored credential, sorted."""


def open_store(name: str | None = None) -> CredentialStore:
    """The store called ``name``: ``keyring`` (default), ``file``, or one a plugin offers.

    The choice is always explicit (flag, then ``GUARD_CREDS_STORE``, then ``keyring``): guard
    never moves to another store because the first one is missing or locked.
    """
    name = name or os.environ.get(STORE_ENV) or "keyring"
    if name == "keyring":
        from guard.broker.keyring_store import KeyringStore

        return KeyringStore()
    if name == "file":
        from guard.broker.file_store import FileStore

        return FileStore()
    from guard.plugins import Plugins

    offered = [s for s in Plugins.load().credential_stores() if getattr(s, "name", None) == name]
    if not offered:
        raise UsageError(f"unknown credential store {name!r}",
                         hint="use --store keyring (the OS keyring) or --store file (encrypted file)")
    return offered[0]
