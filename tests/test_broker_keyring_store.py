"""KeyringStore over an in-memory backend: layout, index, refusals, locked handling."""

from __future__ import annotations

import keyring.backend
import pytest
from keyring.backends import chainer, fail, null
from keyring_fixtures import MemoryKeyring, memory_keyring  # noqa: F401 - fixture

from guard.broker.keyring_store import INDEX, SERVICE, KeyringStore, select_backend
from guard.broker.store import Credential, StoreLocked, StoreUnavailable


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt.file.PlaintextKeyring (refused by its name)."""


class FakeChainer(chainer.ChainerBackend):
    def __init__(self, members):
        super().__init__()
        self._members = members

    @property
    def backends(self):
        return self._members


def test_token_and_index_are_separate_entries(memory_keyring):  # noqa: F811
    store = KeyringStore()  # picks the installed keyring, as the CLI does
    store.set(Credential("github.com", "tok-1", "alice"))
    assert memory_keyring.items[(SERVICE, "github.com")] == "tok-1"
    index = memory_keyring.items[INDEX]
    assert "tok-1" not in index and "alice" in index  # the index holds no secret
    assert store.get("github.com") == Credential("github.com", "tok-1", "alice")
    assert "tok-1" not in repr(store.get("github.com"))


def test_list_reports_entries_deleted_behind_guards_back(memory_keyring):  # noqa: F811
    store = KeyringStore()
    store.set(Credential("github.com", "tok-1"))
    store.set(Credential("gitlab.com", "tok-2"))
    del memory_keyring.items[(SERVICE, "gitlab.com")]
    assert store.hosts() == ["github.com", "gitlab.com"]
    assert store.missing() == ["gitlab.com"]
    assert store.delete("gitlab.com") is False  # cleans the index ...
    assert store.hosts() == ["github.com"]  # ... without touching anything else


@pytest.mark.parametrize("backend, says", [
    (fail.Keyring(), "keyring.backends.fail.Keyring: no usable keyring"),
    (null.Keyring(), "keyring.backends.null.Keyring: the null keyring"),
    (PlaintextKeyring(), "PlaintextKeyring: this backend writes secrets to a plaintext file"),
    (FakeChainer([]), "chainer has no viable backend"),
    (FakeChainer([PlaintextKeyring(), MemoryKeyring()]), "PlaintextKeyring: .* plaintext"),
])
def test_unsafe_backends_are_refused_with_the_class_found_and_a_fix(backend, says):
    with pytest.raises(StoreUnavailable, match=says) as caught:
        select_backend(backend)
    assert "--store file" in caught.value.hint


def test_chainer_is_unwrapped_to_its_first_member_so_plaintext_never_answers():
    real, plain = MemoryKeyring(), PlaintextKeyring()
    plain.items[(SERVICE, "github.com")] = "planted"
    store = KeyringStore(FakeChainer([real, plain]))
    assert store.backend is real
    assert store.get("github.com") is None


def test_a_default_keyring_with_no_backend_is_refused(monkeypatch):
    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    with pytest.raises(StoreUnavailable, match="keyring.backends.fail.Keyring"):
        KeyringStore()


def test_locked_keyring_is_locked_not_missing_and_nothing_changes(memory_keyring):  # noqa: F811
    store = KeyringStore()
    store.set(Credential("github.com", "tok-1"))
    before = dict(memory_keyring.items)
    memory_keyring.locked = True
    for attempt in (lambda: store.get("github.com"), lambda: store.delete("github.com"), store.hosts,
                    lambda: store.set(Credential("github.com", "tok-2"))):
        with pytest.raises(StoreLocked, match="locked.*nothing was"):
            attempt()
    memory_keyring.locked = False
    assert memory_keyring.items == before
    assert "delete" not in memory_keyring.calls


def test_corrupt_index_is_reported_and_left_alone(memory_keyring):  # noqa: F811
    memory_keyring.items[INDEX] = "not json"
    with pytest.raises(StoreUnavailable, match="index"):
        KeyringStore().set(Credential("github.com", "tok"))
    assert memory_keyring.items == {INDEX: "not json"}


def test_backend_errors_become_guard_errors(memory_keyring, monkeypatch):  # noqa: F811
    import keyring.errors

    def broken(*_):
        raise keyring.errors.InitError("Failed to create the collection")

    monkeypatch.setattr(memory_keyring, "get_password", broken)
    with pytest.raises(StoreUnavailable, match="Failed to create the collection"):
        KeyringStore().get("github.com")


def test_memory_keyring_is_a_real_keyring_backend():
    assert issubclass(MemoryKeyring, keyring.backend.KeyringBackend)


def test_a_token_with_a_line_break_written_by_another_tool_is_refused_on_read(memory_keyring):  # noqa: F811
    memory_keyring.items[(SERVICE, "github.com")] = "tok\r\nX-Injected: 1"
    with pytest.raises(StoreUnavailable, match="not usable.*control character"):
        KeyringStore().get("github.com")
