"""The ephemeral per-session CA for opt-in token injection into HTTPS API calls.

Made fresh by each ``guard run`` with ``cryptography`` and kept only in the guard process's
memory: the private keys never touch a file system the sandbox could read (they reach
OpenSSL through a memfd, which exists in no directory and lives in guard's own process). Only
the CA *certificate* is given to the sandbox, as a bundle with the system CAs (SSL_CERT_FILE
and friends replace the system bundle, so it has to carry both).

The CA is name-constrained to the injection hosts: even with its key, it could not vouch for
any other name to a client that checks constraints, and it expires after a day.
"""

from __future__ import annotations

import datetime
import os
import ssl
import threading
from typing import Iterable

VALIDITY = datetime.timedelta(days=1)


class SessionCA:
    def __init__(self, hosts: Iterable[str]) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self.hosts = tuple(sorted(set(hosts)))
        if not self.hosts:
            raise ValueError("a session CA needs at least one injection host")
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        self._name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "guard session CA (ephemeral)")])
        self.cert = (
            x509.CertificateBuilder().subject_name(self._name).issuer_name(self._name)
            .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.NameConstraints([x509.DNSName(h) for h in self.hosts], None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256()))
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def cert_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.cert.public_bytes(serialization.Encoding.PEM)

    def bundle(self, system_cafile: str | None = None) -> bytes:
        """The system CAs followed by this CA: what SSL_CERT_FILE must hold inside the sandbox."""
        path = system_cafile or ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt"
        try:
            with open(path, "rb") as handle:
                system = handle.read()
        except OSError:
            system = b""
        return system.rstrip(b"\n") + b"\n" + self.cert_pem()

    def server_context(self, host: str) -> ssl.SSLContext:
        """A TLS server context presenting a leaf for ``host`` signed by this CA (cached)."""
        if host not in self.hosts:
            raise ValueError(f"{host} is not an injection host of this session")
        with self._lock:
            if host not in self._contexts:
                self._contexts[host] = self._leaf_context(host)
            return self._contexts[host]

    def _leaf_context(self, host: str) -> ssl.SSLContext:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        leaf = (
            x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(self._name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                           critical=False)
            .sign(self._key, hashes.SHA256()))
        pem = serialization.Encoding.PEM
        material = (leaf.public_bytes(pem) + self.cert_pem()
                    + key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        fd = os.memfd_create("guard-leaf", os.MFD_CLOEXEC)  # never a path on a disk
        try:
            os.write(fd, material)
            context.load_cert_chain(f"/proc/self/fd/{fd}")
        finally:
            os.close(fd)
        return context

    def __repr__(self) -> str:
        return f"SessionCA(hosts={list(self.hosts)})"  # never key material
