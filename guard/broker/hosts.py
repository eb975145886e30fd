"""What a stored credential is keyed by: one exact, normalized ``host`` or ``host:port``.

Hosts are compared as whole strings after normalization, never by suffix: a token stored for
``github.com`` is not offered to ``evil-github.com`` or ``github.com.evil.net``, and a token for
``github.com`` is not offered to ``github.com:8443`` (another port may be another server).
"""

from __future__ import annotations

from guard.policy.patterns import normalize_host


def normalize_credential_host(text: str) -> str:
    """``host`` or ``host:port`` in canonical form; ``ValueError`` names what is wrong.

    Only DNS names and IPv4 literals: a git remote host needs nothing else, and every extra
    syntax accepted here is one more way to spell the same server differently.
    """
    if not isinstance(text, str) or not text:
        raise ValueError("empty host name")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        # CR/LF/NUL in a host is an injection attempt on the credential protocol, not a typo.
        raise ValueError(f"control character in host {text!r}")
    if any(c in text for c in "/@[]*?#%\\") or any(c.isspace() for c in text):
        raise ValueError(f"expected a bare host name such as github.com or host:port, got {text!r}")
    host, sep, port = text.partition(":")
    name = normalize_host(host)
    if not sep:
        return name
    if not port.isdigit() or not port.isascii() or port.startswith("0"):
        raise ValueError(f"invalid port {port!r} in {text!r}")
    if not 1 <= int(port) <= 65535:
        raise ValueError(f"port {port} out of range 1-65535 in {text!r}")
    return f"{name}:{int(port)}"
