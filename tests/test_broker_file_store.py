"""The opt-in encrypted file store: what a copy of the file reveals, tampering, passphrases."""

from __future__ import annotations

import json
import os
import stat

import pytest

from guard.broker.file_store import FileStore
from guard.broker.store import Credential, StoreUnavailable
from guard.errors import UsageError

TOKEN = "ghp_fileStoreToken0123456789"
CHEAP = 2**10  # the production cost is 2**17; the format stores N, so tests may use less


def make(path, passphrase="correct horse battery", asked=None):
    def ask(new):
        if asked is not None:
            asked.append(new)
        return passphrase
    return FileStore(path, ask, cost=CHEAP)


def test_round_trip_and_a_fresh_instance_reads_it_back(tmp_path):
    path = tmp_path / "creds.enc"
    asked = []
    store = make(path, asked=asked)
    assert store.hosts() == [] and asked == []  # no file yet: empty, no passphrase needed
    store.set(Credential("github.com", TOKEN, "alice"))
    store.set(Credential("gitlab.com", "tok-2"))
    assert asked == [True]  # asked once, as a new passphrase (the prompt confirms it)
    again = make(path)
    assert again.get("github.com") == Credential("github.com", TOKEN, "alice")
    assert again.hosts() == ["github.com", "gitlab.com"]
    assert again.delete("gitlab.com") and not again.delete("gitlab.com")
    assert make(path).hosts() == ["github.com"]


def test_the_file_reveals_neither_tokens_nor_host_names_and_is_private(tmp_path):
    path = tmp_path / "state" / "creds.enc"
    make(path).set(Credential("secret-host.example.com", TOKEN, "alice"))
    raw = path.read_bytes()
    for clear in (TOKEN.encode(), b"secret-host", b"alice"):
        assert clear not in raw
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(raw)["kdf"]["name"] == "scrypt"


def test_wrong_passphrase_is_reported_and_the_file_is_untouched(tmp_path):
    path = tmp_path / "creds.enc"
    make(path).set(Credential("github.com", TOKEN))
    before = path.read_bytes()
    store = make(path, passphrase="not the passphrase")
    for attempt in (lambda: store.get("github.com"), lambda: store.delete("github.com"),
                    lambda: store.set(Credential("github.com", "x"))):
        with pytest.raises(StoreUnavailable, match="wrong passphrase"):
            attempt()
    assert path.read_bytes() == before


@pytest.mark.parametrize("edit", [
    lambda d: d.update(ciphertext=d["ciphertext"][:-4] + ("AAAA" if d["ciphertext"][-4:] != "AAAA" else "BBBB")),
    lambda d: d["kdf"].update(salt="AAAAAAAAAAAAAAAAAAAAAA=="),
    lambda d: d.update(cipher="AES-128-GCM"),
    lambda d: d["kdf"].update(n=2**30),  # would allocate a terabyte
    lambda d: d["kdf"].update(r=8.0),
    lambda d: d.pop("nonce"),
])
def test_a_modified_file_is_detected_not_rewritten(tmp_path, edit):
    path = tmp_path / "creds.enc"
    make(path).set(Credential("github.com", TOKEN))
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))
    before = path.read_bytes()
    with pytest.raises(StoreUnavailable, match=str(path)):
        make(path).set(Credential("github.com", "replacement"))
    assert path.read_bytes() == before


def test_a_short_passphrase_is_refused_for_a_new_file(tmp_path):
    with pytest.raises(UsageError, match="shorter than"):
        make(tmp_path / "creds.enc", passphrase="short").set(Credential("github.com", TOKEN))
    assert not (tmp_path / "creds.enc").exists()


def test_each_write_uses_a_new_nonce(tmp_path):
    path = tmp_path / "creds.enc"
    store = make(path)
    store.set(Credential("github.com", TOKEN))
    first = json.loads(path.read_text())["nonce"]
    store.set(Credential("github.com", TOKEN))
    assert json.loads(path.read_text())["nonce"] != first


def test_passphrase_from_environment_and_refusal_without_a_terminal(tmp_path, monkeypatch):
    from guard.broker import file_store

    monkeypatch.setenv("GUARD_CREDS_PASSPHRASE", "from the environment")
    assert file_store.ask_passphrase(True) == "from the environment"
    monkeypatch.delenv("GUARD_CREDS_PASSPHRASE")
    real_open = os.open

    def no_tty(path, *args, **kwargs):
        if path == "/dev/tty":
            raise OSError(6, "No such device or address")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_tty)
    with pytest.raises(StoreUnavailable, match="no terminal"):
        file_store.ask_passphrase(False)
