"""In-place edits of sandbox.toml with tomlkit: comments, order and layout are kept."""

from __future__ import annotations

from pathlib import Path

from guard.errors import PolicyError, UsageError
from guard.policy.layer import parse_layer
from guard.policy.patterns import parse_domain_pattern


def _load(file: Path):
    import tomlkit

    text = file.read_text(encoding="utf-8") if file.exists() else "version = 1\n"
    parse_layer(text, str(file), "repo")  # never edit a file that is invalid to begin with
    return tomlkit.parse(text)


def _array(doc, table: str, key: str):
    import tomlkit

    if table not in doc:
        doc.add(tomlkit.nl())
        doc.add(table, tomlkit.table())
    section = doc[table]
    if key not in section:
        section[key] = tomlkit.array()
    return section[key]


def edit_domain(file: Path, domain: str, *, to: str) -> list[str]:
    """Add ``domain`` to ``[network] allow`` or ``deny``; returns what changed, in words."""
    try:
        pattern = parse_domain_pattern(domain)
    except ValueError as exc:
        raise UsageError(f"{domain!r} is not a valid domain pattern: {exc}") from None
    value = str(pattern)
    doc = _load(file)
    changes = []
    target = _array(doc, "network", to)
    if value in [str(v) for v in target]:
        return []
    target.append(value)
    changes.append(f"added {value!r} to [network] {to}")
    other = "allow" if to == "deny" else "deny"
    existing = doc.get("network", {}).get(other)
    if to == "deny" and existing is not None and value in [str(v) for v in existing]:
        existing.remove(value)  # removing an allow is a tightening: safe to do for the user
        changes.append(f"removed {value!r} from [network] allow")
    text = doc.as_string()
    try:
        parse_layer(text, str(file), "repo")
    except PolicyError as exc:  # should not happen; never write a file guard would refuse
        raise UsageError(f"edit would make {file} invalid: {exc}") from None
    file.write_text(text, encoding="utf-8")
    return changes
