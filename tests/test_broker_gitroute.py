"""The broker's git route with real git against a real token-protected smart-HTTP server over TLS.

git runs on the host with exactly the environment the sandbox gets (guard_bwrap.netboot, with
the session's surrogate filled in) and talks to a real ProxyThread; the server is
``git http-backend`` behind TLS from a test CA, answering only the real token. The sandboxed
variant of these tests lives in test_broker_sandbox.py.
"""

from __future__ import annotations

import base64
import shutil
import socket

import pytest

from git_server_fixtures import TOKEN, git_policy, route_proxy, start_token_git_server

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def server(tmp_path):
    found = start_token_git_server(tmp_path)
    yield found
    found.close()


@pytest.fixture
def route(tmp_path, server):
    with route_proxy(tmp_path, server, git_policy(tmp_path, server)) as found:
        yield found


def clone(route, name="clone"):
    result = route.git("clone", "-q", route.url, name)
    assert result.returncode == 0, result.stderr
    return route.home / name


def commit(route, work, message):
    result = route.git("commit", "-q", "--allow-empty", "-m", message, cwd=work)
    assert result.returncode == 0, result.stderr


def rev(route, work, name="HEAD"):
    return route.git("rev-parse", name, cwd=work).stdout.strip()


def real_auth(server):
    return "Basic " + base64.b64encode(f"x-access-token:{server.token}".encode()).decode()


def test_clone_fetch_and_push_to_an_allowed_branch_succeed(route, server):
    work = clone(route)
    route.git("checkout", "-q", "agent/x", cwd=work)
    commit(route, work, "one")
    commit(route, work, "two")
    pushed = route.git("push", "origin", "agent/x", cwd=work)
    assert pushed.returncode == 0, pushed.stderr
    assert server.ref("agent/x") == rev(route, work)
    fetched = route.git("fetch", "origin", cwd=work)
    assert fetched.returncode == 0, fetched.stderr
    new_branch = route.git("push", "origin", "HEAD:refs/heads/agent/new", cwd=work)
    assert new_branch.returncode == 0, new_branch.stderr
    assert server.ref("agent/new") == rev(route, work)


def test_the_server_sees_only_the_real_token_never_the_surrogate(route, server):
    work = clone(route)
    route.git("checkout", "-q", "agent/x", cwd=work)
    commit(route, work, "one")
    assert route.git("push", "origin", "agent/x", cwd=work).returncode == 0
    seen = server.seen()
    assert seen and {auth for _, _, auth in seen} == {real_auth(server)}
    surrogate = route.broker.surrogates.issue(server.host)
    assert surrogate in route.env()["GIT_CONFIG_VALUE_" + str(int(route.env()["GIT_CONFIG_COUNT"]) - 1)]
    assert TOKEN not in repr(route.env())


def test_push_to_another_branch_is_refused_with_a_readable_message(route, server):
    work = clone(route)
    before = server.ref("main")
    commit(route, work, "to main")
    result = route.git("push", "origin", "HEAD:main", cwd=work)
    assert result.returncode != 0
    assert "remote: guard: push refused by the sandbox policy" in result.stderr
    assert "! [remote rejected] HEAD -> main (guard: branch 'main' matches no [git] push pattern (agent/*))" \
        in result.stderr
    assert server.ref("main") == before
    assert [d.rule for d in route.denials() if "refs/heads/main" in d.rule]


def test_tags_are_refused(route, server):
    work = clone(route)
    route.git("tag", "v1", cwd=work)
    result = route.git("push", "origin", "v1", cwd=work)
    assert result.returncode != 0
    assert "only branches can be pushed" in result.stderr
    assert server.ref("refs/tags/v1") is None


def test_delete_is_refused(route, server):
    work = clone(route)
    result = route.git("push", "origin", ":agent/old", cwd=work)
    assert result.returncode != 0
    assert "deleting branch 'agent/old' is not allowed ([git] allow_delete = false)" in result.stderr
    assert server.ref("agent/old") is not None


def test_forced_update_is_refused_and_the_branch_keeps_its_value(route, server):
    work = clone(route)
    route.git("checkout", "-q", "agent/x", cwd=work)
    commit(route, work, "published")
    assert route.git("push", "origin", "agent/x", cwd=work).returncode == 0
    published = server.ref("agent/x")
    route.git("reset", "-q", "--hard", "HEAD~1", cwd=work)
    commit(route, work, "rewritten")
    result = route.git("push", "--force", "origin", "agent/x", cwd=work)
    assert result.returncode != 0
    assert "forced updates are not allowed ([git] allow_force_push = false)" in result.stderr
    assert "! [remote rejected] agent/x -> agent/x" in result.stderr
    assert server.ref("agent/x") == published


def test_moving_a_branch_to_an_existing_commit_cannot_be_proven_and_is_refused(route, server):
    # agent/x -> a commit of main that does not descend from it: a force the pack cannot show
    work = clone(route)
    commit(route, work, "on main")
    assert route.git("push", "origin", "HEAD:refs/heads/agent/base", cwd=work).returncode == 0
    route.git("checkout", "-q", "agent/x", cwd=work)
    commit(route, work, "x only")
    assert route.git("push", "origin", "agent/x", cwd=work).returncode == 0
    result = route.git("push", "--force", "origin", "main:agent/x", cwd=work)
    assert result.returncode != 0 and "could not prove it" in result.stderr


def test_forced_update_passes_when_the_policy_allows_it(tmp_path, server):
    policy = git_policy(tmp_path, server, 'push = ["agent/*"]\nallow_force_push = true\nallow_delete = true')
    with route_proxy(tmp_path, server, policy) as route:
        work = clone(route)
        route.git("checkout", "-q", "agent/x", cwd=work)
        route.git("reset", "-q", "--hard", "HEAD", cwd=work)
        commit(route, work, "a")
        assert route.git("push", "origin", "agent/x", cwd=work).returncode == 0
        route.git("reset", "-q", "--hard", "HEAD~1", cwd=work)
        commit(route, work, "b")
        result = route.git("push", "--force", "origin", "agent/x", cwd=work)
        assert result.returncode == 0, result.stderr
        assert server.ref("agent/x") == rev(route, work)
        assert route.git("push", "origin", ":agent/old", cwd=work).returncode == 0
        assert server.ref("agent/old") is None


def test_empty_push_list_refuses_every_push_before_the_server_is_asked(tmp_path, server):
    with route_proxy(tmp_path, server, git_policy(tmp_path, server, "")) as route:
        work = clone(route)
        route.git("checkout", "-q", "agent/x", cwd=work)
        commit(route, work, "a")
        result = route.git("push", "origin", "agent/x", cwd=work)
        assert result.returncode != 0
        assert "remote: guard: pushing is not allowed from the sandbox ([git] push is empty)" in result.stderr
        assert not [p for _, p, _ in server.seen() if "receive-pack" in p]


def test_a_wrong_surrogate_is_refused_and_nothing_reaches_the_server(route, server):
    for password in ("guard-surrogate-not-this-one", TOKEN):  # the real token does not work either
        env = route.env()
        last = int(env["GIT_CONFIG_COUNT"]) - 1
        env[f"GIT_CONFIG_VALUE_{last}"] = f"!f() {{ echo username=x-access-token; echo password={password}; }}; f"
        result = route.git("clone", "-q", route.url, "nope", env=env)
        assert result.returncode != 0
        assert "Authentication failed" in result.stderr or "401" in result.stderr
    assert server.seen() == []
    assert any("accepts only this session's surrogate" in d.rule for d in route.denials())


def test_another_sessions_surrogate_is_refused(tmp_path, server):
    policy = git_policy(tmp_path, server)
    (tmp_path / "first").mkdir()
    with route_proxy(tmp_path / "first", server, policy) as first:
        old_env = first.env()
    with route_proxy(tmp_path, server, policy) as second:
        env = {**second.env(), **{k: v for k, v in old_env.items() if k.startswith("GIT_CONFIG_VALUE")}}
        env = {k: v.replace(f":{first.port}/", f":{second.port}/") for k, v in env.items()}
        result = second.git("clone", "-q", second.url, "nope", env=env)
        assert result.returncode != 0
    assert server.seen() == []


def raw(route, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", route.port), timeout=20) as sock:
        sock.sendall(request)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
        return out


def auth_header(route, host):
    surrogate = route.broker.surrogates.issue(host)
    return "Authorization: Basic " + base64.b64encode(f"x:{surrogate}".encode()).decode()


@pytest.mark.parametrize("target", [
    "/git/{host}/owner/repo.git/HEAD",
    "/git/{host}/owner/repo.git/objects/info/packs",
    "/git/{host}/owner/repo.git/info/refs",
    "/git/{host}/owner/repo.git/info/refs?service=git-upload-archive",
    "/git/{host}/owner/../owner/repo.git/info/refs?service=git-upload-pack",
    "/git/{host}/owner/%2e%2e/repo.git/info/refs?service=git-upload-pack",
    "/git/{host}/info/refs?service=git-upload-pack",
])
def test_only_smart_http_endpoints_are_served(route, server, target):
    target = target.format(host=server.host)
    reply = raw(route, f"GET {target} HTTP/1.1\r\nHost: x\r\n{auth_header(route, server.host)}\r\n\r\n".encode())
    assert reply.startswith(b"HTTP/1.1 403"), reply[:200]
    assert server.seen() == []


@pytest.mark.parametrize("host", ["github.com", "127.0.0.1", "127.0.0.1:1", "127.0.0.1:{port}.evil.com"])
def test_hosts_outside_git_hosts_are_refused(route, server, host):
    host = host.format(port=server.port)
    target = f"/git/{host}/owner/repo.git/info/refs?service=git-upload-pack"
    reply = raw(route, f"GET {target} HTTP/1.1\r\nHost: x\r\n{auth_header(route, server.host)}\r\n\r\n".encode())
    assert reply.startswith(b"HTTP/1.1 403"), reply[:200]
    assert server.seen() == []


def test_first_request_without_credentials_gets_401_with_a_challenge(route, server):
    target = f"/git/{server.host}/owner/repo.git/info/refs?service=git-upload-pack"
    reply = raw(route, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert reply.startswith(b"HTTP/1.1 401") and b"WWW-Authenticate: Basic" in reply
    assert server.seen() == []


def test_absolute_form_through_http_proxy_reaches_the_route(route, server):
    env = route.env(absolute_form=True)
    assert not any(v == "" and env[k.replace("VALUE", "KEY")].startswith("http.http")
                   for k, v in env.items() if k.startswith("GIT_CONFIG_VALUE"))
    result = route.git("clone", "-q", route.url, "via-proxy", env=env)
    assert result.returncode == 0, result.stderr


def test_an_untrusted_server_certificate_is_refused_before_the_token_is_sent(tmp_path, server):
    with route_proxy(tmp_path, server, git_policy(tmp_path, server), cafile=None) as route:
        result = route.git("clone", "-q", route.url, "nope")
        assert result.returncode != 0
        assert "TLS verification failed" in result.stderr
    assert server.seen() == []


def test_a_locked_store_is_reported_not_treated_as_missing(tmp_path, server):
    from keyring_fixtures import DictStore

    from guard.broker.store import Credential

    store = DictStore(Credential(server.host, server.token))
    with route_proxy(tmp_path, server, git_policy(tmp_path, server), store=store) as route:
        store.locked = True
        result = route.git("clone", "-q", route.url, "nope")
        assert result.returncode != 0
        assert "remote: guard: the credential store cannot be read: the keyring is locked" in result.stderr
    assert server.seen() == []


def test_a_host_without_a_stored_token_says_how_to_add_one(tmp_path, server):
    from keyring_fixtures import DictStore

    with route_proxy(tmp_path, server, git_policy(tmp_path, server), store=DictStore()) as route:
        result = route.git("clone", "-q", route.url, "nope")
        assert f"remote: guard: no token is stored for {server.host}; run `guard creds set {server.host}`" \
            in result.stderr


def test_egress_rules_still_apply_to_the_git_host(tmp_path, server):
    with route_proxy(tmp_path, server, git_policy(tmp_path, server, allow_local=[])) as route:
        result = route.git("clone", "-q", route.url, "nope")
        assert result.returncode != 0
        assert "remote: guard: blocked git connection to 127.0.0.1" in result.stderr
        assert any(d.via == "git" and "allow_local" in (d.fix or d.rule) for d in route.denials())
    assert server.seen() == []


def test_the_surrogate_is_useless_on_any_other_host(tmp_path, server):
    """Sent through the proxy to another allowed host, the surrogate arrives as it is: no swap."""
    from test_proxy_helpers import Upstream

    upstream = Upstream()
    try:
        policy = git_policy(tmp_path, server, allow_local=[f"127.0.0.1:{server.port}", f"127.0.0.1:{upstream.port}"])
        with route_proxy(tmp_path, server, policy) as route:
            header = auth_header(route, server.host)
            reply = raw(route, f"GET http://127.0.0.1:{upstream.port}/x HTTP/1.1\r\n"
                               f"Host: 127.0.0.1:{upstream.port}\r\n{header}\r\n\r\n".encode())
            assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
        [request] = upstream.requests
        assert ("Authorization", header.split(": ", 1)[1]) in request["headers"]
        assert TOKEN not in repr(request)
    finally:
        upstream.close()
