"""Issue 4 acceptance, what the user sees: a denial names the rule and the sandbox.toml line that
would allow it (to the client and on guard's stderr), ``guard log`` lists it, and ``--learn``
prints the domains a command needed.

Name resolution without the internet: guard resolves on the host with getaddrinfo, which reads
/etc/hosts first. Tests that need made-up names run guard under ``unshare -m`` with a private
/etc/hosts bind-mounted over the real one (the real file is never touched), and, where the
names point at public addresses, also under ``unshare -n``, so nothing leaves the machine:
the dial fails at once (no route) after the gate has decided. Both need root.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from egress_fixtures import MARKER, _sites, egress_box, served_root, sites  # noqa: F401

pytestmark = pytest.mark.bwrap


def line_of(egress_box, key: str) -> int:
    text = (egress_box.workspace / "sandbox.toml").read_text().splitlines()
    return next(n for n, line in enumerate(text, 1) if line.startswith(f"{key} ="))


def guard_with_hosts(egress_box, hosts: str, *args: str, offline: bool) -> subprocess.CompletedProcess:
    """``guard ARGS`` seeing ``hosts`` as /etc/hosts (and no network at all when ``offline``)."""
    if os.geteuid() != 0:
        pytest.skip("a private /etc/hosts needs root (unshare -m)")
    hosts_file = egress_box.base / "hosts"
    hosts_file.write_text("127.0.0.1 localhost\n" + hosts)
    os.chmod(hosts_file, 0o644)
    argv = ["unshare", "-m", *(["-n"] if offline else []), "--", "sh", "-c",
            'mount --bind "$1" /etc/hosts && shift && exec "$@"', "sh", str(hosts_file),
            *egress_box.guard_argv(*args)]
    return subprocess.run(argv, env=egress_box.env, cwd=egress_box.workspace, capture_output=True, text=True,
                          timeout=120)


def test_denied_domain_names_the_rule_and_the_line_to_add(egress_box):
    egress_box.allow(allow=["allowed.example"])
    result = egress_box.run("run", "--", "curl", "-sS", "http://denied.example/")
    toml = egress_box.workspace / "sandbox.toml"
    fix = (f'add "denied.example" to [network] allow in {toml} (line {line_of(egress_box, "allow")}), '
           f'or run: guard allow denied.example')
    # the client's 403 body
    assert "guard: blocked http connection to denied.example:80" in result.stdout
    assert 'rule: no [network] allow entry matches "denied.example"' in result.stdout
    assert f"to allow it: {fix}" in result.stdout
    # guard's own stderr, for clients that show no body
    assert "guard: blocked denied.example:80 (http)" in result.stderr
    assert fix in result.stderr
    log = egress_box.run("log")
    assert log.returncode == 0
    assert "denied.example:80  via http  (curl -sS http://denied.example/)" in log.stdout
    assert fix in log.stdout
    entries = [json.loads(line) for line in egress_box.run("log", "--json").stdout.splitlines()]
    assert [(e["host"], e["port"], e["via"], e["fix"]) for e in entries] == [("denied.example", 80, "http", fix)]
    assert entries[0]["command"] == ["curl", "-sS", "http://denied.example/"]
    assert entries[0]["workspace"] == str(egress_box.workspace)


def test_connect_and_socks5_denials_are_said_on_stderr_and_logged(egress_box):
    egress_box.allow(allow=["allowed.example"])
    result = egress_box.inside("""
        curl -sS https://denied.example/
        curl -sS --socks5-hostname 127.0.0.1:3128 http://also-denied.example:8080/
        exit 0
    """)
    assert "guard: blocked denied.example:443 (connect)" in result.stderr
    assert "guard: blocked also-denied.example:8080 (socks5)" in result.stderr
    assert "or run: guard allow also-denied.example" in result.stderr
    entries = [json.loads(line) for line in egress_box.run("log", "--json").stdout.splitlines()]
    assert [(e["host"], e["port"], e["via"]) for e in entries] == [
        ("denied.example", 443, "connect"), ("also-denied.example", 8080, "socks5")]


def test_a_deny_rule_is_named_with_its_line(egress_box):
    egress_box.allow(allow=["*.example.org"], deny=["bad.example.org"])
    result = egress_box.run("run", "--", "curl", "-sS", "http://bad.example.org/")
    toml = egress_box.workspace / "sandbox.toml"
    assert f'rule: [network] deny "bad.example.org" ({toml}:{line_of(egress_box, "deny")})' in result.stdout
    assert f'remove "bad.example.org" from [network] deny in {toml} (line {line_of(egress_box, "deny")})' \
        in result.stdout


def test_learn_prints_every_unlisted_domain_the_command_needed(egress_box, sites):
    egress_box.allow(allow=["allowed.example"])
    hosts = "192.0.0.9 unused.test\n1.2.3.4 learn-a.test\n5.6.7.8 learn-b.test\n127.0.0.1 rebind.test\n"
    result = guard_with_hosts(egress_box, hosts, "run", "--learn", "--", "sh", "-c", f"""
        curl -sS http://learn-a.test/
        curl -sS https://learn-b.test/
        curl -sS http://rebind.test:{sites.http.port}/hello.txt
        exit 0
    """, offline=True)
    assert result.returncode == 0, result.stderr
    learned = result.stderr.split("this command needed these [network] allow entries:", 1)[1]
    assert '"learn-a.test",' in learned and '"learn-b.test",' in learned
    assert "apply them with: guard allow learn-a.test learn-b.test" in learned
    # learning never opens loopback: the name that resolves to 127.0.0.1 was denied, not learned
    assert "rebind.test" not in learned
    assert '"rebind.test" resolves to 127.0.0.1, which is a loopback address' in result.stderr
    applied = egress_box.run("allow", "learn-a.test", "learn-b.test")
    assert applied.returncode == 0, applied.stderr
    toml = (egress_box.workspace / "sandbox.toml").read_text()
    assert '"learn-a.test"' in toml and '"learn-b.test"' in toml


def test_learn_without_unlisted_domains_says_so(egress_box):
    egress_box.allow(allow=["allowed.example"])
    result = egress_box.run("run", "--learn", "--", "true")
    assert result.returncode == 0
    assert "no unlisted domain was needed" in result.stderr


def test_an_allowed_name_pointed_at_loopback_is_denied_until_allow_local_names_it(egress_box, sites):
    """DNS rebinding's end state: an allowed public-looking name that now resolves to 127.0.0.1."""
    port = sites.http.port
    hosts = "127.0.0.1 rebind.test\n"
    fetch = ("run", "--", "sh", "-c", f"NO_PROXY= curl -sS http://rebind.test:{port}/hello.txt")
    egress_box.allow(allow=["rebind.test"])
    denied = guard_with_hosts(egress_box, hosts, *fetch, offline=False)
    assert MARKER not in denied.stdout
    assert '"rebind.test" resolves to 127.0.0.1, which is a loopback address' in denied.stdout
    assert f'add "rebind.test:{port}" to [network] allow_local' in denied.stdout
    assert sites.http.recorder.items() == []
    # the control: the mapping is real, and allow_local by name opens exactly this port
    egress_box.allow(allow=["rebind.test"], allow_local=[f"rebind.test:{port}"])
    allowed = guard_with_hosts(egress_box, hosts, *fetch, offline=False)
    assert allowed.stdout.strip() == MARKER, allowed.stderr
