"""The hook entry every agent configuration gets, and how guard recognises its own.

``guard hook claude-pretool || exit 2``: the agents run hook commands through a shell and
treat exit 2 as "block" but any other failure as "run the tool anyway" (Claude Code and
Gemini CLI hooks references; Codex pre_tool_use.rs). Without ``|| exit 2`` a machine where
``guard`` is not on PATH (exit 127) would run every command unguarded; with it, the shell's
"guard: not found" becomes the refusal the agent reads.

Claude Code and Codex share the PreToolUse protocol; Gemini CLI's BeforeTool differs, and
the same hook answers each in its own dialect (see ``claude_pretool``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

HOOK_COMMAND = "guard hook claude-pretool || exit 2"
HOOK_NAME = "guard"  # Gemini CLI names hooks (hooksConfig.disabled lists names)


def is_guard_hook(entry: object) -> bool:
    return isinstance(entry, dict) and str(entry.get("command", "")).strip().startswith("guard hook claude-pretool")


def guard_group_key(group: object) -> str | None:
    """The matcher of a hook group that holds only guard's hook; None for every other group."""
    if not isinstance(group, dict):
        return None
    hooks = group.get("hooks")
    if isinstance(hooks, list) and hooks and all(is_guard_hook(h) for h in hooks):
        return str(group.get("matcher", ""))
    return None


def install_warnings(workspace: Path) -> list[str]:
    """guard installed inside the workspace can be rewritten from inside the sandbox, and the
    hook then runs that rewritten code outside it, on the agent's next command."""
    import guard

    found = {Path(guard.__file__).resolve().parent}
    exe = shutil.which("guard")
    if exe:
        found.add(Path(os.path.realpath(exe)))
    root = workspace.resolve()
    return [f"WARNING: guard itself ({path}) is inside this workspace, where sandboxed commands can rewrite "
            "it; the agent's hook runs it outside the sandbox. Install guard outside the repository "
            "(pipx, a venv elsewhere) or deny writes to it in sandbox.toml."
            for path in sorted(found) if path == root or root in path.parents]
