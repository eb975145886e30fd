"""Opt-in encrypted file store, for machines with no OS keyring (``--store file``).

One file, ``$XDG_STATE_HOME/guard/credentials.enc`` (or ``GUARD_CREDS_FILE``), mode 0600:
a JSON header naming the KDF and its parameters, and every credential (host names included)
encrypted together with AES-256-GCM under a key derived by scrypt (N=2^17, r=8, p=1) from a
passphrase. The header is the GCM associated data, so any edit to it or to the ciphertext is
detected; a fresh random nonce is used for each write.

What it protects against:
  - a copy of the file without the passphrase: a backup, a synced dotfiles folder, a stolen
    disk image, a process that can read files but never saw the passphrase. Such a reader
    learns the approximate number and length of the entries, nothing else, and can only guess
    passphrases at scrypt's cost;
  - silent tampering: a modified file fails to decrypt and is reported, never rewritten.

What it does NOT protect against:
  - anything running as the same user while guard holds the passphrase or the derived key in
    memory (ptrace, /proc/PID/mem), or a keylogger watching the prompt;
  - ``GUARD_CREDS_PASSPHRASE``: convenient for headless machines, but then the passphrase is
    readable in /proc/PID/environ of every process that inherits it, and usually sits in a
    shell profile or a CI secret next to the file. It is as strong as the place it is kept.
    guard never lets that variable into the sandbox;
  - a weak passphrase (scrypt slows guessing, it cannot make "hunter2" strong);
  - rollback: an older copy of the file is still a valid file, with the older tokens.
An OS keyring is better on every count but the first; use this only where none exists.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Callable

from guard.broker.store import Credential, CredentialStore, StoreUnavailable, stored_credential
from guard.errors import UsageError

PASSPHRASE_ENV = "GUARD_CREDS_PASSPHRASE"
PATH_ENV = "GUARD_CREDS_FILE"
COST = 2**17  # scrypt N; with r=8 that is 128 MiB and a fraction of a second per unlock
MIN_PASSPHRASE = 8
_FORMAT = "guard-credentials"


def default_path() -> Path:
    from guard.paths import state_dir

    return Path(os.environ[PATH_ENV]) if os.environ.get(PATH_ENV) else state_dir() / "credentials.enc"


def ask_passphrase(new: bool) -> str:
    """The passphrase from ``GUARD_CREDS_PASSPHRASE``, else a hidden prompt on the terminal."""
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    try:  # getpass falls back to echoing stdin without a terminal; for the git helper that
        # stdin is the protocol stream, so insist on a real controlling terminal instead.
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        raise StoreUnavailable("the encrypted credential file needs a passphrase and there is no terminal",
                               hint=f"run it from a terminal, or set {PASSPHRASE_ENV} (see `guard creds --help`)") from None
    import getpass

    try:
        first = getpass.getpass("Passphrase for guard's credential file: ")
        if new and getpass.getpass("Same passphrase again: ") != first:
            raise UsageError("the two passphrases differ; nothing was stored")
    except (EOFError, OSError):
        raise StoreUnavailable("could not read a passphrase from the terminal",
                               hint=f"run it from a terminal, or set {PASSPHRASE_ENV}") from None
    return first


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _header_bytes(header: dict) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


class FileStore(CredentialStore):
    name = "file"

    def __init__(self, path: Path | None = None, passphrase: Callable[[bool], str] = ask_passphrase,
                 cost: int = COST) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._passphrase = passphrase
        self._cost = cost
        self._header: dict | None = None  # kept with the key so writes reuse salt and parameters
        self._key: bytes | None = None

    def describe(self) -> str:
        return f"encrypted file {self.path}"

    # -- crypto ------------------------------------------------------------------------------
    def _derive(self, header: dict, passphrase: str) -> bytes:
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        kdf = header["kdf"]
        return Scrypt(salt=base64.b64decode(kdf["salt"]), length=32, n=kdf["n"], r=kdf["r"],
                      p=kdf["p"]).derive(passphrase.encode())

    def _bad(self, what: str) -> StoreUnavailable:
        return StoreUnavailable(f"{self.path}: {what}; nothing was changed",
                                hint="restore it from a backup, or move it away and store the tokens again")

    def _load(self) -> dict[str, dict]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise self._bad(f"cannot read: {exc.strerror}") from None
        try:
            doc = json.loads(raw)
            header = {k: doc[k] for k in ("format", "version", "kdf", "cipher")}
            nonce, ciphertext = base64.b64decode(doc["nonce"]), base64.b64decode(doc["ciphertext"])
            kdf = header["kdf"]
            ok = (header["format"] == _FORMAT and header["version"] == 1 and header["cipher"] == "AES-256-GCM"
                  and kdf["name"] == "scrypt" and len(nonce) == 12)
            # Bounds: a doctored header must not make us allocate gigabytes or skip the KDF.
            ints = all(type(kdf[k]) is int for k in ("n", "r", "p"))
            ok = ok and ints and kdf["n"] in [2**i for i in range(10, 21)] and 1 <= kdf["r"] <= 32 \
                and 1 <= kdf["p"] <= 16 and len(base64.b64decode(kdf["salt"])) >= 16
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            raise self._bad("not a guard credential file, or a version this guard does not read")
        if self._header != header or self._key is None:
            self._header, self._key = header, self._derive(header, self._passphrase(False))
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            plain = AESGCM(self._key).decrypt(nonce, ciphertext, _header_bytes(header))
        except InvalidTag:
            self._key = None
            raise self._bad("cannot decrypt: wrong passphrase, or the file was modified") from None
        return json.loads(plain)["hosts"]

    def _save(self, hosts: dict[str, dict]) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if self._key is None:  # a new file: new salt, passphrase asked twice
            passphrase = self._passphrase(True)
            if len(passphrase) < MIN_PASSPHRASE:
                raise UsageError(f"the passphrase is shorter than {MIN_PASSPHRASE} characters; nothing was stored")
            salt = os.urandom(16)
            self._header = {"format": _FORMAT, "version": 1, "cipher": "AES-256-GCM",
                            "kdf": {"name": "scrypt", "n": self._cost, "r": 8, "p": 1, "salt": _b64(salt)}}
            self._key = self._derive(self._header, passphrase)
        nonce = os.urandom(12)
        plain = json.dumps({"hosts": hosts}, sort_keys=True).encode()
        ciphertext = AESGCM(self._key).encrypt(nonce, plain, _header_bytes(self._header))
        doc = dict(self._header, nonce=_b64(nonce), ciphertext=_b64(ciphertext))
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(doc, out, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)  # atomic: a crash leaves the old file or the new, never half
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    # -- the interface -----------------------------------------------------------------------
    def get(self, host: str) -> Credential | None:
        entry = self._load().get(host)
        if entry is None:
            return None
        return stored_credential(host, entry["secret"], entry)

    def set(self, credential: Credential) -> None:
        hosts = self._load()
        hosts[credential.host] = dict(credential.metadata(), secret=credential.secret)
        self._save(hosts)

    def delete(self, host: str) -> bool:
        hosts = self._load()
        if host not in hosts:
            return False
        del hosts[host]
        self._save(hosts)
        return True

    def hosts(self) -> list[str]:
        return sorted(self._load())
