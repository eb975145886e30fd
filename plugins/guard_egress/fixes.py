"""The line that would allow a denied destination, in words a person can act on.

Read at denial time from the repository's ``sandbox.toml`` (the file ``guard allow`` edits),
so the message points at the line as it is now, not as it was when the run started.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from guard.policy.locate import locate
from guard.policy.model import BUILTIN, MANAGED, Policy, Rule

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


def where(rule: Rule) -> str:
    """``[network] allow "github.com" (/w/sandbox.toml:5)``: the rule and where it was written."""
    origin = rule.origin
    place = f"{origin.file}:{origin.line}" if origin.file else f"{origin.layer} defaults"
    return f'"{rule.value}" ({place})'


def add_entry(policy: Policy, key: str, entry: str, matches) -> str:
    """How to add ``entry`` to ``[network] key``; or, when an untrusted entry already would
    allow it (``matches(value)``), that ``guard trust`` is what is missing."""
    for withheld in policy.withheld:
        if withheld.key == f"network.{key}" and matches(str(withheld.value)):
            return (f'"{withheld.value}" is in [network] {key} of {withheld.origin.file} '
                    f'(line {withheld.origin.line}), but that file is not trusted yet: '
                    f'review it, then run: guard trust')
    file = policy.repo_file or Path(policy.workspace) / "sandbox.toml"
    text = _read(str(file))
    then = "" if policy.repo_trusted or text is None else ', then run: guard trust'
    if text is None:
        how = f'create {file} with version = 1 and [network] {key} = ["{entry}"]'
    else:
        try:
            network = tomllib.loads(text).get("network")
        except tomllib.TOMLDecodeError:
            network = None
        line = locate(text, ("network", key))[0]
        if isinstance(network, dict) and key in network:
            how = f'add "{entry}" to [network] {key} in {file} (line {line})'
        elif isinstance(network, dict):
            how = f'add {key} = ["{entry}"] under [network] in {file} (line {line})'
        else:
            how = f'add a [network] table with {key} = ["{entry}"] to {file}'
    if key == "allow":
        return f"{how}{then}, or run: guard allow {entry}"
    return how + then


def remove_deny(rule: Rule) -> str | None:
    """Managed and built-in denies are not the user's to lift: no fix is offered for them."""
    origin = rule.origin
    if origin.layer in (MANAGED, BUILTIN) or not origin.file:
        return None
    return f'remove "{rule.value}" from [network] deny in {origin.file} (line {origin.line})'


def _read(file: str) -> str | None:
    try:
        st = os.stat(file)
    except OSError:
        return None
    return _read_cached(file, st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=8)  # a flood of denials must not turn into a flood of file reads
def _read_cached(file: str, mtime_ns: int, size: int) -> str | None:
    try:
        return Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
