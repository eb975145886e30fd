"""Surrogates and the broker API the proxy uses."""

from __future__ import annotations

import pytest

from guard.broker.broker import CredentialBroker
from guard.broker.store import Credential, StoreLocked
from guard.broker.surrogate import PREFIX, Surrogates
from keyring_fixtures import DictStore

TOKEN = "ghp_brokerToken0123456789"


def test_one_surrogate_per_host_per_session_and_random_across_sessions():
    one, two = Surrogates(), Surrogates()
    s = one.issue("github.com")
    assert s.startswith(PREFIX) and len(s) > len(PREFIX) + 40
    assert one.issue("GitHub.com.") == s  # same host, same session: same surrogate
    assert one.issue("gitlab.com") != s
    assert two.issue("github.com") != s  # another session knows nothing of it


def test_surrogate_verifies_only_for_its_own_host_and_session():
    session, other = Surrogates(), Surrogates()
    s = session.issue("github.com")
    session.issue("gitlab.com")
    assert session.verify("github.com", s)
    assert not session.verify("gitlab.com", s)  # bound to its host
    assert not session.verify("api.github.com", s)
    assert not other.verify("github.com", s)  # worthless outside the session that issued it
    for wrong in ("", None, s[:-1], s + "x", s.upper(), TOKEN, "ü" + s, "\ud800" + s, b"\xff" + s.encode()):
        assert not session.verify("github.com", wrong)
    assert not session.verify("not a host!", s)


def test_bound_host_finds_the_host_a_surrogate_was_issued_for():
    session = Surrogates()
    s = session.issue("github.com")
    assert session.bound_host(s) == "github.com"
    assert session.bound_host(s + "x") is None


def test_surrogates_repr_never_shows_a_value():
    session = Surrogates()
    s = session.issue("github.com")
    assert s not in repr(session) and s[len(PREFIX):] not in repr(session)


def test_broker_serves_only_policy_hosts_exactly():
    store = DictStore(Credential("github.com", TOKEN), Credential("gitlab.com", "other"))
    broker = CredentialBroker(store, ["github.com"])
    assert broker.lookup("github.com") == TOKEN
    assert broker.lookup("GITHUB.COM.") == TOKEN
    assert broker.lookup("gitlab.com") is None  # stored, but not in [git] hosts
    assert broker.lookup("api.github.com") is None
    assert broker.lookup("github.com:443") is None
    assert broker.lookup("github.com\r\nX: y") is None
    assert broker.basic_auth("github.com") == ("x-access-token", TOKEN)


def test_broker_lookup_on_a_locked_store_raises_instead_of_returning_none():
    store = DictStore(Credential("github.com", TOKEN))
    store.locked = True
    with pytest.raises(StoreLocked):
        CredentialBroker(store, ["github.com"]).lookup("github.com")


def test_broker_reads_hosts_from_the_policy(tmp_path):
    from guard.policy.model import Origin, Policy, Rule

    policy = Policy(workspace=tmp_path, git_hosts=(Rule("github.com", Origin("repo")),))
    broker = CredentialBroker.for_policy(policy, DictStore(Credential("github.com", TOKEN)))
    assert broker.hosts == {"github.com"} and broker.lookup("github.com") == TOKEN
