"""Issue 4 acceptance, the way around: every bypass tried from inside the real sandbox fails,
and the host-side canaries (a TCP listener and a UDP socket on every host address, on ports no
``allow_local`` entry names) prove that nothing arrived, not merely that the client gave up.
"""

from __future__ import annotations

import json
import socket

import pytest
from egress_fixtures import MARKER, _sites, egress_box, host_addresses, served_root, sites  # noqa: F401

pytestmark = pytest.mark.bwrap

# Speaks to the proxy byte by byte, so the proxy sees the host exactly as written (curl would
# normalize 2130706433 to 127.0.0.1 before sending it). argv[1]: JSON list of
# [protocol, host as written, port, Host header or null]; prints one JSON list of answers:
# the status code for "http"/"connect", the SOCKS5 reply code for "socks5" (0 = succeeded).
PROBE = r"""
import ipaddress, json, socket, struct, sys

PROXY = ("127.0.0.1", 3128)

def head(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data

def status(data):
    parts = data.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else repr(data[:60])

def http(host, port, host_header):
    with socket.create_connection(PROXY, timeout=20) as s:
        lines = [f"GET http://{host}:{port}/hello.txt HTTP/1.1"]
        lines += [f"Host: {h}" for h in (host_header if isinstance(host_header, list) else [host_header])
                  if h is not None]
        s.sendall(("\r\n".join(lines + ["Connection: close", "", ""])).encode())
        return status(head(s))

def connect(host, port, _):
    with socket.create_connection(PROXY, timeout=20) as s:
        s.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        return status(head(s))

def socks5(host, port, _, command=1):
    with socket.create_connection(PROXY, timeout=20) as s:
        s.sendall(b"\x05\x01\x00")
        if s.recv(2) != b"\x05\x00":
            return "no-auth refused"
        bare = host.strip("[]")
        try:
            ip = ipaddress.ip_address(bare)
        except ValueError:
            ip = None
        if ip is not None and ip.version == 4 and host == str(ip):
            address = b"\x01" + ip.packed
        elif ip is not None and ip.version == 6:
            address = b"\x04" + ip.packed
        else:
            address = b"\x03" + bytes([len(host)]) + host.encode()
        s.sendall(bytes([5, command, 0]) + address + struct.pack("!H", port))
        reply = s.recv(10)
        return reply[1] if len(reply) > 1 else "closed"

def udp_associate(host, port, _):
    return socks5(host, port, _, command=3)

out = []
for protocol, host, port, host_header in json.loads(sys.argv[1]):
    try:
        out.append(globals()[protocol](host, port, host_header))
    except OSError as exc:
        out.append(f"error: {exc}")
print(json.dumps(out))
"""

# Every spelling here means (or embeds) the host's own loopback; none may reach the canary.
LOOPBACK_SPELLINGS = ["127.0.0.1", "2130706433", "0x7f.1", "127.1", "0177.0.0.1", "0x7f000001", "127.0.0.2",
                      "localhost", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[64:ff9b::7f00:1]",
                      "[::127.0.0.1]", "0.0.0.0", "0", "[::]", "127.0.0.1.", "localhost.", "LocalHost",
                      "\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11"]  # fullwidth 127.0.0.1


def probe(egress_box, attempts: list) -> list:
    result = egress_box.py(PROBE, json.dumps(attempts))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_probe_gets_through_where_the_policy_allows(egress_box, sites):
    """The control: the same probe, aimed at the allowed port, is answered."""
    port = sites.http.port
    egress_box.allow(allow_local=[f"127.0.0.1:{port}"])
    answers = probe(egress_box, [["http", "127.0.0.1", port, f"127.0.0.1:{port}"],
                                 ["connect", "127.0.0.1", port, None], ["socks5", "127.0.0.1", port, None]])
    assert answers == [200, 200, 0]
    assert len(sites.http.recorder.items()) == 1


def test_loopback_in_any_spelling_is_denied_on_an_unlisted_port(egress_box, sites):
    allowed, canary = sites.http.port, sites.tcp.port
    egress_box.allow(allow_local=[f"127.0.0.1:{allowed}"])
    attempts = [[protocol, host, canary, None] for host in LOOPBACK_SPELLINGS
                for protocol in ("http", "connect", "socks5")]
    answers = probe(egress_box, attempts)
    # 403 for HTTP and CONNECT, 2 ("not allowed by ruleset") for SOCKS5; a request line that
    # is not ASCII may also be refused as malformed (400) before any rule is asked
    through = [(a, answer) for a, answer in zip(attempts, answers)
               if answer not in (403, 2) and not (answer == 400 and not a[1].isascii())]
    assert through == []
    assert sites.tcp.arrived() == []


def test_curl_spellings_of_loopback_are_denied_with_the_rule(egress_box, sites):
    allowed, canary = sites.http.port, sites.tcp.port
    egress_box.allow(allow_local=[f"127.0.0.1:{allowed}"])
    urls = [f"http://{host}:{canary}/" for host in ("2130706433", "0x7f.1", "127.1", "[::ffff:127.0.0.1]")]
    result = egress_box.inside("for u in " + " ".join(urls) + '; do curl -sS "$u"; echo "rc=$?"; done')
    assert result.stdout.count("guard: blocked http connection to") == len(urls), result.stdout
    assert result.stdout.count("no [network] allow_local entry names it") == len(urls)
    assert sites.tcp.arrived() == []


def test_host_addresses_are_denied_even_with_loopback_allowed(egress_box, sites):
    """allow_local names 127.0.0.1:PORT; the host's other addresses on a canary port stay shut."""
    addresses = host_addresses()
    if not addresses:
        pytest.skip("the host has no non-loopback address")
    canary = sites.tcp.port
    for address in addresses:  # control: from the host, each address reaches the canary
        socket.create_connection((address, canary), timeout=5).close()
    assert len(sites.tcp.arrived()) == len(addresses)
    sites.clear()
    egress_box.allow(allow_local=[f"127.0.0.1:{sites.http.port}"])
    attempts = [[protocol, f"[{a}]" if ":" in a else a, canary, None] for a in addresses
                for protocol in ("http", "connect", "socks5")]
    assert set(probe(egress_box, attempts)) <= {403, 2}
    assert sites.tcp.arrived() == []


def test_the_proxy_is_never_its_own_destination(egress_box, sites):
    egress_box.allow(allow_local=["127.0.0.0/8"])  # as wide as loopback goes
    answers = probe(egress_box, [["connect", "127.0.0.1", 3128, None], ["socks5", "127.0.0.1", 3128, None],
                                 ["http", "127.0.0.1", 3128, "127.0.0.1:3128"]])
    assert answers == [403, 2, 403]


def test_direct_connections_from_inside_never_arrive(egress_box, sites):
    """No proxy at all: the sandbox's netns has only its own loopback; the host is out of reach."""
    targets = ["127.0.0.1", "::1", *host_addresses()]
    ports = [sites.tcp.port, sites.http.port]
    egress_box.allow(allow_local=[f"127.0.0.1:{sites.http.port}"])
    code = """
        import json, socket, sys
        out = []
        for host in json.loads(sys.argv[1]):
            for port in json.loads(sys.argv[2]):
                try:
                    socket.create_connection((host, port), timeout=5).close()
                    out.append(f"CONNECTED {host} {port}")
                except OSError as exc:
                    out.append(f"refused {host} {port}: {exc}")
        print(json.dumps(out))
    """
    result = egress_box.py(code, json.dumps(targets), json.dumps(ports))
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.splitlines()[-1])
    assert len(answers) == len(targets) * len(ports)
    assert not [a for a in answers if a.startswith("CONNECTED")]
    assert sites.tcp.arrived() == []
    assert sites.http.recorder.items() == []


def test_udp_datagrams_from_inside_never_arrive(egress_box, sites):
    port = sites.udp.port
    targets = ["127.0.0.1", "::1", "255.255.255.255", *host_addresses()]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # control: the canary hears the host
        s.sendto(b"control", ("127.0.0.1", port))
    assert [d for _, d in sites.udp.arrived()] == [b"control"]
    sites.clear()
    egress_box.allow(allow_local=[f"127.0.0.1:{port}", f"127.0.0.1:{sites.http.port}"])
    code = """
        import json, socket, sys
        port = int(sys.argv[2])
        for host in json.loads(sys.argv[1]):
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            try:
                with socket.socket(family, socket.SOCK_DGRAM) as s:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
                    for _ in range(3):
                        s.sendto(b"escaped " + host.encode(), (host, port))
                print("sent", host)
            except OSError as exc:
                print("unsent", host, exc)
    """
    result = egress_box.py(code, json.dumps(targets), str(port))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("sent") == len(targets)  # every attempt ran ("sent" or "unsent")
    # SOCKS5 UDP ASSOCIATE is the proxy's way to carry datagrams: refused (7: command not supported)
    answers = probe(egress_box, [["udp_associate", "127.0.0.1", port, None]])
    assert answers[0] != 0
    assert sites.udp.arrived() == []


def test_host_header_that_names_another_destination_is_denied(egress_box, sites):
    allowed, canary = sites.http.port, sites.tcp.port
    egress_box.allow(allow_local=[f"127.0.0.1:{allowed}"])
    attempts = [["http", "127.0.0.1", allowed, f"127.0.0.1:{allowed}"],  # control
                ["http", "127.0.0.1", allowed, f"127.0.0.1:{canary}"],
                ["http", "127.0.0.1", allowed, "evil.example"],
                ["http", "127.0.0.1", allowed, f"localhost:{allowed}"],
                ["http", "127.0.0.1", allowed, [f"127.0.0.1:{allowed}", "evil.example"]]]
    assert probe(egress_box, attempts) == [200, 403, 403, 403, 403]
    assert len(sites.http.recorder.items()) == 1  # the control only


def test_curl_with_a_foreign_host_header_gets_the_rule(egress_box, sites):
    port = sites.http.port
    egress_box.allow(allow_local=[f"127.0.0.1:{port}"])
    result = egress_box.inside(f"curl -sS -H 'Host: other.example' http://127.0.0.1:{port}/hello.txt")
    assert MARKER not in result.stdout
    assert "Host header 'other.example' does not match the request target" in result.stdout
    assert sites.http.recorder.items() == []


def test_userinfo_in_the_target_cannot_smuggle_another_authority(egress_box, sites):
    allowed, canary = sites.http.port, sites.tcp.port
    egress_box.allow(allow_local=[f"127.0.0.1:{allowed}"])
    answers = probe(egress_box, [["http", f"127.0.0.1:{allowed}@127.0.0.1", canary, None],
                                 ["connect", f"127.0.0.1:{allowed}@127.0.0.1", canary, None],
                                 ["http", f"127.0.0.1#@127.0.0.1", canary, None]])
    assert all(a in (400, 403) for a in answers), answers
    assert sites.tcp.arrived() == []


def test_an_allowed_name_that_resolves_to_loopback_is_still_denied(egress_box, sites):
    """``localhost`` is the name that resolves to 127.0.0.1 here without touching /etc/hosts."""
    port = sites.http.port
    egress_box.allow(allow=["localhost"])
    result = egress_box.inside(f"curl -sS http://localhost:{port}/hello.txt")
    assert MARKER not in result.stdout
    assert '"localhost" resolves to 127.0.0.1, which is a loopback address' in result.stdout
    assert 'allow_local' in result.stdout
    assert sites.http.recorder.items() == []
