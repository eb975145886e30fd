"""Find, inside the workspace, what must be protected or hidden: one walk, every depth.

Found here: the always-protected names at any depth, git dirs of the workspace and of nested
repositories, worktrees and submodules (``gitdir:`` files followed), and relative
``deny_read`` patterns (a pattern without a slash matches at any depth, as in .gitignore).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from guard.protected import ALWAYS_PROTECTED, GIT_DIR_PROTECTED


@dataclass
class WorkspaceScan:
    protected: list[tuple[Path, str]] = field(default_factory=list)
    denied: list[tuple[Path, str]] = field(default_factory=list)
    # directories to pin as mount points so that renaming an ancestor cannot carry a
    # protected path away and put a writable look-alike in its place
    pinned: set[Path] = field(default_factory=set)


def _gitdir_of(dotgit_file: Path) -> Path | None:
    """Follow a ``.git`` file (worktree or submodule): ``gitdir: PATH``."""
    try:
        text = dotgit_file.read_text(errors="replace")[:4096]
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("gitdir:"):
            target = Path(line[len("gitdir:"):].strip())
            return (dotgit_file.parent / target).resolve() if not target.is_absolute() else target
    return None


def _protect_git_dir(scan: WorkspaceScan, git_dir: Path, whole: bool, why: str) -> None:
    if whole:
        scan.protected.append((git_dir, why))
        return
    for name, reason in GIT_DIR_PROTECTED.items():
        if (git_dir / name).exists():
            scan.protected.append((git_dir / name, reason))
    common = git_dir / "commondir"  # a linked worktree shares hooks and config with its main repo
    if common.is_file():
        try:
            main = (git_dir / common.read_text().strip()).resolve()
        except OSError:
            main = None
        if main is not None:
            for name in ("hooks", "config"):
                scan.protected.append((main / name, f"{GIT_DIR_PROTECTED[name]} (shared by worktrees)"))
    scan.pinned.add(git_dir)


def scan_workspace(workspace: Path, extra_names: dict[str, str], deny_patterns: list[str]) -> WorkspaceScan:
    scan = WorkspaceScan()
    names = {**ALWAYS_PROTECTED, **extra_names}
    anywhere = [p for p in deny_patterns if "/" not in p.rstrip("/")]
    rooted = [p.strip("/") for p in deny_patterns if "/" in p.rstrip("/")]
    stack = [workspace]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            path = Path(entry.path)
            if name == ".git":
                is_root = folder == workspace
                if entry.is_dir(follow_symlinks=False):
                    _protect_git_dir(scan, path, whole=not is_root,
                                     why="a nested repository's git dir: its hooks and config run outside")
                else:  # a worktree or submodule pointer: rewriting it would redirect git
                    scan.protected.append((path, "gitdir pointer: rewriting it redirects git to attacker files"))
                    target = _gitdir_of(path)
                    if target is not None and target.is_dir():
                        _protect_git_dir(scan, target, whole=False, why="")
                if not is_root:
                    scan.pinned.add(folder)
                continue  # never descend into git dirs
            if name in names:
                scan.protected.append((path, names[name]))
                scan.pinned.add(folder)
            rel = os.path.relpath(entry.path, workspace)
            if any(fnmatchcase(name, p) for p in anywhere) or any(fnmatchcase(rel, p) for p in rooted):
                scan.denied.append((path, "deny_read in the policy"))
            if entry.is_dir(follow_symlinks=False):
                stack.append(path)
    return scan
