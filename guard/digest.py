"""SHA-256 hex digests without importing hashlib (which loads OpenSSL, ~4 ms per launch)."""

from __future__ import annotations

try:
    from _sha256 import sha256  # Python 3.11
except ImportError:
    try:
        from _sha2 import sha256  # Python 3.12+
    except ImportError:
        from hashlib import sha256


def content_hash(data: bytes) -> str:
    return sha256(data).hexdigest()
