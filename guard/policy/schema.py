"""What may appear in a policy file, and which entries widen the sandbox.

One table describes every key: its type, the parser for its values and whether an entry
widens (needs ``guard trust`` when it comes from a repository) or tightens (always applies).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from guard.policy import patterns

CURRENT_VERSION = 1


def _backend_name(text: str) -> str:
    if not isinstance(text, str) or not text.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"invalid backend name {text!r}")
    return text


@dataclass(frozen=True)
class Key:
    kind: str  # "list", "bool", "map", "str"
    check: Callable[[str], object] | None
    widening: bool


KEYS: dict[str, dict[str, Key]] = {
    "filesystem": {
        # Each widening entry below opens something a repository author could abuse.
        "allow_write": Key("list", patterns.check_path_glob, widening=True),
        "deny_write": Key("list", patterns.check_path_glob, widening=False),
        "deny_read": Key("list", patterns.check_path_glob, widening=False),
        "allow_read": Key("list", patterns.check_path_glob, widening=True),
    },
    "network": {
        "allow": Key("list", patterns.parse_domain_pattern, widening=True),
        "deny": Key("list", patterns.parse_domain_pattern, widening=False),
        "allow_local": Key("list", patterns.parse_local_destination, widening=True),
    },
    "git": {
        "hosts": Key("list", patterns.normalize_host, widening=True),
        "push": Key("list", patterns.check_branch_glob, widening=True),
        "allow_force_push": Key("bool", None, widening=True),
        "allow_delete": Key("bool", None, widening=True),
        # hosts whose HTTPS API requests get the stored token swapped in for the surrogate
        # (TLS terminated by a per-session CA trusted only inside the sandbox)
        "inject": Key("list", patterns.normalize_host, widening=True),
    },
    "env": {
        # pass lets host values in; set could point tools somewhere else: both need trust.
        "pass": Key("list", patterns.check_env_name, widening=True),
        "set": Key("map", patterns.check_env_name, widening=True),
    },
    "backend": {
        # A repository choosing a weaker backend would widen the sandbox.
        "linux": Key("str", _backend_name, widening=True),
        "macos": Key("str", _backend_name, widening=True),
    },
}
