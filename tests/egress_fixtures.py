"""Servers on the host for the egress tests: each records what reached it, so a bypass that
"fails" on the client side but still lands on the host cannot pass unnoticed.

``Recorder``       every request / connection / datagram a host server received.
``http_server``    a folder over HTTP (optionally TLS with a test CA) on 127.0.0.1.
``git_server``     ``git http-backend`` (smart HTTP) behind a small HTTP server on 127.0.0.1.
``index_server``   a PyPI-like simple index with one wheel built by ``pip wheel`` here.
``canary``         a TCP listener on every host address (``::``, dual-stack): any connection
                   that reaches it is a hole; its port is never in ``allow_local``.
``udp_canary``     the same for UDP datagrams.
``host_addresses`` the host's own non-loopback addresses (what a sandbox might try instead
                   of 127.0.0.1).
``egress_box``     the sandbox world of ``sandbox_fixtures`` plus ``allow(...)`` to write and
                   trust a ``[network]`` policy, and ``inside(...)`` to run a command with
                   the proxy variables the tests rely on.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sandbox_fixtures import SYSTEM_PYTHON, make_sandbox

PROXY = "http://127.0.0.1:3128"  # where guard's in-sandbox listener is (guard_bwrap.netboot)


@dataclass
class Recorder:
    seen: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, item) -> None:
        with self.lock:
            self.seen.append(item)

    def clear(self) -> None:
        with self.lock:
            self.seen.clear()

    def items(self) -> list:
        with self.lock:
            return list(self.seen)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Files(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # quiet: pytest shows failures, not access logs
        pass

    def parse_request(self) -> bool:
        ok = super().parse_request()
        if ok:
            self.server.recorder.add((self.command, self.path, self.headers.get("Host")))
        return ok


@dataclass
class HostServer:
    port: int
    recorder: Recorder
    server: ThreadingHTTPServer

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _start(server: ThreadingHTTPServer, recorder: Recorder) -> HostServer:
    server.recorder = recorder
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return HostServer(server.server_address[1], recorder, server)


def start_http(directory: Path, tls: ssl.SSLContext | None = None) -> HostServer:
    handler = lambda *a, **k: _Files(*a, directory=str(directory), **k)  # noqa: E731
    server = _Server(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        # accept() on a TLS socket also does the handshake; a client that connects and goes
        # away (or never speaks) must not block serve_forever, and so shutdown(), forever
        server.socket.settimeout(5)
    return _start(server, Recorder())


# -- a test CA ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TestCA:
    ca_pem: bytes
    context: ssl.SSLContext  # the server side, a leaf for 127.0.0.1 and localhost


def make_ca(folder: Path) -> TestCA:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def cert(subject, issuer, key, signer, ca: bool, san=None):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        if ca:
            builder = builder.add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False), critical=True)
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "guard egress test CA")])
    ca_cert = cert(ca_name, ca_name, ca_key, ca_key, True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]), ca_name, leaf_key, ca_key,
                False, [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    pem = serialization.Encoding.PEM
    (folder / "leaf.pem").write_bytes(leaf.public_bytes(pem) + ca_cert.public_bytes(pem))
    (folder / "leaf.key").write_bytes(leaf_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "leaf.pem", folder / "leaf.key")
    return TestCA(ca_cert.public_bytes(pem), context)


# -- git smart HTTP -------------------------------------------------------------------------
def run_http_backend(handler: BaseHTTPRequestHandler, body: bytes, env: dict) -> None:
    """Run ``git http-backend`` as a CGI and send its answer through ``handler``."""
    out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
    sep = b"\r\n\r\n" if b"\r\n\r\n" in out else b"\n\n"
    head, _, payload = out.partition(sep)
    status, headers = "200 OK", []
    for line in head.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = value.strip()
        elif name:
            headers.append((name, value.strip()))
    code, _, reason = status.partition(" ")
    handler.send_response(int(code), reason)
    for name, value in headers:
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


class _GitBackend(BaseHTTPRequestHandler):
    """Runs ``git http-backend`` as a CGI per request (what Apache or nginx+fcgiwrap do)."""

    protocol_version = "HTTP/1.0"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self._cgi()

    do_POST = do_GET

    def _cgi(self) -> None:
        self.server.recorder.add((self.command, self.path, self.headers.get("Host")))
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        env = {"GIT_PROJECT_ROOT": str(self.server.root), "GIT_HTTP_EXPORT_ALL": "1",
               "PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": self.command,
               "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
               "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
               "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
               "REMOTE_ADDR": self.client_address[0], "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        run_http_backend(self, body, env)


def start_git(root: Path) -> HostServer:
    server = _Server(("127.0.0.1", 0), _GitBackend)
    server.root = root
    return _start(server, Recorder())


def make_bare_repo(root: Path, name: str, marker: str) -> Path:
    work = root / (name + "-work")
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    work.mkdir()
    (work / "README").write_text(marker + "\n")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "served"]):
        subprocess.run(["git", *args], cwd=work, env=env, check=True, capture_output=True)
    bare = root / f"{name}.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], env=env, check=True, capture_output=True)
    return bare


# -- a PyPI-like simple index -------------------------------------------------------------------
def build_index(root: Path, name: str, marker: str) -> Path:
    """``root/simple/<name>/index.html`` linking a wheel that ``pip wheel`` builds here, offline."""
    src = root / "src"
    module = name.replace("-", "_")
    (src / module).mkdir(parents=True)
    (src / module / "__init__.py").write_text(f"MARKER = {marker!r}\n")
    (src / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "{name}"
        version = "1.0"
        [tool.setuptools]
        packages = ["{module}"]
        """))
    wheels = root / "packages"
    subprocess.run([SYSTEM_PYTHON, "-m", "pip", "wheel", "-q", "--no-deps", "--no-index", "--no-build-isolation",
                    "--no-cache-dir", "-w", str(wheels), str(src)], check=True, capture_output=True,
                   env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    wheel = next(wheels.glob("*.whl"))
    page = root / "simple" / name
    page.mkdir(parents=True)
    (page / "index.html").write_text(f'<!DOCTYPE html><html><body>'
                                     f'<a href="/packages/{wheel.name}">{wheel.name}</a></body></html>\n')
    return wheel


# -- canaries -----------------------------------------------------------------------------------
class TcpCanary:
    """Accepts on every host address, IPv4 and IPv6; records each peer that got through."""

    def __init__(self) -> None:
        self.recorder = Recorder()
        self.sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        self.sock.bind(("::", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            self.recorder.add((peer[0], peer[1]))
            conn.close()

    def arrived(self) -> list:
        """Every connection that arrived before a fence connection made now from the host
        (accepts are handled in order, so nothing sent earlier is still on its way)."""
        with socket.create_connection(("127.0.0.1", self.port)) as fence:
            mine = fence.getsockname()[1]
            _wait(lambda: any(p[1] == mine for p in self.recorder.items()), "TCP fence")
        return [p for p in self.recorder.items() if p[1] != mine]

    def close(self) -> None:
        self.sock.close()


class UdpCanary:
    def __init__(self) -> None:
        self.recorder = Recorder()
        self.sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        self.sock.bind(("::", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._receive, daemon=True).start()

    def _receive(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(2048)
            except OSError:
                return
            self.recorder.add((peer[0], data))

    def arrived(self) -> list:
        """Every datagram that arrived before a fence datagram sent now from the host."""
        token = f"fence-{os.urandom(6).hex()}".encode()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(token, ("127.0.0.1", self.port))
        _wait(lambda: any(d == token for _, d in self.recorder.items()), "UDP fence")
        return [(a, d) for a, d in self.recorder.items() if d != token]

    def close(self) -> None:
        self.sock.close()


def _wait(done, what: str, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while not done():
        assert time.monotonic() < deadline, f"{what} never arrived: the canary itself is broken"
        time.sleep(0.01)


def host_addresses() -> list[str]:
    """The host's own non-loopback, non-link-local addresses (IPv4 and IPv6)."""
    found = []
    out = subprocess.run(["ip", "-o", "addr", "show"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) > 3 and parts[2] in ("inet", "inet6"):
            addr = ipaddress.ip_address(parts[3].split("/")[0])
            if not addr.is_loopback and not addr.is_link_local:
                found.append(str(addr))
    return found


# -- the sandbox world ------------------------------------------------------------------------
@dataclass
class EgressBox:
    box: object  # sandbox_fixtures.Sandbox

    def allow(self, allow: list[str] = (), allow_local: list[str] = (), deny: list[str] = ()) -> None:
        def toml(values) -> str:
            return "[" + ", ".join(f'"{v}"' for v in values) + "]"

        self.box.policy(f"[network]\nallow = {toml(allow)}\ndeny = {toml(deny)}\n"
                        f"allow_local = {toml(allow_local)}\n")
        self.box.trust()

    def inside(self, script: str, **kwargs) -> subprocess.CompletedProcess:
        """``guard run -- sh -c SCRIPT``; NO_PROXY emptied, since the "local" servers of these
        tests live on the host's loopback, which the sandbox reaches only through the proxy."""
        return self.box.sh("export NO_PROXY= no_proxy=\n" + textwrap.dedent(script), **kwargs)

    def py(self, code: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return self.box.run("run", "--", SYSTEM_PYTHON, "-c", textwrap.dedent(code), *args, **kwargs)

    def file(self, relative: str, data: bytes | str) -> Path:
        return self.box.write(relative, data if isinstance(data, str) else data.decode())

    def __getattr__(self, name):
        return getattr(self.box, name)


@pytest.fixture
def egress_box(identity):
    box = make_sandbox(identity, claude=False)
    yield EgressBox(box)
    box.cleanup()


@pytest.fixture(scope="session")
def served_root():
    """A session folder for served content, readable by every identity."""
    root = Path(tempfile.mkdtemp(prefix="guard-egress-"))
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


# -- the servers, once per session; each test starts from empty records ------------------------
MARKER = "guard-egress-served-7c1e"
PACKAGE = "guard-egress-probe"


@dataclass
class Sites:
    http: HostServer  # hello.txt over HTTP
    https: HostServer  # the same folder over TLS, leaf signed by ca_pem
    ca_pem: bytes
    git: HostServer  # /served.git
    index: HostServer  # /simple/guard-egress-probe/ and /packages/*.whl
    tcp: TcpCanary
    udp: UdpCanary

    def clear(self) -> None:
        for recorder in (self.http.recorder, self.https.recorder, self.git.recorder, self.index.recorder,
                         self.tcp.recorder, self.udp.recorder):
            recorder.clear()


@pytest.fixture(scope="session")
def _sites(served_root):
    site = served_root / "site"
    site.mkdir()
    (site / "hello.txt").write_text(MARKER + "\n")
    ca = make_ca(served_root)
    repos = served_root / "git"
    repos.mkdir()
    make_bare_repo(repos, "served", MARKER)
    index = served_root / "index"
    index.mkdir()
    build_index(index, PACKAGE, MARKER)
    sites = Sites(start_http(site), start_http(site, ca.context), ca.ca_pem, start_git(repos), start_http(index),
                  TcpCanary(), UdpCanary())
    yield sites
    for server in (sites.http, sites.https, sites.git, sites.index, sites.tcp, sites.udp):
        server.close()


@pytest.fixture
def sites(_sites) -> Sites:
    _sites.clear()
    yield _sites
    _sites.clear()
