"""The credential broker through the real sandbox: `guard run -- git ...` against a real
token-protected git server over TLS, then a search for the token everywhere the sandbox could
have left or seen it.

The server listens on 127.0.0.1:443 ([git] hosts names hosts without a port), so this needs
root for the bind; the sandbox's git reaches it only through the proxy's git route.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from git_server_fixtures import TOKEN, start_token_git_server

pytestmark = [pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
              pytest.mark.skipif(os.geteuid() != 0, reason="binds 127.0.0.1:443")]

SCRIPT = """
set -u
cd /tmp
git clone -q https://127.0.0.1/owner/repo.git clone || exit 10
cd clone
git checkout -q agent/x
git commit -q --allow-empty -m agent-work
git push -q origin agent/x 2>&1 && echo PUSH-ALLOWED-OK
git fetch -q origin && echo FETCH-OK
git push origin HEAD:main 2>&1
git push origin :agent/old 2>&1
git reset -q --hard HEAD~1 && git commit -q --allow-empty -m rewritten
git push --force origin agent/x 2>&1
echo ==== ENV; env; echo ==== PROC; cat /proc/self/environ | tr '\\0' '\\n'
echo ==== ALLPROC; cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' '\\n'
echo ==== CONFIG; cat .git/config; git config --list --show-origin
echo ==== FILES; grep -rlF "$(printf %s%s '{head}' '{tail}')" /tmp "$HOME" "$OLDPWD" . 2>/dev/null; echo FILES-END
"""


@pytest.fixture
def server(tmp_path):
    try:
        found = start_token_git_server(tmp_path, port=443)
    except OSError as exc:
        pytest.skip(f"cannot bind 127.0.0.1:443: {exc}")
    yield found
    found.close()


def test_git_in_the_sandbox_clones_pushes_and_never_sees_the_token(sandbox, server):
    sandbox.policy("""
        [network]
        allow_local = ["127.0.0.1:443"]
        [git]
        hosts = ["127.0.0.1"]
        push = ["agent/*"]
        """)
    sandbox.trust()
    creds = sandbox.outside / "creds.enc"
    cafile = sandbox.write("test-ca.pem", open(server.cafile).read(), root=sandbox.outside)
    # SSL_CERT_FILE is for guard on the host: the route verifies the server against this CA.
    env = {"GUARD_CREDS_STORE": "file", "GUARD_CREDS_FILE": str(creds),
           "GUARD_CREDS_PASSPHRASE": "correct horse battery", "SSL_CERT_FILE": str(cafile)}
    stored = sandbox.run("creds", "set", "127.0.0.1", input=TOKEN + "\n", env=env)
    assert stored.returncode == 0, stored.stderr
    before = {name: server.ref(name) for name in ("main", "agent/old")}

    result = sandbox.sh(SCRIPT.replace("{head}", TOKEN[:12]).replace("{tail}", TOKEN[12:]), env=env, timeout=180)
    out = result.stdout + result.stderr
    assert "PUSH-ALLOWED-OK" in out and "FETCH-OK" in out, out
    assert "! [remote rejected] HEAD -> main (guard: branch 'main' matches no [git] push pattern" in out
    assert "deleting branch 'agent/old' is not allowed" in out
    assert "forced updates are not allowed" in out
    assert server.ref("main") == before["main"] and server.ref("agent/old") == before["agent/old"]
    assert "guard-surrogate-" in out.split("==== ENV")[1]  # what the sandbox holds: the stand-in

    # Nowhere the sandbox could read: its env, any /proc it sees, git config, files, the log.
    # (The script names the token only in two halves, so that searching for it plants nothing.)
    assert TOKEN not in out
    assert out.rsplit("==== FILES", 1)[1].split("FILES-END")[0].strip() == ""
    grep = subprocess.run(["grep", "-rl", TOKEN, str(sandbox.workspace), str(sandbox.home),
                           str(sandbox.base / "state")], capture_output=True, text=True)
    assert grep.stdout == "", grep.stdout
    assert all(auth is not None for _, _, auth in server.seen())

