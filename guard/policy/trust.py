"""Which repository policies this user approved, by the exact content hash.

The store lives in the user's state folder, which no sandbox can write: a sandboxed command
must never be able to approve its own policy.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from guard import paths


from guard.digest import content_hash  # noqa: E402,F401 - re-exported for callers


class TrustStore:
    def __init__(self, file: Path | None = None) -> None:
        self.file = file or paths.state_dir() / "trust.json"

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.file.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # a damaged store trusts nothing; `guard trust` rewrites it
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}

    def _write(self, data: dict[str, str]) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.file.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, self.file)

    def is_trusted(self, policy_file: Path, data: bytes) -> bool:
        return self._read().get(str(policy_file)) == content_hash(data)

    def trusted_hash(self, policy_file: Path) -> str | None:
        return self._read().get(str(policy_file))

    def trust(self, policy_file: Path, data: bytes) -> str:
        store = self._read()
        store[str(policy_file)] = digest = content_hash(data)
        self._write(store)
        return digest

    def untrust(self, policy_file: Path) -> bool:
        store = self._read()
        if store.pop(str(policy_file), None) is None:
            return False
        self._write(store)
        return True

    def trusts_hash(self, digest: str) -> bool:
        """True when some repository's policy with exactly this content was approved."""
        return digest in self._read().values()
