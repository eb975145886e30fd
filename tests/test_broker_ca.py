"""The ephemeral session CA and opt-in token injection, through the real proxy with real curl.

The upstream is a real TLS server on loopback (a test CA's certificate for the API's name);
the proxy resolves that name through a scripted resolver, so nothing leaves the machine.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import socket
import ssl
import subprocess

import pytest
from keyring_fixtures import DictStore
from test_proxy_helpers import FakeResolver, Upstream, write_policy

from guard.broker.broker import CredentialBroker
from guard.broker.ca import SessionCA
from guard.broker.store import Credential
from guard.denials import DenialLog
from guard.plugins import Plugins
from guard.proxy.thread import ProxyThread

API = "api.example.test"
TOKEN = "gho_realApiTokenThatMustNeverLeak987654"
pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def upstream_tls(folder, name: str) -> tuple[ssl.SSLContext, str]:
    """A server context for ``name`` and the CA file that verifies it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name), x509.DNSName("other.example.test")]),
                           False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "up.pem", folder / "up.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, str(cert_file)


@pytest.fixture
def world(tmp_path):
    context, cafile = upstream_tls(tmp_path, API)
    upstream = Upstream(tls=context)
    other = Upstream(tls=context)
    policy = write_policy(tmp_path, f'allow = ["{API}", "other.example.test"]\n'
                                    f'allow_local = ["127.0.0.1:{upstream.port}", "127.0.0.1:{other.port}"]')
    store = DictStore(Credential(f"{API}:{upstream.port}", TOKEN), Credential("github.com", "ghp_gitToken"))
    broker = CredentialBroker(store, [f"{API}:{upstream.port}", "github.com"])
    ca = SessionCA([API])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    resolver = FakeResolver({API: ["127.0.0.1"], "other.example.test": ["127.0.0.1"]})
    proxy = ProxyThread(policy, Plugins.load(), [listener], log=DenialLog(tmp_path / "denials.jsonl"),
                        resolver=resolver, broker=broker, upstream_cafile=cafile,
                        inject_hosts=(f"{API}:{upstream.port}",), session_ca=ca).start()
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(ca.bundle())
    world = type("World", (), dict(upstream=upstream, other=other, broker=broker, ca=ca, bundle=bundle,
                                   port=listener.getsockname()[1], proxy=proxy))
    yield world
    proxy.stop()
    upstream.close()
    other.close()
    assert proxy.server.errors == []


def curl(world, url, *headers, cacert=None):
    args = ["curl", "-sS", "--max-time", "10", "--proxy", f"http://127.0.0.1:{world.port}",
            "--cacert", str(cacert or world.bundle), url]
    for header in headers:
        args += ["-H", header]
    return subprocess.run(args, capture_output=True, text=True, timeout=30)


def seen_auth(upstream):
    return [dict(r["headers"]).get("Authorization") for r in upstream.requests]


@pytest.mark.parametrize("scheme", ["Bearer", "token"])
def test_surrogate_is_swapped_for_the_real_token_on_its_bound_host(world, scheme):
    surrogate = world.broker.surrogates.issue(f"{API}:{world.upstream.port}")
    result = curl(world, f"https://{API}:{world.upstream.port}/user", f"Authorization: {scheme} {surrogate}")
    assert result.returncode == 0, result.stderr
    assert seen_auth(world.upstream) == [f"{scheme} {TOKEN}"]


def test_basic_auth_password_surrogate_is_swapped(world):
    import base64

    surrogate = world.broker.surrogates.issue(f"{API}:{world.upstream.port}")
    basic = base64.b64encode(f"me:{surrogate}".encode()).decode()
    assert curl(world, f"https://{API}:{world.upstream.port}/", f"Authorization: Basic {basic}").returncode == 0
    assert seen_auth(world.upstream) == ["Basic " + base64.b64encode(f"me:{TOKEN}".encode()).decode()]


def test_a_surrogate_of_another_host_is_refused_and_never_forwarded(world):
    foreign = world.broker.surrogates.issue("github.com")
    result = curl(world, f"https://{API}:{world.upstream.port}/", f"Authorization: Bearer {foreign}")
    assert "the surrogate for github.com is not valid" in result.stdout
    assert world.upstream.requests == []


def test_other_hosts_are_tunnelled_untouched_and_never_get_the_token(world):
    surrogate = world.broker.surrogates.issue(f"{API}:{world.upstream.port}")
    # Not an injection host: a plain tunnel, so the session CA does not vouch for it ...
    refused = curl(world, f"https://other.example.test:{world.other.port}/", f"Authorization: Bearer {surrogate}")
    assert refused.returncode != 0 and world.other.requests == []
    # ... and with the server's own certificate trusted, the surrogate arrives as it was sent.
    ok = curl(world, f"https://other.example.test:{world.other.port}/", f"Authorization: Bearer {surrogate}",
              cacert=world.bundle.parent / "up.pem")
    assert ok.returncode == 0, ok.stderr
    assert seen_auth(world.other) == [f"Bearer {surrogate}"]


def test_requests_without_a_surrogate_pass_unchanged(world):
    result = curl(world, f"https://{API}:{world.upstream.port}/", "Authorization: Bearer mine")
    assert result.returncode == 0, result.stderr
    assert seen_auth(world.upstream) == ["Bearer mine"]


def test_session_ca_is_name_constrained_and_short_lived():
    from cryptography import x509

    ca = SessionCA([API])
    constraints = ca.cert.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical and [n.value for n in constraints.value.permitted_subtrees] == [API]
    assert ca.cert.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    lifetime = ca.cert.not_valid_after_utc - ca.cert.not_valid_before_utc
    assert lifetime <= datetime.timedelta(days=1, minutes=5)
    with pytest.raises(ValueError):
        ca.server_context("github.com")
    assert "PRIVATE" not in repr(ca) and b"PRIVATE" not in ca.bundle()


def test_a_leaf_for_a_name_outside_the_constraint_fails_verification(tmp_path):
    """Even with the CA key, a certificate for another name is rejected by OpenSSL clients."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    ca = SessionCA([API])
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)

    def leaf(name):
        return (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                .issuer_name(ca.cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(hours=1))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca._key.public_key()), False)
                .sign(ca._key, hashes.SHA256()))

    if not hasattr(x509, "verification"):
        pytest.skip("cryptography without x509.verification")
    store = x509.verification.Store([ca.cert])

    def verify(name):
        builder = x509.verification.PolicyBuilder().store(store)
        builder.build_server_verifier(x509.DNSName(name)).verify(leaf(name), [])

    verify(API)  # control: the same shape of certificate for the allowed name verifies
    with pytest.raises(x509.verification.VerificationError):
        verify("github.com")


def test_bundle_keeps_the_system_cas(tmp_path):
    system = tmp_path / "system.pem"
    system.write_bytes(b"-----BEGIN CERTIFICATE-----\nSYSTEM\n-----END CERTIFICATE-----\n")
    ca = SessionCA([API])
    bundle = ca.bundle(str(system))
    assert bundle.startswith(system.read_bytes()) and bundle.endswith(ca.cert_pem())
