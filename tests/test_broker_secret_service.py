"""The keyring store and ``guard creds`` against a real gnome-keyring on a private bus."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from keyring_fixtures import secret_service  # noqa: F401 - fixture

from guard.broker.keyring_store import INDEX, SERVICE, KeyringStore
from guard.broker.store import Credential, StoreLocked

TOKEN = "ghp_realSecretServiceToken0123456789"


@pytest.fixture
def store(secret_service):  # noqa: F811
    from keyring.backends.SecretService import Keyring

    store = KeyringStore(Keyring())
    for host in store.hosts():
        store.delete(host)
    yield store
    if not secret_service.is_locked():
        for host in store.hosts():
            store.delete(host)


def guard(secret_service, *argv, stdin=""):  # noqa: F811
    env = dict(secret_service.env, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-m", "guard", *argv], input=stdin, capture_output=True,
                          text=True, env=env, timeout=120)


def test_set_get_list_rm_round_trip_in_real_secret_service(store):
    store.set(Credential("github.com", TOKEN, None))
    store.set(Credential("git.example.com:8443", "other-token", "alice"))
    assert store.hosts() == ["git.example.com:8443", "github.com"]
    assert store.get("github.com").secret == TOKEN
    assert store.get("git.example.com:8443").username == "alice"
    assert store.get("git.example.com") is None  # another port is another key, never a prefix
    assert store.delete("github.com") is True
    assert store.get("github.com") is None
    assert store.hosts() == ["git.example.com:8443"]
    assert store.delete("github.com") is False


def test_token_is_an_item_of_the_login_collection_under_service_guard(store, secret_service):  # noqa: F811
    store.set(Credential("github.com", TOKEN, None))
    attrs = secret_service.item_attributes()
    assert {"service": SERVICE, "username": "github.com"}.items() <= next(
        a for a in attrs if a.get("username") == "github.com").items()
    assert any(a.get("service") == INDEX[0] for a in attrs)


def test_cli_auto_detects_secret_service_and_round_trips(secret_service, store):  # noqa: F811
    done = guard(secret_service, "creds", "set", "GitHub.com.", stdin=TOKEN + "\n")
    assert done.returncode == 0, done.stderr
    assert "SecretService" in done.stderr
    listed = guard(secret_service, "creds", "list")
    assert listed.stdout.split() == ["github.com"]
    got = guard(secret_service, "creds", "get", "github.com")  # stdout is a pipe: printed
    assert got.returncode == 0 and got.stdout == TOKEN + "\n"
    removed = guard(secret_service, "creds", "rm", "github.com")
    assert removed.returncode == 0, removed.stderr
    assert guard(secret_service, "creds", "get", "github.com").returncode == 1


def test_locked_collection_is_reported_locked_and_nothing_is_deleted(secret_service, store):  # noqa: F811
    store.set(Credential("github.com", TOKEN, None))
    secret_service.lock()
    try:
        assert secret_service.is_locked()
        for attempt in (lambda: store.get("github.com"), lambda: store.delete("github.com"),
                        store.hosts, lambda: store.set(Credential("github.com", "replacement", None))):
            with pytest.raises(StoreLocked, match="locked"):
                attempt()
        for argv in (["rm", "github.com"], ["get", "github.com"], ["list"]):
            done = guard(secret_service, "creds", *argv)
            assert done.returncode == 125, (argv, done.stdout, done.stderr)
            assert "locked" in done.stderr and "no token stored" not in done.stderr
            assert TOKEN not in done.stdout + done.stderr
        # The item is still there (its attributes stay visible while locked) ...
        assert any(a.get("username") == "github.com" for a in secret_service.item_attributes())
    finally:
        secret_service.unlock()
    # ... and after unlocking it still holds the original token, not the attempted replacement.
    assert store.get("github.com").secret == TOKEN
    assert store.hosts() == ["github.com"]


def test_git_credential_fill_reads_the_token_from_secret_service(secret_service, store, tmp_path):  # noqa: F811
    store.set(Credential("github.com", TOKEN, None))
    env = dict(secret_service.env, PYTHONPATH=os.pathsep.join(sys.path), GIT_TERMINAL_PROMPT="0",
               GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(tmp_path / "gitconfig"))
    helper = f"!{sys.executable} -m guard credential"
    fill = subprocess.run(["git", "-c", "credential.helper=", "-c", f"credential.helper={helper}",
                           "credential", "fill"], input="protocol=https\nhost=github.com\n\n",
                          capture_output=True, text=True, env=env, timeout=120)
    assert fill.returncode == 0, fill.stderr
    assert f"password={TOKEN}" in fill.stdout.splitlines()
    assert "username=x-access-token" in fill.stdout.splitlines()
