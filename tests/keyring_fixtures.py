"""Keyring fixtures for the credential tests (a plain module: tests import what they use).

``MemoryKeyring``   a real ``keyring.backend.KeyringBackend`` kept in a dict, with a ``locked``
                    switch that raises ``KeyringLocked`` like the Secret Service backend does.
``DictStore``       a plain ``CredentialStore`` in a dict (with the same ``locked`` switch).
``memory_keyring``  installs one with ``keyring.set_keyring`` for the test, then restores.
``secret_service``  a real gnome-keyring on a private D-Bus session bus (``dbus-run-session``),
                    in a throwaway HOME, its login collection unlocked with a known password.
                    Skipped when the tools are missing, unless GUARD_REQUIRE_SECRET_SERVICE=1
                    (set it in CI so that a missing tool fails instead of skipping).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest

from guard.broker.store import Credential, CredentialStore, StoreLocked


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # viable, above fail (0); only ever installed explicitly by the fixture

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}
        self.locked = False
        self.calls: list[str] = []

    def _check(self, op: str) -> None:
        self.calls.append(op)
        if self.locked:
            raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def get_password(self, service, username):
        self._check("get")
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self._check("set")
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self._check("delete")
        if (service, username) not in self.items:
            raise keyring.errors.PasswordDeleteError("No such password!")
        del self.items[(service, username)]


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


class DictStore(CredentialStore):
    """A ``CredentialStore`` in a dict, for helper and broker tests that are not about keyrings."""

    name = "dict"

    def __init__(self, *creds: Credential) -> None:
        self.creds = {c.host: c for c in creds}
        self.opened = 0
        self.locked = False

    def describe(self):
        return "dict"

    def _check(self):
        if self.locked:
            raise StoreLocked("the keyring is locked")

    def get(self, host):
        self._check()
        return self.creds.get(host)

    def set(self, credential):
        self._check()
        self.creds[credential.host] = credential

    def delete(self, host):
        self._check()
        return self.creds.pop(host, None) is not None

    def hosts(self):
        return sorted(self.creds)


# -- a real Secret Service -------------------------------------------------------------------

# A session bus with no service directories: nothing can be D-Bus-activated behind our back
# (no second gnome-keyring racing ours, no GUI unlock prompter), so a locked collection stays
# locked and the unlock attempt fails at once.
_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir={tmp}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""
# Print the bus address where the test can read it, then become the keyring daemon; it reads
# the login password on stdin (--unlock) and creates/unlocks the "login" collection with it.
_SCRIPT = ('echo "$DBUS_SESSION_BUS_ADDRESS" > "$1.tmp" && mv "$1.tmp" "$1" && '
           "exec gnome-keyring-daemon --foreground --unlock --components=secrets")
SECRETS_BUS_NAME = "org.freedesktop.secrets"


class SecretService:
    """Handle on the running daemon: its bus address, env for subprocesses, lock/unlock."""

    password = b"guard-test-login-password"

    def __init__(self, address: str, env: dict[str, str], log: Path) -> None:
        self.address, self.env, self.log = address, env, log

    def _collection(self, conn):
        import secretstorage

        return secretstorage.get_default_collection(conn)

    def lock(self) -> None:
        import secretstorage

        with secretstorage.dbus_init() as conn:
            self._collection(conn).lock()

    def is_locked(self) -> bool:
        import secretstorage

        with secretstorage.dbus_init() as conn:
            return self._collection(conn).is_locked()

    def unlock(self) -> None:
        """Unlock with the login password, through gnome-keyring's own (non-standard) method:
        the standard Unlock needs a GUI prompt, which a test cannot answer."""
        import secretstorage
        from jeepney import DBusAddress, new_method_call
        from secretstorage.util import format_secret, open_session

        with secretstorage.dbus_init() as conn:
            collection = self._collection(conn)
            secret = format_secret(open_session(conn), self.password, "text/plain")
            target = DBusAddress("/org/freedesktop/secrets", bus_name=SECRETS_BUS_NAME,
                                 interface="org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface")
            conn.send_and_get_reply(new_method_call(
                target, "UnlockWithMasterPassword", "o(oayays)", (collection.collection_path, secret)))
            assert not collection.is_locked(), "gnome-keyring did not unlock with the login password"

    def item_attributes(self) -> list[dict[str, str]]:
        """Attributes of every item; readable even while locked (they are not secret)."""
        import secretstorage

        with secretstorage.dbus_init() as conn:
            return [item.get_attributes() for item in self._collection(conn).get_all_items()]


def _unavailable(reason: str) -> None:
    if os.environ.get("GUARD_REQUIRE_SECRET_SERVICE"):
        pytest.fail(f"GUARD_REQUIRE_SECRET_SERVICE is set but {reason}")
    pytest.skip(reason)


def _name_has_owner(address: str) -> bool:
    from jeepney import DBus
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(address) as conn:  # NameHasOwner never activates anything
        return bool(conn.send_and_get_reply(DBus().NameHasOwner(SECRETS_BUS_NAME)).body[0])


@pytest.fixture(scope="module")
def secret_service(tmp_path_factory):
    for tool in ("dbus-run-session", "gnome-keyring-daemon"):
        if not shutil.which(tool):
            _unavailable(f"{tool} is not installed (apt install dbus gnome-keyring)")
    try:
        import jeepney  # noqa: F401
        import secretstorage  # noqa: F401
    except ImportError:
        _unavailable("the secretstorage and jeepney Python packages are not installed")
    home = tmp_path_factory.mktemp("keyring-home")
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    (home / "bus.conf").write_text(_BUS_CONFIG.format(tmp=runtime))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_RUNTIME_DIR": str(runtime), "LANG": "C.UTF-8"}  # no DISPLAY: no GUI prompt
    address_file, log = home / "bus-address", home / "daemon.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["dbus-run-session", f"--config-file={home / 'bus.conf'}", "--", "sh", "-c", _SCRIPT,
             "sh", str(address_file)],
            stdin=subprocess.PIPE, stdout=out, stderr=out, env=env, start_new_session=True)
    proc.stdin.write(SecretService.password)
    proc.stdin.close()
    saved = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    try:
        deadline = time.monotonic() + 60  # a readiness wait, not a measurement
        address = None
        while time.monotonic() < deadline and proc.poll() is None:
            if address is None and address_file.exists():
                address = address_file.read_text().strip()
            if address and _name_has_owner(address):
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"gnome-keyring did not come up on its bus; its log:\n{log.read_text()}")
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
        yield SecretService(address, dict(env, DBUS_SESSION_BUS_ADDRESS=address), log)
    finally:
        if saved is None:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = saved
        os.killpg(proc.pid, signal.SIGTERM)  # our own process group: dbus-run-session + daemon
        proc.wait()


class PlaintextKeyring(MemoryKeyring):
    """Named like keyrings.alt's plaintext backend, to prove guard refuses it by what it is.
    Select it in a subprocess with PYTHON_KEYRING_BACKEND=keyring_fixtures.PlaintextKeyring."""
