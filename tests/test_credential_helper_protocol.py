"""The git credential protocol: parsing, injection refusals, and get/store/erase semantics."""

from __future__ import annotations

import pytest

from guard.broker.helper import GitCredentialHelper
from guard.broker.protocol import ProtocolError, format_response, parse_request
from guard.broker.store import Credential, StoreLocked
from keyring_fixtures import DictStore

TOKEN = "ghp_0123456789abcdefTOKEN"


def helper(store: DictStore) -> GitCredentialHelper:
    def open_store():
        store.opened += 1
        return store
    return GitCredentialHelper(open_store)


def run(store, verb, text):
    return helper(store).run(verb, text.encode()).decode()


@pytest.fixture
def store():
    return DictStore(Credential("github.com", TOKEN))


# -- get -----------------------------------------------------------------------------------

def test_get_answers_the_exact_host_with_username_and_password(store):
    out = run(store, "get", "protocol=https\nhost=github.com\n\n")
    assert out == f"username=x-access-token\npassword={TOKEN}\n"


def test_get_keeps_the_username_git_asked_with(store):
    out = run(store, "get", "protocol=https\nhost=github.com\nusername=alice\n")
    assert out.splitlines()[0] == "username=alice"


def test_get_refuses_a_different_username_than_the_one_stored():
    store = DictStore(Credential("github.com", TOKEN, "bob"))
    assert run(store, "get", "protocol=https\nhost=github.com\nusername=alice\n") == ""


@pytest.mark.parametrize("host", [
    "github.com.evil.net", "evil-github.com", "xgithub.com", "api.github.com", "github.com:443",
    "github.co", "gist.github.com",
])
def test_get_compares_hosts_exactly(store, host):
    assert run(store, "get", f"protocol=https\nhost={host}\n") == ""


def test_get_normalizes_case_and_trailing_dot_only(store):
    assert TOKEN in run(store, "get", "protocol=https\nhost=GitHub.COM.\n")


@pytest.mark.parametrize("protocol", ["http", "ssh", "HTTPS", "file", ""])
def test_get_serves_https_only_unless_configured(store, protocol):
    assert run(store, "get", f"protocol={protocol}\nhost=github.com\n") == ""


def test_http_is_served_only_for_a_host_configured_with_it():
    store = DictStore(Credential("git.lan", TOKEN, protocol="http"))
    assert TOKEN in run(store, "get", "protocol=http\nhost=git.lan\n")
    assert run(store, "get", "protocol=https\nhost=git.lan\n") == ""


def test_missing_host_or_protocol_answers_nothing_and_opens_no_store(store):
    assert run(store, "get", "protocol=https\npath=x\n") == ""
    assert run(store, "get", "host=github.com\n") == ""
    assert store.opened == 0


def test_capabilities_are_never_advertised(store):
    out = run(store, "get", "capability[]=authtype\ncapability[]=state\nprotocol=https\nhost=github.com\n")
    assert "capability" not in out and "authtype" not in out
    assert TOKEN in out


def test_attributes_after_the_blank_line_are_not_read(store):
    assert run(store, "get", "protocol=https\n\nhost=github.com\n") == ""


def test_unknown_verbs_are_ignored_silently_without_opening_the_store(store):
    for verb in ("capability", "approve", "list", "fill", ""):
        assert run(store, verb, "protocol=https\nhost=github.com\n") == ""
    assert store.opened == 0


def test_locked_store_raises_locked_for_every_verb(store):
    store.locked = True
    for verb in ("get", "store", "erase"):
        with pytest.raises(StoreLocked):
            run(store, verb, f"protocol=https\nhost=github.com\npassword={TOKEN}\n")
    store.locked = False
    assert store.creds["github.com"].secret == TOKEN


# -- injection -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "protocol=https\nhost=github.com\nprotocol=https\nhost=evil.com\n",  # second host= overrides?
    "host=evil.com\nprotocol=https\nhost=github.com\n",
    "protocol=https\nprotocol=http\nhost=github.com\n",
    "protocol=https\nhost=github.com\nusername=a\nusername=b\n",
    "protocol=https\nhost=github.com\npath=a\npath=b\n",
])
def test_a_repeated_attribute_is_refused_not_last_wins(store, text):
    with pytest.raises(ProtocolError, match="given twice"):
        run(store, "get", text)


@pytest.mark.parametrize("text, where", [
    ("protocol=https\nhost=github.com\rhost=evil.com\n", "host"),
    ("protocol=https\nhost=github.com\r\n", "host"),
    ("protocol=https\nhost=github.com\x00evil.com\n", "host"),
    ("protocol=https\nhost=github.com\npath=repo\rhost=evil\n", "path"),
    ("protocol=https\nhost=github.com\npath=a\x00b\n", "path"),
    ("protocol=https\nhost=github.com\nusername=alice\rpassword=x\n", "username"),
    ("protocol=https\nhost=github.com\nusername=al\x00ice\n", "username"),
    ("protocol=https\x0bhost=github.com\n", "protocol"),
    ("protocol=https\nhost=github.com\nwwwauth[]=Basic\rrealm\n", "wwwauth"),
])
def test_control_characters_in_any_attribute_are_refused(store, text, where):
    with pytest.raises(ProtocolError, match=f"{where}.*control character"):
        run(store, "get", text)
    assert store.opened == 0


@pytest.mark.parametrize("url, where", [
    ("https://github.com%0ahost=evil.com", "host"),
    ("https://github.com%0d%0ahost=evil.com", "host"),
    ("https://github.com%00.evil.com", "host"),
    ("https://alice%0apassword=x@github.com/", "username"),
    ("https://github.com/repo%0ahost=evil.com", "path"),
    ("https://github.com/repo%0d", "path"),
])
def test_url_with_encoded_line_breaks_or_nul_is_refused(store, url, where):
    with pytest.raises(ProtocolError, match=f"url \\({where}\\).*control character"):
        run(store, "get", f"url={url}\n")


def test_url_is_decomposed_and_must_agree_with_explicit_fields(store):
    assert TOKEN in run(store, "get", "url=https://github.com/owner/repo.git\n")
    with pytest.raises(ProtocolError, match="url= says host"):
        run(store, "get", "host=evil.com\nurl=https://github.com/\n")
    with pytest.raises(ProtocolError, match="url= says protocol"):
        run(store, "get", "url=https://github.com/\nprotocol=http\n")


def test_url_userinfo_never_becomes_the_host(store):
    # The real host is after the last '@': evil.com, which has no token.
    assert run(store, "get", "url=https://github.com@evil.com/\n") == ""


@pytest.mark.parametrize("text", ["protocol https\n", "=x\n", "ho st=x\n", "host[=x\n"])
def test_malformed_lines_are_refused(store, text):
    with pytest.raises(ProtocolError, match="malformed"):
        run(store, "get", text)


def test_non_utf8_and_oversized_input_are_refused(store):
    with pytest.raises(ProtocolError, match="UTF-8"):
        helper(store).run("get", b"protocol=https\nhost=gith\xffub.com\n")
    with pytest.raises(ProtocolError, match="longer than"):
        helper(store).run("get", b"path=" + b"a" * 70000 + b"\n")


def test_invalid_host_names_are_refused_by_name(store):
    for host in ("github.com/evil", "github.com:0", "a b", "*.github.com", "[::1]", "user@github.com"):
        with pytest.raises(ProtocolError, match="host="):
            run(store, "get", f"protocol=https\nhost={host}\n")


def test_response_refuses_to_emit_a_line_break():
    with pytest.raises(ProtocolError):
        format_response({"username": "a\nb"})
    with pytest.raises(ProtocolError):
        format_response({"password": "x\rquit=1"})


def test_request_repr_does_not_show_the_password():
    request = parse_request(b"protocol=https\nhost=github.com\npassword=hunter22\n")
    assert "hunter22" not in repr(request)


# -- store / erase ---------------------------------------------------------------------------

def test_store_saves_a_new_https_credential():
    store = DictStore()
    run(store, "store", "protocol=https\nhost=git.example.com\nusername=alice\npassword=pw-1\n")
    assert store.creds["git.example.com"] == Credential("git.example.com", "pw-1", "alice")


def test_store_refuses_http_unless_configured_and_skips_expiring_or_empty():
    store = DictStore()
    run(store, "store", "protocol=http\nhost=git.example.com\nusername=a\npassword=pw\n")
    run(store, "store", "protocol=https\nhost=x.com\nusername=a\npassword=pw\npassword_expiry_utc=1\n")
    run(store, "store", "protocol=https\nhost=x.com\nusername=a\n")
    assert store.creds == {}


def test_store_echo_of_what_get_returned_changes_nothing(store):
    run(store, "store", f"protocol=https\nhost=github.com\nusername=x-access-token\npassword={TOKEN}\n")
    assert store.creds["github.com"] == Credential("github.com", TOKEN, None)


def test_store_refuses_a_password_with_a_line_break_smuggled_via_url():
    store = DictStore()
    with pytest.raises(ProtocolError):
        run(store, "store", "url=https://u%0a@x.com/\npassword=pw\n")
    assert store.creds == {}


def test_erase_removes_only_the_exact_matching_credential(store):
    run(store, "erase", "protocol=https\nhost=api.github.com\n")
    run(store, "erase", "protocol=http\nhost=github.com\n")
    run(store, "erase", "protocol=https\nhost=github.com\npassword=an-older-token\n")
    assert "github.com" in store.creds
    run(store, "erase", f"protocol=https\nhost=github.com\npassword={TOKEN}\n")
    assert "github.com" not in store.creds


def test_unparsable_url_is_a_protocol_error_not_a_crash(store):
    with pytest.raises(ProtocolError, match="url="):
        run(store, "get", "url=https://[github.com/\n")
    with pytest.raises(ProtocolError, match="not an absolute URL"):
        run(store, "get", "url=github.com\n")
