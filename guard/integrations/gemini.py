"""Gemini CLI: ``.gemini/settings.json`` gets a BeforeTool hook that routes shell commands into guard.

From Gemini CLI's "Hooks reference" (geminicli.com/docs/hooks/reference, docs/hooks/ in
google-gemini/gemini-cli) and "Configuration":

- Hooks live in ``settings.json`` under ``hooks.BeforeTool`` as ``{"matcher": REGEX, "hooks":
  [{"type": "command", "command": ..., "name": ...}]}``; tool names are ``run_shell_command``,
  ``write_file`` and ``replace``. The matcher is anchored so it names exactly those tools.
- ``hooksConfig.enabled: false`` switches all hooks off and ``hooksConfig.disabled`` lists hook
  names switched off; either one holding guard is an error naming the line, not something
  guard silently flips.
- Gemini CLI reads a project's ``.gemini/settings.json`` only in a trusted folder; the
  sandbox settings (``tools.sandbox``) are left to the user.
"""

from __future__ import annotations

from pathlib import Path

from guard.integrations.agent_hooks import HOOK_COMMAND, HOOK_NAME, guard_group_key, install_warnings
from guard.integrations.jsonc_edit import JsoncDocument
from guard.integrations.plan import FileChange, Plan, read_text, target

SETTINGS = ".gemini/settings.json"
MATCHER = "^(run_shell_command|write_file|replace)$"


def hook_group() -> dict:
    return {"matcher": MATCHER, "hooks": [{
        "name": HOOK_NAME, "type": "command", "command": HOOK_COMMAND,
        "description": "guard: run shell commands inside the sandbox, refuse protected-file edits",
    }]}


def plan(workspace: Path) -> Plan:
    result = Plan(warnings=install_warnings(workspace))
    path = target(workspace, SETTINGS)
    old = read_text(path)
    doc = JsoncDocument(old or "", SETTINGS)
    enabled = doc.node(("hooksConfig", "enabled"))
    if enabled is not None and enabled.to_python() is False:
        raise doc.error(enabled, "hooksConfig.enabled is false: Gemini CLI would run no hook, guard's included")
    disabled = doc.node(("hooksConfig", "disabled"))
    if disabled is not None and HOOK_NAME in (disabled.to_python() or []):
        raise doc.error(disabled, f"hooksConfig.disabled lists {HOOK_NAME!r}: that switches guard's hook off")
    doc.ensure(("hooks", "BeforeTool"), "array", [])
    doc.sync_items(("hooks", "BeforeTool"), [(MATCHER, hook_group())], guard_group_key)
    result.files.append(FileChange(path, SETTINGS, old, doc.text))
    result.notes.append("Gemini CLI reads .gemini/settings.json only in a trusted folder: trust this one when asked")
    return result
