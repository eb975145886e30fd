"""Claude Code: ``.claude/settings.json`` gets PreToolUse hooks that route Bash into guard.

From Claude Code's "Hooks reference" (code.claude.com/docs/en/hooks) and "Settings":

- Project settings live in ``.claude/settings.json`` (shared, committed); hooks sit under
  ``hooks.PreToolUse`` as ``{"matcher": ..., "hooks": [{"type": "command", "command": ...}]}``.
- The matcher ``Bash|PowerShell`` follows the reference's advice to cover both shell tools;
  PowerShell is then refused, since guard cannot contain it. ``Edit|Write|MultiEdit|
  NotebookEdit`` lets the hook refuse edits of protected files, which those tools write from
  Claude's own process, outside the sandbox.
- Guard's groups are recognised by their command (``guard hook claude-pretool``), so no
  unknown key is added to a file Claude Code validates; the user's hooks are never touched.
- ``"disableAllHooks": true`` in this file would switch guard off: that is an error naming the
  line, not something guard silently flips. In ``settings.local.json`` (the user's, not
  committed) it is a loud warning.
"""

from __future__ import annotations

from pathlib import Path

from guard.integrations.agent_hooks import HOOK_COMMAND, guard_group_key, install_warnings
from guard.integrations.jsonc import parse
from guard.integrations.jsonc_edit import JsoncDocument
from guard.integrations.plan import FileChange, Plan, read_text, target

SETTINGS = ".claude/settings.json"
LOCAL = ".claude/settings.local.json"
MATCHERS = ("Bash|PowerShell", "Edit|Write|MultiEdit|NotebookEdit")


def hook_group(matcher: str) -> dict:
    return {"matcher": matcher, "hooks": [{"type": "command", "command": HOOK_COMMAND}]}


def plan(workspace: Path) -> Plan:
    result = Plan(warnings=install_warnings(workspace))
    path = target(workspace, SETTINGS)
    old = read_text(path)
    doc = JsoncDocument(old or "", SETTINGS)
    off = doc.node(("disableAllHooks",))
    if off is not None and off.to_python() is True:
        raise doc.error(off, '"disableAllHooks": true switches every hook off, guard\'s included; remove it')
    doc.ensure(("hooks", "PreToolUse"), "array", [])
    doc.sync_items(("hooks", "PreToolUse"), [(m, hook_group(m)) for m in MATCHERS], guard_group_key)
    result.files.append(FileChange(path, SETTINGS, old, doc.text))

    local = read_text(target(workspace, LOCAL))
    root = parse(local, LOCAL) if local else None
    if root is not None and root.kind == "object":
        flag = root.member("disableAllHooks", LOCAL, local)
        if flag is not None and flag.to_python() is True:
            result.warnings.append(f'WARNING: {LOCAL} sets "disableAllHooks": true: Claude Code runs no hook, '
                                   "so commands run outside the sandbox. Remove it.")
    result.notes.append("Claude Code reads hooks when a session starts: restart it, or review them with /hooks")
    return result
