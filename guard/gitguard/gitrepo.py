"""The one way guard runs git: argv lists, no shell, and no repository config that runs code.

A repository's ``.git/config`` may be written by whoever controls the repository (or by a
sandboxed command on a machine without guard's protection): ``core.fsmonitor`` runs a program
on every index refresh, ``diff.*.textconv`` and ``diff.external`` on every diff. guard reads
repositories from hooks that run outside the sandbox, so each of those is switched off here.
Environment variables git sets for hooks (``GIT_DIR``, ``GIT_INDEX_FILE`` for partial
commits) are inherited on purpose: they say which index is being committed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from guard.errors import GuardError, UsageError

ZERO_SHA_CHARS = frozenset("0")

# Stops config-driven code execution while guard reads the repository (see module docstring).
_SAFE = ("-c", "core.fsmonitor=false", "-c", "diff.external=", "-c", "core.pager=cat")


def is_zero(sha: str) -> bool:
    """True for git's all-zeros object name (a missing side: a delete, a new ref, a clone)."""
    return bool(sha) and set(sha) <= ZERO_SHA_CHARS


class GitRepo:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def run(self, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
        try:
            result = subprocess.run(["git", *_SAFE, *args], cwd=self.cwd, input=input,
                                    capture_output=True)
        except FileNotFoundError:
            raise GuardError("git is not installed or not on PATH") from None
        if check and result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip() or f"exit status {result.returncode}"
            raise GuardError(f"git {' '.join(args)} failed: {message}")
        return result

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.decode(errors="surrogateescape").strip()

    @classmethod
    def discover(cls, start: Path | None = None) -> GitRepo:
        """The working tree holding ``start`` (default: the current folder)."""
        start = start or Path.cwd()
        probe = cls(start).run("rev-parse", "--show-toplevel", check=False)
        top = probe.stdout.decode(errors="surrogateescape").strip()
        if probe.returncode != 0 or not top:
            raise UsageError(f"{start} is not inside a git working tree",
                             hint="run this from a git repository (bare repositories have no sandbox.toml)")
        return cls(Path(top))

    # -- questions ------------------------------------------------------------------------
    def common_dir(self) -> Path:
        """The git dir shared by all worktrees: where hooks live when core.hooksPath is unset."""
        return Path(self.out("rev-parse", "--path-format=absolute", "--git-common-dir"))

    def has_commit(self, rev: str) -> bool:
        return self.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False).returncode == 0

    def resolve(self, rev: str) -> str:
        if rev.startswith("-"):  # never let a revision be read as an option
            raise UsageError(f"invalid revision {rev!r}")
        result = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", check=False)
        if result.returncode != 0:
            raise UsageError(f"unknown revision {rev!r}", hint="name a commit, e.g. HEAD~1 or origin/main")
        return result.stdout.decode().strip()

    def blob(self, spec: str) -> bytes | None:
        """Content of ``REV:PATH`` (or ``:PATH`` for the index); None when the path is absent."""
        result = self.run("cat-file", "blob", spec, check=False)
        return result.stdout if result.returncode == 0 else None

    def is_ancestor(self, older: str, newer: str) -> bool | None:
        """True/False, or None when git cannot tell (an object missing from this clone)."""
        result = self.run("merge-base", "--is-ancestor", older, newer, check=False)
        return {0: True, 1: False}.get(result.returncode)

    def config_get(self, key: str) -> str | None:
        result = self.run("config", "--get", key, check=False)
        return result.stdout.decode(errors="replace").strip() if result.returncode == 0 else None
