"""A real git smart-HTTP server that wants a token, and the broker's git route in front of it.

``TokenGitServer``  ``git http-backend`` as CGI behind TLS on 127.0.0.1 (certificate from a
                    test CA made with cryptography), answering 401 unless the request carries
                    ``Authorization: Basic`` with the right token. It records every request's
                    Authorization header, so a test can prove which secret reached it.
``git_world``       a bare repository ``owner/repo.git`` (branches ``main`` and ``agent/x``)
                    on such a server, a DictStore holding its token, and a policy.
``route_proxy``     a ProxyThread with the credential broker on; ``git(...)`` runs the host's
                    git with exactly the environment the sandbox would get (netboot) pointed
                    at that proxy.
"""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from egress_fixtures import make_ca, run_http_backend
from keyring_fixtures import DictStore

from guard.broker.broker import CredentialBroker
from guard.broker.session import fill_surrogates
from guard.broker.store import Credential
from guard.denials import DenialLog
from guard.launch import LaunchPlan
from guard.plugins import Plugins
from guard.policy.layer import Layer, parse_layer
from guard.policy.load import merge
from guard.policy.model import BUILTIN, REPO
from guard.proxy.thread import ProxyThread

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
from guard_bwrap import netboot  # noqa: E402

TOKEN = "ghp_realTokenThatMustNeverLeak0123456789"
IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        pass  # a refused push is cut off mid-body on purpose; the truncated request is expected


class _TokenBackend(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        server = self.server
        auth = self.headers.get("Authorization")
        with server.lock:
            server.seen.append((self.command, self.path, auth))
        body = self._body()
        expected = "Basic " + base64.b64encode(f"x-access-token:{server.token}".encode()).decode()
        if auth != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="test"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        env = {"GIT_PROJECT_ROOT": str(server.root), "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": path,
               "QUERY_STRING": query, "REQUEST_METHOD": self.command, "REMOTE_USER": "tester",
               "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
               "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
               "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""), "REMOTE_ADDR": self.client_address[0],
               "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(server.root)}
        run_http_backend(self, body, env)

    do_POST = do_GET

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


@dataclass
class TokenGitServer:
    root: Path
    token: str
    cafile: str
    server: ThreadingHTTPServer = field(repr=False)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def host(self) -> str:
        return "127.0.0.1" if self.port == 443 else f"127.0.0.1:{self.port}"

    def seen(self) -> list[tuple[str, str, str | None]]:
        with self.server.lock:
            return list(self.server.seen)

    def ref(self, name: str) -> str | None:
        out = subprocess.run(["git", "rev-parse", "--verify", "-q", name], cwd=self.root / "owner" / "repo.git",
                             capture_output=True, text=True)
        return out.stdout.strip() or None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_token_git_server(folder: Path, token: str = TOKEN, port: int = 0) -> TokenGitServer:
    root = folder / "served"
    (root / "owner").mkdir(parents=True)
    env = {**os.environ, **IDENTITY, "HOME": str(folder), "GIT_CONFIG_NOSYSTEM": "1"}
    work = folder / "seed"
    work.mkdir()
    for args in (["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "first"],
                 ["branch", "agent/x"], ["branch", "agent/old"]):
        subprocess.run(["git", *args], cwd=work, env=env, check=True, capture_output=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(root / "owner" / "repo.git")], env=env,
                   check=True, capture_output=True)
    ca = make_ca(folder)
    cafile = folder / "test-ca.pem"
    cafile.write_bytes(ca.ca_pem)
    server = _Server(("127.0.0.1", port), _TokenBackend)
    server.socket = ca.context.wrap_socket(server.socket, server_side=True)
    server.socket.settimeout(5)  # a stalled handshake in accept() must not hang shutdown()
    server.root, server.token, server.seen, server.lock = root, token, [], threading.Lock()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return TokenGitServer(root, token, str(cafile), server)


def git_policy(folder: Path, server: TokenGitServer, git: str = 'push = ["agent/*"]',
               allow_local: list[str] | None = None):
    """A trusted policy: the server's address in allow_local (unless given), [git] as ``git``."""
    local = allow_local if allow_local is not None else [f"127.0.0.1:{server.port}"]
    text = (f"version = 1\n\n[network]\nallow_local = {local!r}\n\n"
            f'[git]\nhosts = ["127.0.0.1"]\n{git}\n').replace("'", '"')
    file = folder / "sandbox.toml"
    file.write_text(text)
    return merge(folder, [Layer(BUILTIN, None), parse_layer(text, str(file), REPO)], repo_trusted=True,
                 repo_file=file)


@dataclass
class RouteProxy:
    proxy: ProxyThread
    port: int
    broker: CredentialBroker
    server: TokenGitServer
    home: Path
    log: DenialLog

    def env(self, *, absolute_form: bool = False) -> dict[str, str]:
        """What git inside the sandbox would get (netboot), surrogate filled in, plus a HOME."""
        planned = netboot.proxy_env(self.port, [self.server.host])
        if absolute_form:  # drop the direct-connection override: git goes via http.proxy
            planned = _without(planned, ".proxy", keep="http.proxy")
        plan = fill_surrogates(LaunchPlan(backend="test", argv=[], env=planned), self.broker)
        return {"PATH": os.environ["PATH"], "HOME": str(self.home), "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_TERMINAL_PROMPT": "0", **IDENTITY, **plan.env}

    def git(self, *args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=cwd or self.home, env=env or self.env(), capture_output=True,
                              text=True, timeout=60)

    @property
    def url(self) -> str:
        return f"https://{self.server.host}/owner/repo.git"

    def denials(self) -> list:
        return self.log.read()


def _without(env: dict[str, str], suffix: str, keep: str) -> dict[str, str]:
    count = int(env["GIT_CONFIG_COUNT"])
    entries = [(env[f"GIT_CONFIG_KEY_{n}"], env[f"GIT_CONFIG_VALUE_{n}"]) for n in range(count)]
    entries = [(k, v) for k, v in entries if k == keep or not k.endswith(suffix)]
    out = {k: v for k, v in env.items() if not k.startswith("GIT_CONFIG_")}
    out["GIT_CONFIG_COUNT"] = str(len(entries))
    for n, (k, v) in enumerate(entries):
        out[f"GIT_CONFIG_KEY_{n}"], out[f"GIT_CONFIG_VALUE_{n}"] = k, v
    return out


@contextlib.contextmanager
def route_proxy(folder: Path, server: TokenGitServer, policy, *, store=None, cafile: str | None = "default"):
    store = store if store is not None else DictStore(Credential(server.host, server.token))
    broker = CredentialBroker(store, [server.host])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    log = DenialLog(folder / "denials.jsonl")
    proxy = ProxyThread(policy, Plugins.load(), [listener], log=log, command=("test",), broker=broker,
                        upstream_cafile=server.cafile if cafile == "default" else cafile)
    proxy.start()
    home = folder / "home"
    home.mkdir(exist_ok=True)
    try:
        yield RouteProxy(proxy, listener.getsockname()[1], broker, server, home, log)
    finally:
        proxy.stop()
    assert proxy.server.errors == [], proxy.server.errors
