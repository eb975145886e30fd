"""What to do with one shell command an agent wants to run: wrap it, pass it, or refuse it.

- Plain commands are wrapped: ``guard run -- bash -c '<command>'``, the command quoted with
  ``shlex.quote`` so bash hands ``bash -c`` the exact original string, whatever it holds.
- ``guard run [--json-log] -- ...`` as one simple command is passed as it is (no double
  sandbox). "Simple" is strict: no ``; & | < > ( )`` operator, no newline, no ``$(`` or
  backtick, because each of those would run something in the agent's own shell, outside.
- Refused, with a reason the agent reads: switching git hooks off (``--no-verify``,
  ``git commit -n``, ``core.hooksPath``, ``HUSKY=0``, pre-commit's ``SKIP=``), the guard
  commands that change what the sandbox allows (``guard trust``, ``allow`` ...), and writes
  aimed at protected files (redirections, ``rm``/``mv``/``tee``/``sed -i`` ... on them).

Reading a command's text can never be complete (``--no-$(echo verify)`` hides from any
reader), so these refusals are a clear early answer, not the boundary: the wrapped command
still runs in the sandbox, where protected files are read-only and guard's state is out of
reach, and git hooks are guard's own.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from guard.integrations.protected_edits import why_protected

POLICY_COMMANDS = {  # guard subcommands that widen the sandbox or rewrite what the agent obeys
    "trust", "untrust", "allow", "deny", "creds", "credential", "hooks", "editor", "agent",
}
WRITERS = {
    "rm", "rmdir", "mv", "cp", "tee", "touch", "truncate", "chmod", "chown", "chgrp", "ln",
    "install", "rsync", "dd", "shred", "unlink", "mkdir",
}
IN_PLACE = {"sed", "perl"}  # they write only with -i
PREFIXES = {"sudo", "env", "command", "builtin", "exec", "nohup", "time", "nice", "stdbuf", "timeout"}
COMMIT_ARG_OPTIONS = set("mFCct")  # git commit short options that take a value
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True)
class Verdict:
    action: str  # "wrap" | "pass" | "refuse"
    reason: str
    command: str = ""  # what runs: the wrapped or the original command


def wrap(command: str, guard_exe: str = "guard") -> str:
    return f"{shlex.quote(guard_exe)} run -- bash -c {shlex.quote(command)}"


def judge(command: str, cwd: Path, workspace: Path, guard_exe: str = "guard") -> Verdict:
    if not command.strip():
        return Verdict("refuse", "empty command")
    if "\x00" in command:
        return Verdict("refuse", "the command holds a NUL byte, which no program argument can carry")
    words = _words(command)
    reason = _bypass(command, words) or _protected_write(words, cwd, workspace)
    if reason:
        return Verdict("refuse", reason)
    if words and words[0] in {"guard", guard_exe} and words[1:2] == ["run"]:
        if not _simple(command, words):
            return Verdict("refuse", "`guard run` must be the whole command: operators, $( ), backticks and "
                                     "newlines around it would run outside the sandbox")
        options = words[2:words.index("--")] if "--" in words else None
        if options is None or any(o != "--json-log" for o in options) or len(words) <= words.index("--") + 1:
            return Verdict("refuse", "only `guard run [--json-log] -- CMD...` may be run by the agent; "
                                     "other options are the user's choice")
        return Verdict("pass", "already runs inside the guard sandbox", command)
    return Verdict("wrap", "runs inside the guard sandbox", wrap(command, guard_exe))


def _words(command: str) -> list[str]:
    """Shell words with quotes removed and operators split out; tolerant of broken quoting."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""  # a '#' hides nothing from this reader
    try:
        return list(lexer)
    except ValueError:  # unbalanced quotes (a heredoc with an apostrophe): read it roughly
        return [w.strip("'\"") for w in re.findall(r"[^\s;&|()<>]+|[;&|()<>]+", command)]


def _is_operator(word: str) -> bool:
    return bool(word) and all(ch in "();<>|&" for ch in word)


def _simple(command: str, words: list[str]) -> bool:
    return not (any(_is_operator(w) for w in words) or "\n" in command or "\r" in command
                or "$(" in command or "`" in command)


def _segments(words: list[str]) -> list[list[str]]:
    """Simple commands, each from its command word on (assignments, sudo, env ... dropped)."""
    segments, current = [], []
    for word in words + [";"]:
        if _is_operator(word) and ">" not in word and "<" not in word:
            start = 0
            while start < len(current) and (_ASSIGNMENT.match(current[start])
                                            or os.path.basename(current[start]) in PREFIXES
                                            or (start and current[start].startswith("-"))):
                start += 1  # `env -i`, `sudo -E`: a prefix's own options
            if current[start:]:
                segments.append(current[start:])
            current = []
        else:
            current.append(word)
    return segments


def _bypass(command: str, words: list[str]) -> str | None:
    hooks_off = "it switches off the git hooks guard installed, which check what is committed and pushed"
    if "--no-veri" in command or any(w.startswith("--no-veri") for w in words):
        return f"`--no-verify` is refused: {hooks_off}"
    if "hookspath" in command.lower():
        return f"`core.hooksPath` is refused: it points git at other hooks, and {hooks_off}"
    if re.search(r"(?<![\w$])HUSKY(_SKIP_HOOKS)?=", command):
        return f"`HUSKY=` is refused: {hooks_off}"
    if re.search(r"(?<![\w$])SKIP=", command):
        return f"pre-commit's `SKIP=` is refused: {hooks_off}"
    for segment in _segments(words):
        if os.path.basename(segment[0]) == "git" and _commit_no_verify(segment[1:]):
            return f"`git commit -n` (--no-verify) is refused: {hooks_off}"
    for i, word in enumerate(words[:-1]):
        if os.path.basename(word) == "guard" and words[i + 1] in POLICY_COMMANDS:
            return (f"`guard {words[i + 1]}` is refused: it changes what the sandbox allows or what the agent "
                    "obeys; only the user runs it, in their own terminal")
    return None


def _commit_no_verify(args: list[str]) -> bool:
    i = 0
    while i < len(args) and args[i].startswith("-"):  # git's global options: -C DIR, -c K=V, --no-pager ...
        i += 2 if args[i] in ("-C", "-c") else 1
    if args[i:i + 1] != ["commit"]:
        return False
    rest = args[i + 1:]
    for word in rest:
        if word == "--":
            break
        if word.startswith("-") and not word.startswith("--"):
            for ch in word[1:]:
                if ch == "n":
                    return True
                if ch in COMMIT_ARG_OPTIONS:
                    break  # the rest of the cluster is that option's value
    return False


def _protected_write(words: list[str], cwd: Path, workspace: Path) -> str | None:
    for i, word in enumerate(words[:-1]):
        if _is_operator(word) and ">" in word:
            reason = _target_reason(words[i + 1], cwd, workspace)
            if reason:
                return f"writing to it is refused: {reason}"
    for segment in _segments(words):
        name, args = os.path.basename(segment[0]), segment[1:]
        writes = name in WRITERS or (name in IN_PLACE and any(a.startswith("-i") or a == "--in-place" for a in args))
        if name == "git" and _git_config_writes(args):
            writes, args = True, [".git/config"]
        if not writes:
            continue
        for arg in args:
            if arg.startswith("-") and not arg.startswith("of="):
                continue
            reason = _target_reason(arg.removeprefix("of="), cwd, workspace)
            if reason:
                return f"`{name}` on it is refused: {reason}"
    return None


def _git_config_writes(args: list[str]) -> bool:
    if "config" not in args:
        return False
    rest = args[args.index("config") + 1:]
    verbs = {"set", "unset", "edit", "rename-section", "remove-section", "--add", "--unset", "--unset-all",
             "--replace-all", "--rename-section", "--remove-section", "--edit", "-e"}
    values = [a for a in rest if not a.startswith("-")]
    return bool(verbs & set(rest)) or (len(values) >= 2 and not any(a.startswith("--get") for a in rest))


def _target_reason(word: str, cwd: Path, workspace: Path) -> str | None:
    if not word or _is_operator(word) or word.startswith("&"):
        return None
    candidates = [word]
    if any(ch in word for ch in "*?["):  # a glob the shell would expand: check what it matches now
        candidates += glob.glob(os.path.join(str(cwd), word))
    for candidate in candidates:
        reason = why_protected(candidate, cwd, workspace)
        if reason:
            return reason
    return None
