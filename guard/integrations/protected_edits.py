"""Which file paths an agent's edit tools must not write, and why.

Claude Code's Edit/Write tools and Codex's apply_patch write files from the agent's own
process, not from inside ``guard run``, so the sandbox's read-only mounts do not stop
them. The hook applies the same list instead:

- inside the workspace, at every depth: SPEC section 2's always-protected list
  (``guard.protected.ALWAYS_PROTECTED`` when the core provides it, merged with the copy
  below so the list can only grow), plus the ``.git`` of nested repositories;
- outside it: the files that would switch the agent's hooks or guard itself off
  (``~/.claude/settings.json`` can set ``disableAllHooks``; ``~/.codex/config.toml`` can set
  ``[features] hooks = false``; guard's own config and state hold trust approvals).

Both the path as written and the path with symlinks resolved are checked, so a symlink
planted inside the workspace cannot point an edit at ``.git/hooks/pre-commit``.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from guard import paths

# SPEC section 2, "Always protected": something outside the sandbox later executes or obeys them.
FALLBACK_ALWAYS_PROTECTED: tuple[tuple[str, str], ...] = (
    ("sandbox.toml", "the policy guard applies; changing it widens the sandbox"),
    (".git/hooks", "git runs these outside the sandbox on the next commit"),
    (".git/config", "core.hooksPath, filters and aliases in it run outside the sandbox"),
    (".gitmodules", "submodule URLs and update commands are obeyed by a later git command"),
    (".pre-commit-config.yaml", "pre-commit runs these hooks outside the sandbox"),
    (".vscode", "VS Code runs tasks and settings from it outside the sandbox"),
    (".idea", "JetBrains IDEs run configurations from it outside the sandbox"),
    (".claude", "Claude Code obeys its hooks and permissions; editing it switches guard off"),
    (".codex", "Codex obeys its hooks and sandbox settings; editing it switches guard off"),
    (".gemini", "Gemini CLI obeys its hooks and settings; editing it switches guard off"),
    (".mcp.json", "agents start the MCP servers listed there outside the sandbox"),
    (".envrc", "direnv runs it in the user's shell outside the sandbox"),
)


def always_protected() -> list[tuple[str, str]]:
    """SPEC's list, merged with the core's (which may add, never remove)."""
    merged = dict(FALLBACK_ALWAYS_PROTECTED)
    try:  # the core's lists: names at every depth, and names inside the repository's .git
        from guard.protected import ALWAYS_PROTECTED, GIT_DIR_PROTECTED
    except ImportError:
        return list(merged.items())
    entries = list(_entries(ALWAYS_PROTECTED))
    entries += [(f".git/{name}", why) for name, why in _entries(GIT_DIR_PROTECTED)]
    for pattern, why in entries:
        if pattern:
            merged.setdefault(pattern, why)
    return list(merged.items())


def _entries(table: object) -> list[tuple[str, str]]:
    if isinstance(table, dict):
        return [_coerce((name, why)) for name, why in table.items()]
    return [_coerce(entry) for entry in table]


def _coerce(entry: object) -> tuple[str, str]:
    if isinstance(entry, str):
        raw, why = entry, "always protected (SPEC section 2)"
    elif isinstance(entry, (tuple, list)) and entry:
        raw, why = str(entry[0]), str(entry[1]) if len(entry) > 1 else "always protected (SPEC section 2)"
    else:
        raw = str(getattr(entry, "path", getattr(entry, "pattern", "")))
        why = str(getattr(entry, "why", getattr(entry, "reason", "always protected (SPEC section 2)")))
    raw = raw.strip()
    for suffix in ("/**", "/*", "/"):
        raw = raw.removesuffix(suffix)
    return raw.removeprefix("./"), why


def outside_protected() -> list[tuple[Path, str]]:
    home = paths.home()
    agent_off = "it can switch the agent's hooks, and so guard, off"
    return [
        (home / ".claude" / "settings.json", agent_off),
        (home / ".claude" / "settings.local.json", agent_off),
        (home / ".codex" / "config.toml", agent_off),
        (home / ".codex" / "hooks.json", agent_off),
        (home / ".gemini" / "settings.json", agent_off),
        (paths.config_dir(), "guard's own configuration: it widens every sandbox"),
        (paths.state_dir(), "guard's state: it holds the trust approvals of sandbox.toml"),
        (paths.MANAGED_POLICY.parent, "the managed guard policy"),
    ]


def why_protected(path: str, cwd: Path, workspace: Path) -> str | None:
    """The reason ``path`` must not be written by the agent, or None when it may be."""
    absolute = Path(os.path.normpath(cwd / os.path.expanduser(path)))
    candidates = [absolute, Path(os.path.realpath(absolute))]
    workspace_real = Path(os.path.realpath(workspace))
    for candidate in candidates:
        for root in (workspace, workspace_real):
            reason = _inside(candidate, root)
            if reason:
                return f"{_show(candidate, root)} is protected: {reason}"
        for protected, reason in outside_protected():
            for base in {protected, Path(os.path.realpath(protected))}:
                if candidate == base or base in candidate.parents:
                    return f"{candidate} is protected: {reason}"
    return None


def _inside(candidate: Path, root: Path) -> str | None:
    try:
        parts = candidate.relative_to(root).parts
    except ValueError:
        return None
    for pattern, why in always_protected():
        wanted = PurePosixPath(pattern).parts
        for i in range(len(parts) - len(wanted) + 1):
            if parts[i:i + len(wanted)] == wanted:
                return why
    if ".git" in parts[1:]:  # any .git below the top is a nested repository's, submodule's or worktree's
        return "the .git of a nested repository: git obeys its hooks and config outside the sandbox"
    if parts[:1] == (".git",) and (parts[-1] in ("config", "config.worktree") or "hooks" in parts[1:]):
        # submodule gitdirs (.git/modules/NAME/) and worktree configs are obeyed the same way
        return "git obeys this config or hook outside the sandbox"
    return None


def _show(candidate: Path, root: Path) -> str:
    try:
        return str(candidate.relative_to(root)) or "."
    except ValueError:
        return str(candidate)
