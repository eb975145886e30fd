"""``guard hook claude-pretool``: the agent's pre-tool hook. Reads one event on stdin, answers.

Protocols, from the agents' own documentation:

- Claude Code, "Hooks reference" (code.claude.com/docs/en/hooks), PreToolUse: stdin is JSON
  with ``session_id``, ``transcript_path``, ``cwd``, ``permission_mode``,
  ``hook_event_name: "PreToolUse"``, ``tool_name``, ``tool_input`` (Bash: ``command``,
  ``description``, ``timeout``, ``run_in_background``; Write/Edit: absolute ``file_path``),
  ``tool_use_id``. Exit 2 blocks the call and Claude reads stderr as the reason; any other
  non-zero exit is a *non-blocking* error and the tool runs anyway, so every failure here,
  including our own bugs, ends in exit 2. On exit 0, ``hookSpecificOutput.updatedInput``
  "replaces the entire input object" (so all fields are echoed back, only ``command``
  changed) and ``permissionDecision: "allow"`` auto-approves it; deny and ask rules are still
  evaluated against the rewritten input.
- Codex, "Hooks" (developers.openai.com/codex/hooks) and codex-rs/hooks/src/events/
  pre_tool_use.rs: the same PreToolUse event and output (its hook engine is Claude-compatible);
  shell calls arrive as ``tool_name: "Bash"`` and file edits as ``apply_patch`` with the patch
  text in ``tool_input.command``. Exit 2 needs a non-empty stderr to block.
- Gemini CLI, "Hooks reference" (geminicli.com/docs/hooks/reference): ``hook_event_name:
  "BeforeTool"``, ``tool_name`` ``run_shell_command`` / ``write_file`` / ``replace``; exit 2
  blocks with stderr as the reason; ``hookSpecificOutput.tool_input`` "merges with and
  overrides" the arguments.

Why auto-approve the wrapped command: the sandbox is the boundary, the same reasoning as
Claude Code's own sandbox, which runs sandboxed Bash commands without a prompt by default.

Decisions live in ``agent_command`` (shell commands) and ``protected_edits`` (file paths).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from guard.integrations.agent_command import Verdict, judge
from guard.integrations.protected_edits import why_protected
from guard.paths import find_workspace

BLOCK = 2  # the exit status every agent reads as "do not run this tool call"
SHELL_TOOLS = {"Bash", "run_shell_command"}
EDIT_TOOLS = {  # tool name -> the tool_input field naming the file it writes
    "Edit": "file_path", "Write": "file_path", "MultiEdit": "file_path", "NotebookEdit": "notebook_path",
    "write_file": "file_path", "replace": "file_path",
}
UNSANDBOXABLE = {"PowerShell"}  # guard has no backend that could contain it
_PATCH_TARGET = re.compile(r"^\s*\*\*\* (?:(?:Add|Update|Delete) File|Move to): (.+?)\s*$", re.MULTILINE)
DIALECTS = {"PreToolUse": "claude", "BeforeTool": "gemini"}


class Malformed(Exception):
    """The hook input is not what any supported agent documents: refuse, never guess."""


@dataclass(frozen=True)
class HookEvent:
    dialect: str  # "claude" (Claude Code, Codex) or "gemini"
    tool_name: str
    tool_input: dict
    cwd: Path


def main(stdin: TextIO, stdout: TextIO, stderr: TextIO | None = None) -> int:
    stderr = sys.stderr if stderr is None else stderr
    try:
        event = read_event(stdin.read())
        verdict = decide(event, guard_executable())
        if verdict.action == "refuse":
            return _refuse(stderr, verdict.reason)
        if verdict.action == "wrap":
            stdout.write(json.dumps(answer(event, verdict.command)) + "\n")
        return 0
    except Malformed as exc:
        return _refuse(stderr, f"malformed hook input: {exc}")
    except Exception as exc:  # noqa: BLE001 - fail closed: any other exit status lets the tool run
        return _refuse(stderr, f"the guard hook failed ({type(exc).__name__}: {exc}); nothing was run")


def _refuse(stderr: TextIO, reason: str) -> int:
    stderr.write(f"guard: refused: {reason}\n")
    return BLOCK


def read_event(raw: str) -> HookEvent:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise Malformed(f"not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise Malformed(f"expected a JSON object, got {type(data).__name__}")
    for key in ("session_id", "hook_event_name", "tool_name", "cwd"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise Malformed(f"field {key!r} must be a non-empty string")
    if not isinstance(data.get("tool_input"), dict):
        raise Malformed("field 'tool_input' must be an object")
    dialect = DIALECTS.get(data["hook_event_name"])
    if dialect is None:
        raise Malformed(f"hook_event_name {data['hook_event_name']!r}: this hook answers PreToolUse "
                        "(Claude Code, Codex) and BeforeTool (Gemini CLI) only")
    cwd = Path(data["cwd"])
    if not cwd.is_absolute():
        raise Malformed(f"cwd {data['cwd']!r} is not an absolute path")
    return HookEvent(dialect, data["tool_name"], data["tool_input"], cwd)


def decide(event: HookEvent, guard_exe: str = "guard") -> Verdict:
    workspace = find_workspace(event.cwd)
    tool, args = event.tool_name, event.tool_input
    if tool in UNSANDBOXABLE:
        return Verdict("refuse", f"{tool} commands cannot run inside the guard sandbox; use Bash")
    if tool in SHELL_TOOLS:
        command = args.get("command")
        if not isinstance(command, str):
            raise Malformed(f"{tool}: tool_input.command must be a string")
        return judge(command, event.cwd, workspace, guard_exe)
    if tool in EDIT_TOOLS:
        target = args.get(EDIT_TOOLS[tool])
        if not isinstance(target, str) or not target:
            raise Malformed(f"{tool}: tool_input.{EDIT_TOOLS[tool]} must be a non-empty string")
        return _edit_verdict(tool, [target], event.cwd, workspace)
    if tool == "apply_patch":
        patch = args.get("command")
        if not isinstance(patch, str):
            raise Malformed("apply_patch: tool_input.command must be the patch text")
        return _edit_verdict(tool, _PATCH_TARGET.findall(patch), event.cwd, workspace)
    return Verdict("pass", "not a shell or file-editing tool")


def _edit_verdict(tool: str, targets: list[str], cwd: Path, workspace: Path) -> Verdict:
    for target in targets:
        reason = why_protected(target, cwd, workspace)
        if reason:
            return Verdict("refuse", f"{tool} on {target}: {reason}; ask the user to make this change")
    return Verdict("pass", "the file is not protected")


def answer(event: HookEvent, command: str) -> dict:
    """The documented rewrite answer: the whole tool input, with the wrapped command."""
    updated = {**event.tool_input, "command": command}
    if event.dialect == "gemini":
        return {"hookSpecificOutput": {"hookEventName": "BeforeTool", "tool_input": updated}}
    return {"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "allow",
        "permissionDecisionReason": "guard: runs inside the guard sandbox",
        "updatedInput": updated,
    }}


def guard_executable() -> str:
    """The guard the rewritten command starts: the one on PATH now, so an alias or a later
    PATH change in the agent's shell cannot swap it."""
    return shutil.which("guard") or "guard"
