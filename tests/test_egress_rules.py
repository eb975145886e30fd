"""The egress rule engine (builtin plugin ``egress``) through the real gate and real policies.

Every bypass below is tried against a real ``Policy`` loaded from a temporary sandbox.toml,
through ``guard.proxy.gate.EgressGate`` (canonicalization, one lookup, the plugin hook,
``combine``). Name resolution is scripted so that any name can point anywhere.
"""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from guard.denials import DenialLog
from guard.egress import EgressDecision
from guard.hookspecs import hookimpl
from guard.plugins import Plugins
from guard.proxy.gate import EgressGate
from test_proxy_helpers import FakeResolver, write_policy


@pytest.fixture(scope="module")
def plugins():
    return Plugins.load()


def check(policy, plugins, host, port=443, resolves=None, *, learn=False, endpoints=(), log=None):
    resolver = FakeResolver(resolves or {})
    gate = EgressGate(policy, plugins, learn=learn, resolver=resolver, log=log)
    gate.endpoints = endpoints
    verdict = asyncio.run(gate.check(host, port, "connect"))
    return verdict, resolver, gate


PUBLIC = "93.184.215.14"

# ---- names -------------------------------------------------------------------------------

NAME_CASES = [
    # (network section, host, port, allowed)
    ('allow = ["github.com"]', "github.com", 443, True),
    ('allow = ["github.com"]', "GitHub.COM", 443, True),
    ('allow = ["github.com"]', "github.com.", 443, True),
    ('allow = ["github.com"]', "github.com..", 443, False),
    ('allow = ["github.com"]', "api.github.com", 443, False),
    ('allow = ["github.com"]', "github.com.evil.example", 443, False),
    ('allow = ["github.com"]', "evilgithub.com", 443, False),
    ('allow = ["*.githubusercontent.com"]', "raw.githubusercontent.com", 443, True),
    ('allow = ["*.githubusercontent.com"]', "a.b.githubusercontent.com", 443, True),
    ('allow = ["*.githubusercontent.com"]', "githubusercontent.com", 443, False),
    ('allow = ["*.githubusercontent.com"]', "evilgithubusercontent.com", 443, False),
    ('allow = ["github.com", "*.github.com"]\ndeny = ["gist.github.com"]', "gist.github.com", 443, False),
    ('allow = ["github.com", "*.github.com"]\ndeny = ["gist.github.com"]', "GIST.github.com.", 443, False),
    ('allow = ["*.github.com"]\ndeny = ["*.github.com"]', "api.github.com", 443, False),
    ('allow = ["bücher.example"]', "xn--bcher-kva.example", 443, True),
    ('allow = ["bücher.example"]', "BÜCHER.example", 443, True),
    ('allow = ["xn--bcher-kva.example"]', "bücher.example", 443, True),
    ('allow = ["ｅｘａｍｐｌｅ.com"]', "example.com", 443, True),
    ('allow = ["example.com"]', "xn--.example.com", 443, False),  # invalid punycode disguise
    ('allow = ["example.com:443"]', "example.com", 443, True),
    ('allow = ["example.com:443"]', "example.com", 80, False),
    ('allow = ["example.com"]', "example.com", 22, True),  # no port in the rule: any port
    ('allow = ["example.com"]', "exa mple.com", 443, False),
    ('allow = ["example.com"]', "example.com/x", 443, False),
]


@pytest.mark.parametrize("network, host, port, allowed", NAME_CASES)
def test_name_rules(tmp_path, plugins, network, host, port, allowed):
    policy = write_policy(tmp_path, network)
    names = {h: [PUBLIC] for h in ("github.com", "api.github.com", "raw.githubusercontent.com",
                                   "a.b.githubusercontent.com", "gist.github.com", "xn--bcher-kva.example",
                                   "example.com", "githubusercontent.com", "evilgithub.com")}
    verdict, _, _ = check(policy, plugins, host, port, names)
    assert verdict.allowed is allowed, verdict.decision


def test_unlisted_name_is_never_looked_up(tmp_path, plugins):
    policy = write_policy(tmp_path, 'allow = ["github.com"]')
    verdict, resolver, _ = check(policy, plugins, "secret-data.attacker.example", 443,
                                 {"secret-data.attacker.example": [PUBLIC]})
    assert not verdict.allowed
    assert resolver.asked == []  # a DNS query would already have carried the data out


def test_denied_name_is_never_looked_up(tmp_path, plugins):
    policy = write_policy(tmp_path, 'allow = ["*.example.com"]\ndeny = ["x.example.com"]')
    verdict, resolver, _ = check(policy, plugins, "x.example.com", 443, {"x.example.com": [PUBLIC]})
    assert not verdict.allowed and resolver.asked == []


def test_allowed_name_is_looked_up_once_and_its_address_returned(tmp_path, plugins):
    policy = write_policy(tmp_path, 'allow = ["example.com"]')
    verdict, resolver, _ = check(policy, plugins, "example.com", 443, {"example.com": [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]})
    assert verdict.allowed
    assert resolver.asked == ["example.com"]
    assert verdict.addresses == (PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c")


# ---- addresses: every spelling of loopback is loopback ------------------------------------

LOOPBACK_SPELLINGS = ["127.0.0.1", "2130706433", "0x7f.1", "127.1", "0177.0.0.1", "0x7f000001",
                      "0x7f.0.0.1", "127.0.0.1.", "017700000001", "127.000.000.001", "[::1]",
                      "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:127.0.0.1]",
                      "[64:ff9b::7f00:1]", "[::127.0.0.1]", "[2002:7f00:1::1]", "localhost",
                      "１２７．０．０．１", "127.0.0.2", "0.0.0.0", "[::]", "0"]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_every_spelling_of_loopback_is_denied(tmp_path, plugins, host):
    policy = write_policy(tmp_path, 'allow = ["localhost", "127.0.0.1", "[::1]"]')
    verdict, _, _ = check(policy, plugins, host, 8080, {"localhost": ["127.0.0.1", "::1"]})
    assert not verdict.allowed, verdict.decision


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "0x7f.1", "127.1", "0177.0.0.1",
                                  "[::ffff:127.0.0.1]", "127.0.0.1."])
def test_inet_aton_spellings_reach_the_allow_local_entry_they_mean(tmp_path, plugins, host):
    policy = write_policy(tmp_path, 'allow_local = ["127.0.0.0/8:8080"]')
    assert check(policy, plugins, host, 8080)[0].allowed
    assert not check(policy, plugins, host, 8081)[0].allowed  # the port is part of the entry


@pytest.mark.parametrize("host", ["1.2.3.4.5", "256.0.0.1", "1.2.3.256", "0x", "08.0.0.1",
                                  "1.2.0x", "[fe80::1%eth0]", "fe80::1%25eth0", "[127.0.0.1]",
                                  "[::1", "ex%61mple.com", "", "a" * 300])
def test_malformed_or_ambiguous_hosts_are_refused(tmp_path, plugins, host):
    policy = write_policy(tmp_path, 'allow = ["example.com"]\nallow_local = ["0.0.0.0/0", "[::]/0"]')
    verdict, resolver, _ = check(policy, plugins, host, 443, {})
    assert not verdict.allowed
    assert resolver.asked == []
    assert verdict.decision.rule.startswith("invalid destination")


SPECIAL = [
    # (address, what allow_local cannot open: True = even "everything" does not open it)
    ("10.0.0.1", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("100.64.0.1", False), ("100.127.255.254", False),  # CGNAT
    ("169.254.1.1", False), ("fe80::1", False),  # link-local
    ("fd12:3456::1", False), ("64:ff9b::a00:1", False), ("::ffff:10.0.0.1", False),
    ("169.254.169.254", True), ("fd00:ec2::254", True), ("::ffff:169.254.169.254", True),
    ("64:ff9b::a9fe:a9fe", True), ("100.100.100.200", True),  # metadata, every disguise
    ("224.0.0.1", True), ("239.255.255.250", True), ("ff02::1", True),  # multicast
    ("0.0.0.0", True), ("::", True), ("255.255.255.255", True), ("240.0.0.1", True),
]


@pytest.mark.parametrize("address, sealed", SPECIAL)
def test_allowed_name_resolving_to_special_address_is_denied(tmp_path, plugins, address, sealed):
    policy = write_policy(tmp_path, 'allow = ["app.example.com"]')
    verdict, _, _ = check(policy, plugins, "app.example.com", 443, {"app.example.com": [address]})
    assert not verdict.allowed
    assert str(ipaddress.ip_address(address)) in verdict.decision.rule


@pytest.mark.parametrize("address, sealed", SPECIAL)
def test_broad_allow_local_opens_local_but_not_metadata_or_multicast(tmp_path, plugins, address, sealed):
    policy = write_policy(tmp_path, 'allow = ["app.example.com"]\nallow_local = ["0.0.0.0/0", "[::]/0"]')
    verdict, _, _ = check(policy, plugins, "app.example.com", 443, {"app.example.com": [address]})
    assert verdict.allowed is not sealed, verdict.decision


def test_metadata_opens_only_when_named_exactly(tmp_path, plugins):
    policy = write_policy(tmp_path, 'allow_local = ["169.254.169.254:80"]')
    assert check(policy, plugins, "169.254.169.254", 80)[0].allowed
    assert not check(policy, plugins, "169.254.169.254", 81)[0].allowed


def test_every_resolved_address_is_checked(tmp_path, plugins):
    policy = write_policy(tmp_path, 'allow = ["mixed.example.com"]')
    verdict, _, _ = check(policy, plugins, "mixed.example.com", 443,
                          {"mixed.example.com": [PUBLIC, "127.0.0.1"]})
    assert not verdict.allowed
    assert "127.0.0.1" in verdict.decision.rule


def test_allowed_name_on_loopback_needs_allow_local(tmp_path, plugins):
    names = {"dev.example.com": ["127.0.0.1"]}
    denied = write_policy(tmp_path, 'allow = ["dev.example.com"]')
    verdict, _, _ = check(denied, plugins, "dev.example.com", 8080, names)
    assert not verdict.allowed
    assert verdict.decision.fix.startswith('add allow_local = ["dev.example.com:8080"] under [network]')
    allowed = write_policy(tmp_path, 'allow = ["dev.example.com"]\nallow_local = ["127.0.0.1:8080"]')
    assert check(allowed, plugins, "dev.example.com", 8080, names)[0].allowed


def test_allow_local_host_entry_allows_that_name_without_an_allow_entry(tmp_path, plugins):
    policy = write_policy(tmp_path, 'allow_local = ["db.internal:5432"]')
    names = {"db.internal": ["10.1.2.3"]}
    assert check(policy, plugins, "db.internal", 5432, names)[0].allowed
    assert not check(policy, plugins, "db.internal", 5433, names)[0].allowed


def test_public_ip_literal_needs_an_allow_entry(tmp_path, plugins):
    policy = write_policy(tmp_path, 'allow = ["93.184.215.14"]')
    assert check(policy, plugins, PUBLIC, 443)[0].allowed
    assert check(policy, plugins, "1572394766", 443)[0].allowed  # same address, decimal
    assert not check(policy, plugins, "8.8.8.8", 443)[0].allowed


def test_deny_ip_pattern_matches_a_resolved_address(tmp_path, plugins):
    policy = write_policy(tmp_path, 'allow = ["cdn.example.com"]\ndeny = ["93.184.215.14"]')
    verdict, _, _ = check(policy, plugins, "cdn.example.com", 443, {"cdn.example.com": [PUBLIC]})
    assert not verdict.allowed and "deny" in verdict.decision.rule


def test_host_own_addresses_are_local(tmp_path, plugins):
    from guard_egress.addresses import host_addresses

    own = [a for a in host_addresses() if not a.is_loopback and not a.is_link_local]
    if not own:
        pytest.skip("this host has no address besides loopback and link-local")
    policy = write_policy(tmp_path, 'allow = ["me.example.com"]')
    for address in own:
        verdict, _, _ = check(policy, plugins, "me.example.com", 443, {"me.example.com": [str(address)]})
        assert not verdict.allowed, address


def test_proxy_own_endpoint_is_never_a_destination(tmp_path, plugins):
    policy = write_policy(tmp_path, 'allow_local = ["127.0.0.0/8", "[::]/0"]')
    endpoints = (("127.0.0.1", 3128),)
    assert not check(policy, plugins, "127.0.0.1", 3128, endpoints=endpoints)[0].allowed
    assert not check(policy, plugins, "[::ffff:127.0.0.1]", 3128, endpoints=endpoints)[0].allowed
    assert check(policy, plugins, "127.0.0.1", 3129, endpoints=endpoints)[0].allowed
    wildcard = (("0.0.0.0", 3128),)
    verdict = check(policy, plugins, "127.0.0.5", 3128, endpoints=wildcard)[0]
    assert not verdict.allowed and "proxy itself" in verdict.decision.rule


# ---- learning mode ------------------------------------------------------------------------

def test_learn_mode_lets_unlisted_public_names_through_and_records_them(tmp_path, plugins):
    policy = write_policy(tmp_path, 'allow = ["github.com"]')
    verdict, _, gate = check(policy, plugins, "pypi.org", 443, {"pypi.org": [PUBLIC]}, learn=True)
    assert verdict.allowed and verdict.decision.learned
    assert gate.learned() == ("pypi.org",)


@pytest.mark.parametrize("host, resolves", [("sneaky.example", ["127.0.0.1"]), ("127.0.0.1", None),
                                             ("0x7f.1", None), ("sneaky.example", ["10.0.0.1"]),
                                             ("sneaky.example", ["169.254.169.254"])])
def test_learn_mode_keeps_local_destinations_denied(tmp_path, plugins, host, resolves):
    policy = write_policy(tmp_path, "allow = []")
    verdict, _, gate = check(policy, plugins, host, 80, {host: resolves} if resolves else {}, learn=True)
    assert not verdict.allowed
    assert gate.learned() == ()


def test_learn_mode_still_obeys_deny(tmp_path, plugins):
    policy = write_policy(tmp_path, 'deny = ["pastebin.com"]')
    verdict, _, gate = check(policy, plugins, "pastebin.com", 443, {"pastebin.com": [PUBLIC]}, learn=True)
    assert not verdict.allowed and gate.learned() == ()


def test_allowed_names_are_not_recorded_as_learned(tmp_path, plugins):
    policy = write_policy(tmp_path, 'allow = ["github.com"]')
    _, _, gate = check(policy, plugins, "github.com", 443, {"github.com": [PUBLIC]}, learn=True)
    assert gate.learned() == ()


# ---- the message: the rule and the line that would allow it --------------------------------

def test_denial_names_the_line_that_would_allow_it(tmp_path, plugins):
    policy = write_policy(tmp_path, '# the team list\nallow = [\n  "github.com",\n]')
    verdict, _, _ = check(policy, plugins, "evil.example", 443)
    file = tmp_path / "sandbox.toml"
    assert verdict.decision.rule == 'no [network] allow entry matches "evil.example"'
    assert verdict.decision.fix == (f'add "evil.example" to [network] allow in {file} (line 5), '
                                    "or run: guard allow evil.example")


def test_denial_without_an_allow_key_says_where_to_add_it(tmp_path, plugins):
    policy = write_policy(tmp_path, 'deny = ["x.example"]')
    fix = check(policy, plugins, "evil.example", 443)[0].decision.fix
    assert fix.startswith('add allow = ["evil.example"] under [network] in ') and "(line 3)" in fix


def test_deny_rule_names_its_line_and_how_to_lift_it(tmp_path, plugins):
    policy = write_policy(tmp_path, 'allow = ["*.github.com"]\ndeny = ["gist.github.com"]')
    decision = check(policy, plugins, "gist.github.com", 443)[0].decision
    file = tmp_path / "sandbox.toml"
    assert decision.rule == f'[network] deny "gist.github.com" ({file}:5) matches gist.github.com:443'
    assert decision.fix == f'remove "gist.github.com" from [network] deny in {file} (line 5)'


def test_managed_deny_offers_no_fix(tmp_path, plugins):
    policy = write_policy(tmp_path, 'allow = ["pastebin.com"]', managed='deny = ["pastebin.com"]')
    decision = check(policy, plugins, "pastebin.com", 443)[0].decision
    assert not decision.allow and "managed.toml" in decision.rule and decision.fix is None


def test_untrusted_allow_entry_points_at_guard_trust(tmp_path, plugins):
    policy = write_policy(tmp_path, 'allow = ["pypi.org"]', trusted=False)
    decision = check(policy, plugins, "pypi.org", 443, {"pypi.org": [PUBLIC]})[0].decision
    assert not decision.allow
    assert "not trusted yet" in decision.fix and "guard trust" in decision.fix


def test_denials_are_logged_with_rule_and_fix(tmp_path, plugins):
    policy = write_policy(tmp_path, 'allow = ["github.com"]')
    log = DenialLog(tmp_path / "state" / "denials.jsonl")
    check(policy, plugins, "evil.example", 443, log=log)
    [entry] = log.read()
    assert (entry.host, entry.port, entry.via) == ("evil.example", 443, "connect")
    assert entry.rule == 'no [network] allow entry matches "evil.example"'
    assert "guard allow evil.example" in entry.fix
    assert entry.workspace == str(tmp_path)


# ---- plugins: any deny wins; no allow denies ----------------------------------------------

class DenyGithub:
    @hookimpl
    def guard_egress_decision(self, request, policy):
        if request.host == "github.com":
            return EgressDecision(False, "corporate plugin: github.com is blocked")
        return None


def test_another_plugins_deny_wins_over_the_builtin_allow(tmp_path):
    plugins = Plugins.load(extra=[DenyGithub()])
    policy = write_policy(tmp_path, 'allow = ["github.com"]')
    verdict, resolver, _ = check(policy, plugins, "github.com", 443, {"github.com": [PUBLIC]})
    assert not verdict.allowed and verdict.decision.rule.startswith("corporate plugin")
    assert resolver.asked == []


def test_without_the_builtin_plugin_everything_is_denied(tmp_path, monkeypatch):
    monkeypatch.setenv("GUARD_DISABLE_PLUGINS", "egress")
    plugins = Plugins.load()
    policy = write_policy(tmp_path, 'allow = ["github.com"]')
    assert not check(policy, plugins, "github.com", 443, {"github.com": [PUBLIC]})[0].allowed


class Broken:
    @hookimpl
    def guard_egress_decision(self, request, policy):
        raise RuntimeError("boom")


def test_a_crashing_plugin_denies(tmp_path):
    plugins = Plugins.load(extra=[Broken()])
    policy = write_policy(tmp_path, 'allow = ["github.com"]')
    verdict, _, _ = check(policy, plugins, "github.com", 443, {"github.com": [PUBLIC]})
    assert not verdict.allowed and "boom" in verdict.decision.rule


def test_classification_table_is_what_the_address_says():
    from guard_egress.addresses import LOCAL, METADATA, NEVER, PUBLIC as PUB, classify

    table = {"8.8.8.8": PUB, "2606:4700::1111": PUB, "::ffff:8.8.8.8": PUB, "64:ff9b::808:808": PUB,
             "127.0.0.1": LOCAL, "::ffff:127.0.0.1": LOCAL, "100.64.0.1": LOCAL, "fe80::1": LOCAL,
             "169.254.169.254": METADATA, "fd00:ec2::254": METADATA, "ff02::1": NEVER, "::": NEVER}
    for text, kind in table.items():
        assert classify(ipaddress.ip_address(text)).kind == kind, text
