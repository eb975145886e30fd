"""After the command: undo what no mount could stop, before any git outside runs.

Two things a sandboxed command can create inside the writable workspace that the host's git
would later obey: a new repository (``git init`` / a gitlink), whose config or hooks run on
the host's next ``git status`` in it or in its parent; and a ``commondir`` file in an existing
git dir, which makes git read config and hooks from a folder the command chose. Neither path
exists before the run, so neither can be a read-only mount. Instead guard looks right after
the command ends (and at the next launch, should guard have been killed): a new repository
whose config could run a program, that has hooks, or that redirects elsewhere, and any new
``commondir`` that does not point at its own repository, are renamed to ``*.guard-quarantine``
and reported. Ordinary clones (remote config, sample hooks) are left alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from fnmatch import fnmatchcase
from pathlib import Path


FINDINGS = "call:guard.workspace:findings"


def scan_args(workspace: Path, facts: list | None = None) -> list:
    """The arguments of the plan's own workspace scan (so the audit reuses its cache), else defaults."""
    for op, args, _result in facts or ():
        if op == FINDINGS:
            return list(args)
    from guard.protected import ALWAYS_PROTECTED

    return [str(workspace), sorted(ALWAYS_PROTECTED), [], []]


def plan_findings(facts: list) -> list | None:
    for op, _args, result in facts:
        if op == FINDINGS:
            return result
    return None


def snapshot(workspace: Path, args: list | None = None, found: list | None = None) -> set[str]:
    """Every git entry and commondir file in the workspace, as paths."""
    from guard.workspace import findings

    if found is None:
        found = findings(*(args or scan_args(workspace)))
    result = set()
    for folder, name, kind in found:
        if kind in ("git-dir", "git-file"):
            git = os.path.join(folder, name)
            result.add(git)
            for gitdir in _git_dirs(git):
                if os.path.lexists(os.path.join(gitdir, "commondir")):
                    result.add(os.path.join(gitdir, "commondir"))
    return result


def _git_dirs(git: str) -> list[str]:
    """The git dir and its submodule / worktree git dirs."""
    if not os.path.isdir(git) or os.path.islink(git):
        return []
    from guard.workspace import subfolders

    found = [git]
    for kind in ("modules", "worktrees"):
        found += [os.path.join(git, kind, name) for name in subfolders(os.path.join(git, kind))]
    return found


def _dangerous_config(config: str) -> str | None:
    from guard.gitguard.gitconfig import DANGEROUS

    try:
        out = subprocess.run(
            ["git", "config", "--file", config, "--no-includes", "--list", "-z"],
            capture_output=True, timeout=10, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                                  "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent"},
        )
    except (OSError, subprocess.SubprocessError):
        return "its config could not be read"
    if out.returncode not in (0, 1):
        return "its config could not be parsed"
    for item in out.stdout.split(b"\0"):
        key = item.split(b"\n", 1)[0].decode(errors="replace").lower()
        for pattern, why in DANGEROUS:
            if key and fnmatchcase(key, pattern):
                return f"its config sets {key} ({why})"
        if key.startswith("include"):
            return f"its config sets {key}"
    return None


def _why_dangerous(path: str) -> str | None:
    if os.path.basename(path) == "commondir":
        gitdir = os.path.dirname(path)
        try:
            target = os.path.realpath(os.path.join(gitdir, Path(path).read_text().strip()))
        except OSError:
            return "a commondir that cannot be read"
        own = os.path.realpath(os.path.join(gitdir, "..", "..")) if "/worktrees/" in gitdir else None
        return None if target == own else f"a new commondir sends git to {target}"
    if not os.path.isdir(path) or os.path.islink(path):
        return "a new gitdir pointer (or link) made inside the sandbox"
    for gitdir in _git_dirs(path):
        hooks = os.path.join(gitdir, "hooks")
        try:
            active = [n for n in os.listdir(hooks) if not n.endswith(".sample")]
        except OSError:
            active = []
        if active:
            return f"it has hooks ({', '.join(sorted(active)[:3])})"
        for name in ("config", "config.worktree"):
            reason = _dangerous_config(os.path.join(gitdir, name)) if os.path.exists(os.path.join(gitdir, name)) else None
            if reason:
                return reason
        if os.path.lexists(os.path.join(gitdir, "commondir")):
            return "it redirects to another git dir (commondir)"
    return None


def quarantine_new(workspace: Path, before: set[str], args: list | None = None) -> list[str]:
    """Rename dangerous git entries that appeared since ``before``; returns what was done."""
    done = []
    for path in sorted(snapshot(workspace, args) - before):
        reason = _why_dangerous(path)
        if reason is None:
            continue
        target = f"{path}.guard-quarantine-{time.strftime('%Y%m%d%H%M%S')}"
        n = 1
        while os.path.lexists(target):
            n += 1
            target = f"{path}.guard-quarantine-{time.strftime('%Y%m%d%H%M%S')}-{n}"
        try:
            os.rename(path, target)
        except OSError as exc:
            done.append(f"COULD NOT quarantine {path} ({reason}): {exc.strerror}; do not run git there")
            continue
        done.append(f"quarantined {path} -> {target}: {reason}")
    for line in done:
        print(f"guard: warning: {line}", file=sys.stderr)
    return done
