"""Credentials in the OS keyring through the ``keyring`` package.

Layout in the keyring: each token is the password of (service ``guard``, username HOST). The
list of hosts with their non-secret metadata (username, protocol) is a JSON document stored as
one more entry, (service ``guard.index``, username ``hosts``).

Why the index lives in the keyring and not in guard's state folder: it then shares the
keyring's lock, backup and lifetime, so ``list`` can never show hosts from a keyring that was
reset or replaced, and nothing about the user's tokens sits in a plain file that a sandboxed
process might be able to read. The cost: ``list`` needs the keyring unlocked, like ``get``.
``list`` cross-checks every indexed host against its entry, so an entry deleted with another
tool shows as missing instead of silently present.

Backend choice: the backend ``keyring`` would use, taken as is. A chainer is unwrapped to its
first (highest-priority) member so that ``set`` and ``get`` always hit the same place, and a
lower-priority plaintext member can never answer a lookup the real keyring missed. The fail,
null and plaintext backends are refused with the class that was found and how to fix it.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Iterator

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail, null

from guard.broker.store import (Credential, CredentialStore, StoreLocked, StoreUnavailable,
                                 stored_credential)

SERVICE = "guard"
INDEX = ("guard.index", "hosts")

_FIX = ("run a Secret Service provider (gnome-keyring, KWallet, KeePassXC) and install "
        "`secretstorage`, or select a backend with PYTHON_KEYRING_BACKEND / keyringrc.cfg; on a "
        "machine with no keyring use the encrypted file store: --store file")


def _name(backend: object) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def refusal(backend: keyring.backend.KeyringBackend) -> str | None:
    """Why ``backend`` must not hold tokens, or None when it may."""
    if isinstance(backend, fail.Keyring):
        return "no usable keyring backend was found (keyring fell back to its fail backend)"
    if isinstance(backend, null.Keyring):
        return "the null keyring backend stores nothing"
    if "plaintext" in type(backend).__qualname__.lower() or "plaintext" in type(backend).__module__.lower():
        # keyrings.alt.file.PlaintextKeyring and friends: a readable file, not a keyring.
        return "this backend writes secrets to a plaintext file"
    return None


def select_backend(backend: keyring.backend.KeyringBackend | None = None) -> keyring.backend.KeyringBackend:
    """The one backend guard will use, or ``StoreUnavailable`` saying what was found."""
    backend = backend if backend is not None else keyring.get_keyring()
    if isinstance(backend, chainer.ChainerBackend):
        members = list(backend.backends)
        if not members:
            raise StoreUnavailable("the keyring chainer has no viable backend behind it", hint=_FIX)
        backend = members[0]
    why = refusal(backend)
    if why:
        raise StoreUnavailable(f"refusing keyring backend {_name(backend)}: {why}", hint=_FIX)
    return backend


@contextmanager
def _reported(action: str) -> Iterator[None]:
    try:
        yield
    except keyring.errors.KeyringLocked as exc:
        raise StoreLocked(
            f"the keyring is locked ({exc}); nothing was {action}",
            hint="unlock it (log in to your desktop session, or unlock the login keyring in "
                 "Seahorse/KWallet) and run the command again",
        ) from None
    except keyring.errors.KeyringError as exc:
        raise StoreUnavailable(f"the keyring failed: {exc}; nothing was {action}", hint=_FIX) from None
    except Exception as exc:  # backend-specific errors (D-Bus, secretstorage) that keyring lets through
        if "locked" in type(exc).__name__.lower() or "dismissed" in type(exc).__name__.lower():
            raise StoreLocked(f"the keyring is locked ({type(exc).__name__}); nothing was {action}") from None
        raise


class KeyringStore(CredentialStore):
    name = "keyring"

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self.backend = select_backend(backend)

    def describe(self) -> str:
        return f"OS keyring ({_name(self.backend)})"

    # -- the index ---------------------------------------------------------------------------
    def _index(self) -> dict[str, dict]:
        with _reported("read"):
            raw = self.backend.get_password(*INDEX)
        if raw is None:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        hosts = data.get("hosts") if isinstance(data, dict) and data.get("version") == 1 else None
        if not isinstance(hosts, dict) or not all(isinstance(m, dict) for m in hosts.values()):
            raise StoreUnavailable(
                f"the guard index entry in the keyring ({INDEX[0]} / {INDEX[1]}) is not valid; "
                "nothing was changed",
                hint="inspect or delete that entry with your keyring tool, then `guard creds set` again",
            )
        return hosts

    def _write_index(self, hosts: dict[str, dict], action: str) -> None:
        with _reported(action):
            self.backend.set_password(*INDEX, json.dumps({"version": 1, "hosts": hosts}, sort_keys=True))

    # -- the interface -----------------------------------------------------------------------
    def get(self, host: str) -> Credential | None:
        meta = self._index().get(host, {})
        with _reported("read"):
            secret = self.backend.get_password(SERVICE, host)
        if secret is None:
            return None
        return stored_credential(host, secret, meta)

    def set(self, credential: Credential) -> None:
        hosts = self._index()  # read first: a locked keyring fails here, before any write
        with _reported("stored"):
            self.backend.set_password(SERVICE, credential.host, credential.secret)
        hosts[credential.host] = credential.metadata()
        self._write_index(hosts, "added to the index (the token itself was stored)")

    def delete(self, host: str) -> bool:
        hosts = self._index()
        with _reported("deleted"):
            existed = self.backend.get_password(SERVICE, host) is not None
            if existed:
                self.backend.delete_password(SERVICE, host)
        if host in hosts:
            del hosts[host]
            self._write_index(hosts, "removed from the index (the token itself was deleted)")
        return existed

    def hosts(self) -> list[str]:
        return sorted(self._index())

    def missing(self) -> list[str]:
        """Indexed hosts whose entry is gone (deleted with another tool)."""
        out = []
        for host in self.hosts():
            with _reported("read"):
                if self.backend.get_password(SERVICE, host) is None:
                    out.append(host)
        return out
