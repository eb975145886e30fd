"""Shared helpers for the egress and proxy tests (no tests here): real Policy objects from a
temporary sandbox.toml, a scripted resolver, loopback servers."""

from __future__ import annotations

import contextlib
import datetime
import http.server
import ipaddress
import socket
import ssl
import threading
from pathlib import Path

from guard.denials import DenialLog
from guard.plugins import Plugins
from guard.proxy.server import Limits
from guard.proxy.thread import ProxyThread
from guard.policy.layer import Layer, parse_layer
from guard.policy.load import merge
from guard.policy.model import BUILTIN, MANAGED, REPO


def write_policy(folder: Path, network: str, *, trusted: bool = True, managed: str | None = None):
    """The Policy of ``folder/sandbox.toml`` holding ``network`` under ``[network]``."""
    text = f"version = 1\n\n[network]\n{network}\n"
    file = folder / "sandbox.toml"
    file.write_text(text)
    layers = [Layer(BUILTIN, None)]
    if managed is not None:
        managed_file = folder / "managed.toml"
        managed_text = f"version = 1\n[network]\n{managed}\n"
        managed_file.write_text(managed_text)
        layers.append(parse_layer(managed_text, str(managed_file), MANAGED))
    layers.append(parse_layer(text, str(file), REPO))
    return merge(folder, layers, repo_trusted=trusted, repo_file=file)


class FakeResolver:
    """Answers lookups from a table and records every name it was asked about."""

    def __init__(self, table: dict[str, list[str]] | None = None) -> None:
        self.table = table or {}
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError(f"unknown name {host}")
        return list(self.table[host])


# ---- loopback servers and a running proxy ---------------------------------------------------



class Upstream:
    """A real HTTP server on loopback that records what reached it."""

    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[dict] = []
        self.connections = 0
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                upstream.connections += 1
                super().setup()

            def _answer(self):
                if self.path.startswith("/bulk/"):  # N bytes, then close: the tail must arrive
                    size = int(self.path.split("/")[2])
                    self.send_response(200)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    block = bytes(range(256)) * 4096
                    while size:
                        chunk = block[: min(size, len(block))]
                        self.wfile.write(chunk)
                        size -= len(chunk)
                    self.close_connection = True
                    return
                length = int(self.headers.get("Content-Length") or 0)
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b""):
                                pass
                            break
                        body += self.rfile.read(size)
                        self.rfile.readline()
                else:
                    body = self.rfile.read(length)
                upstream.requests.append({"method": self.command, "path": self.path,
                                          "headers": list(self.headers.items()), "body": body})
                reply = f"{self.command} {self.path} host={self.headers.get('Host')} body={len(body)}\n".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args):
                pass

        family = socket.AF_INET6 if ":" in host else socket.AF_INET

        class Server(http.server.ThreadingHTTPServer):
            address_family = family
            daemon_threads = True

        self.server = Server((host, 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            self.server.socket.settimeout(5)  # a stalled handshake must not hang shutdown()
        self.host = host
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def tls_files(folder) -> tuple[ssl.SSLContext, str]:
    """A self-signed certificate for 127.0.0.1 and localhost: (server context, CA file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "guard test upstream")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, str(cert_file)


@contextlib.contextmanager
def running_proxy(policy, folder, *, limits: Limits | None = None, learn: bool = False,
                  resolver=None, plugins=None, host: str = "127.0.0.1"):
    """A ProxyThread serving on a listening socket made here, as the launcher will hand it one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.bind((host, 0))
    listener.listen(512)
    proxy = ProxyThread(policy, plugins or Plugins.load(), [listener], learn=learn, limits=limits,
                        log=DenialLog(folder / "denials.jsonl"), resolver=resolver, command=("test",))
    proxy.start()
    proxy.port = listener.getsockname()[1]
    proxy.listener = listener
    try:
        yield proxy
    finally:
        proxy.stop()
    assert proxy.server.errors == [], proxy.server.errors  # no connection ever hit a bug


def exchange(port: int, data: bytes, host: str = "127.0.0.1", timeout: float = 10.0) -> bytes:
    """Send ``data`` to the proxy and read until it closes the connection."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(data)
        out = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
        return out
