"""Where guard keeps its own files: user config, per-user state, the managed layer.

The state folder (trust hashes, denial log) lives outside every workspace and is never
writable inside the sandbox, so a sandboxed command cannot approve its own policy.
"""

from __future__ import annotations

import os
from pathlib import Path

MANAGED_POLICY = Path(os.environ.get("GUARD_MANAGED_POLICY", "/etc/guard/policy.toml"))
POLICY_FILENAME = "sandbox.toml"


def home() -> Path:
    return Path(os.environ.get("HOME") or Path.home())


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(home() / ".config")
    return Path(base) / "guard"


def user_config() -> Path:
    return config_dir() / "config.toml"


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(home() / ".local" / "state")
    return Path(base) / "guard"


def find_workspace(start: Path) -> Path:
    """The folder holding sandbox.toml, else the git top level, else ``start`` itself."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / POLICY_FILENAME).is_file():
            return folder
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start
