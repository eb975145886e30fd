"""The integrations guard ships, as returned by the builtin plugin ``guard_integrations``.

Each generator's module is imported only when that generator runs, so ``guard agent
claude`` never pays for tomlkit and ``guard run`` pays for none of this.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable

from guard.integrations.plan import Integration


def _lazy(module: str, function: str) -> Callable:
    def call(workspace: Path):
        return getattr(importlib.import_module(f"guard.integrations.{module}"), function)(workspace)

    return call


def builtin_integrations() -> list[Integration]:
    return [
        Integration("editor", "vscode", "guarded tasks in .vscode/tasks.json and a guarded-shell terminal profile",
                    _lazy("vscode", "plan"), _lazy("vscode", "list_json")),
        Integration("editor", "nvim", "how to install the Neovim plugin (no file is written)", _lazy("nvim", "plan")),
        Integration("agent", "claude", "Claude Code: PreToolUse hooks in .claude/settings.json", _lazy("claude", "plan")),
        Integration("agent", "codex", "Codex: PreToolUse hook and [features] hooks in .codex/config.toml",
                    _lazy("codex", "plan")),
        Integration("agent", "gemini", "Gemini CLI: BeforeTool hook in .gemini/settings.json", _lazy("gemini", "plan")),
    ]
