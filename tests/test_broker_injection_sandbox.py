"""Opt-in token injection through the real sandbox: an HTTPS API that needs the real token,
reached from inside with only the surrogate. The session CA is trusted inside; its key and
the real token never are.

The API listens on 127.0.0.1:443 (`[git] inject` names hosts without a port), so this needs
root for the bind.
"""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from egress_fixtures import make_ca

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="binds 127.0.0.1:443")
TOKEN = "ghp_" + "R3alT0ken" * 4  # what the API accepts; it must never be visible inside


class _Api(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        seen = self.headers.get("Authorization", "")
        self.server.seen.append(seen)
        ok = seen == f"Bearer {TOKEN}"
        body = b"api says hello\n" if ok else b"bad credentials\n"
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def api(tmp_path):
    ca = make_ca(tmp_path)
    try:
        server = ThreadingHTTPServer(("127.0.0.1", 443), _Api)
    except OSError as exc:
        pytest.skip(f"cannot bind 127.0.0.1:443: {exc}")
    server.seen = []
    server.socket = ca.context.wrap_socket(server.socket, server_side=True)
    server.socket.settimeout(5)  # a stalled handshake in accept() must not hang shutdown()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (tmp_path / "api-ca.pem").write_bytes(ca.ca_pem)
    yield server, tmp_path / "api-ca.pem"
    server.shutdown()
    server.server_close()


def _inject_localhost(sandbox, api_ca) -> dict:
    """A trusted policy injecting for localhost, its token stored; the env guard needs."""
    sandbox.policy("""
        [network]
        allow = ["localhost"]
        allow_local = ["127.0.0.1:443"]
        [git]
        inject = ["localhost"]
        """)
    sandbox.trust()
    # SSL_CERT_FILE is for guard on the host: the proxy verifies the API against this CA.
    cafile = sandbox.write("api-ca.pem", api_ca.read_text(), root=sandbox.outside)
    env = {"GUARD_CREDS_STORE": "file", "GUARD_CREDS_FILE": str(sandbox.outside / "creds.enc"),
           "GUARD_CREDS_PASSPHRASE": "correct horse battery", "SSL_CERT_FILE": str(cafile)}
    stored = sandbox.run("creds", "set", "localhost", input=TOKEN + "\n", env=env)
    assert stored.returncode == 0, stored.stderr
    return env


def test_surrogate_is_swapped_for_the_token_only_inside_the_proxy(sandbox, api):
    server, api_ca = api
    env = _inject_localhost(sandbox, api_ca)
    result = sandbox.sh(
        'curl -sS --noproxy "" -H "Authorization: Bearer $GUARD_TOKEN_LOCALHOST" https://localhost/user; '
        'echo "==== ENV"; env; echo "==== CA"; cat /run/guard/ca-bundle.pem | tail -3; '
        'echo "==== KEY"; grep -rl "PRIVATE KEY" /run/guard /tmp 2>/dev/null; echo KEY-END',
        env=env, timeout=120)
    out = result.stdout + result.stderr
    assert "api says hello" in out, out
    assert server.seen == [f"Bearer {TOKEN}"]  # the upstream got the real token, once
    assert "guard-surrogate-" in out.split("==== ENV")[1]
    assert TOKEN[4:] not in out  # not in the env, the CA files or anything printed
    assert out.split("==== KEY")[1].strip() == "KEY-END"  # the CA key never enters


def test_a_surrogate_sent_to_another_host_is_not_swapped(sandbox, api):
    server, api_ca = api
    env = _inject_localhost(sandbox, api_ca)
    # 127.0.0.1 is the same server, but not the host the surrogate is bound to: no swap, and the
    # tunnel is not intercepted, so the client sees the real server's certificate (untrusted here).
    result = sandbox.sh('curl -sS -k --noproxy "" -H "Authorization: Bearer $GUARD_TOKEN_LOCALHOST" https://127.0.0.1/user',
                        env=env, timeout=120)
    assert "api says hello" not in result.stdout
    assert all(TOKEN not in seen for seen in server.seen)
