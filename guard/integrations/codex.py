"""Codex: ``.codex/config.toml`` gets a PreToolUse hook that routes shell commands into guard.

From the Codex docs, "Hooks" (developers.openai.com/codex/hooks), "Config basics" and
"Configuration reference", and codex-rs/hooks/src/events/pre_tool_use.rs:

- Hooks are read from ``hooks.json`` or inline ``[hooks]`` tables in ``config.toml`` next to
  each config layer, ``<repo>/.codex/`` included. A layer holding both gets them merged with a
  warning, so guard writes into ``.codex/hooks.json`` when the repository already has one and
  into ``config.toml`` otherwise.
- Shell calls reach hooks as ``Bash``, file edits as ``apply_patch`` (also matched by the
  aliases Edit and Write); the event and its answers are Claude Code's PreToolUse protocol.
- ``[features] hooks = true`` (``codex_hooks`` is the deprecated alias) is written explicitly,
  so a user-level ``hooks = false`` cannot switch guard off in this repository: project
  config outranks user config. A ``false`` in this file is an error naming it.
- ``sandbox_mode``, ``approval_policy`` and ``[shell_environment_policy]`` are left as they
  are: ``guard run`` filters the environment itself, and weakening Codex's own sandbox is not
  guard's call to make.
- Codex loads a project's ``.codex/`` only once the project is trusted, and runs a new or
  changed hook only after the user reviews it (``/hooks``); both are printed as notes.
"""

from __future__ import annotations

from pathlib import Path

import tomlkit
from tomlkit.exceptions import ParseError
from tomlkit.items import AoT, Array, Table

from guard.errors import UsageError
from guard.integrations.agent_hooks import HOOK_COMMAND, guard_group_key, install_warnings
from guard.integrations.jsonc_edit import JsoncDocument
from guard.integrations.plan import FileChange, Plan, read_text, target

CONFIG = ".codex/config.toml"
HOOKS_JSON = ".codex/hooks.json"
MATCHER = "Bash|apply_patch"
NEW_CONFIG = "# `guard agent codex` keeps guard's hook and [features] hooks = true here; the rest is yours.\n"


def hook_group() -> dict:
    return {"matcher": MATCHER, "hooks": [{"type": "command", "command": HOOK_COMMAND}]}


def plan(workspace: Path) -> Plan:
    result = Plan(warnings=install_warnings(workspace))
    config_path, hooks_path = target(workspace, CONFIG), target(workspace, HOOKS_JSON)
    old = read_text(config_path)
    doc = _parse(old or NEW_CONFIG)
    features = doc.get("features")
    if features is None:
        features = tomlkit.table()
        doc["features"] = features
    for key in ("hooks", "codex_hooks"):
        if features.get(key) is False:
            raise UsageError(f"{CONFIG}: [features] {key} = false switches every hook off, guard's included",
                             hint="remove that line, then run the command again")
    if features.get("hooks") is not True:
        features["hooks"] = True

    hooks_json = read_text(hooks_path)
    if hooks_json is not None:
        jdoc = JsoncDocument(hooks_json, HOOKS_JSON)
        jdoc.ensure(("hooks", "PreToolUse"), "array", [])
        jdoc.sync_items(("hooks", "PreToolUse"), [(MATCHER, hook_group())], guard_group_key)
        result.files.append(FileChange(hooks_path, HOOKS_JSON, hooks_json, jdoc.text))
    else:
        _sync_toml_hook(doc)
    result.files.insert(0, FileChange(config_path, CONFIG, old, tomlkit.dumps(doc)))
    result.notes.append("Codex loads .codex/ only in a trusted project, and runs a new or changed hook only "
                        "after you review it: start codex here and open /hooks")
    return result


def _parse(text: str) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        raise UsageError(f"{CONFIG}:{exc.line}:{exc.col}: {exc}",
                         hint="fix the file by hand (guard changed nothing), then run the command again") from None


def _sync_toml_hook(doc: tomlkit.TOMLDocument) -> None:
    hooks = doc.get("hooks")
    if hooks is None:
        hooks = tomlkit.table(is_super_table=True)
        doc["hooks"] = hooks
    if not isinstance(hooks, Table):
        raise UsageError(f"{CONFIG}: hooks must be a table", hint="add guard's hook by hand or fix the file")
    groups = hooks.get("PreToolUse")
    if groups is None:
        hooks["PreToolUse"] = groups = tomlkit.aot()
    if not isinstance(groups, (AoT, Array)):
        raise UsageError(f"{CONFIG}: hooks.PreToolUse must be an array of tables")
    wanted = hook_group()
    mine = [i for i, group in enumerate(groups) if guard_group_key(_plain(group)) is not None]
    for i in reversed(mine[1:]):  # a repeated guard group: keep one
        del groups[i]
    if not mine:
        groups.append(_item(wanted, groups))
    elif _plain(groups[mine[0]]) != wanted:
        groups[mine[0]] = _item(wanted, groups)


def _plain(item: object) -> object:
    return item.unwrap() if hasattr(item, "unwrap") else item


def _item(group: dict, container: object) -> object:
    if isinstance(container, Array):  # `PreToolUse = [ { ... } ]` written inline: stay inline
        return group
    table = tomlkit.table()
    table["matcher"] = group["matcher"]
    entries = tomlkit.aot()
    for hook in group["hooks"]:
        entry = tomlkit.table()
        entry.update(hook)
        entries.append(entry)
    table["hooks"] = entries
    return table
