"""Find, inside the workspace, what must be protected or hidden: every depth, kept fast.

Found here: the always-protected names at any depth, git dirs of the workspace and of nested
repositories, worktree and submodule pointers (``gitdir:`` files), and relative ``deny_read``
patterns (a pattern without a slash matches at any depth, as in .gitignore).

Walking a large workspace on every launch would cost more than the sandbox itself, so the
findings are cached per folder together with the folder's ctime. Creating, deleting or
renaming an entry changes its folder's ctime (which, unlike mtime, nobody can set back), so
re-validating costs one ``stat`` per folder, not per file, and only changed folders are read
again. Folders changed within the last two seconds are never trusted from the cache (coarse
timestamps could hide a change). The cache
lives in guard's state folder, which no sandbox can read or write.
"""

from __future__ import annotations

import json
import os
import time
from fnmatch import fnmatchcase
from pathlib import Path

from guard.protected import ALWAYS_PROTECTED, GIT_DIR_PROTECTED

_RACY_NS = 2_000_000_000
_CACHE_VERSION = 3


class WorkspaceScan:
    """What the scan found. A plain class: dataclasses cost an import on the hot path."""

    def __init__(self) -> None:
        self.protected: list[tuple[Path, str]] = []
        self.denied: list[tuple[Path, str]] = []
        # folders to pin as mount points so that renaming an ancestor cannot carry a protected
        # path away and put a writable look-alike in its place
        self.pinned: set[Path] = set()


def _read_folder(folder: str, names: dict, anywhere: list[str], rooted: list[str], prefix: int):
    """One folder's findings: [(name, kind)] and its subfolders. kind: git-dir/git-file/protected/denied."""
    found: list[list[str]] = []
    subdirs: list[str] = []
    with os.scandir(folder) as it:
        for entry in it:
            name = entry.name
            is_dir = entry.is_dir(follow_symlinks=False)
            if name == ".git":
                found.append([name, "git-dir" if is_dir else "git-file"])
                continue  # never descend into git dirs
            if name in names:
                found.append([name, "protected"])
            if anywhere or rooted:
                rel = entry.path[prefix:]
                if any(fnmatchcase(name, p) for p in anywhere) or any(fnmatchcase(rel, p) for p in rooted):
                    found.append([name, "denied"])
            if is_dir:
                subdirs.append(name)
    return found, subdirs


def _cache_file(workspace: Path, key: str) -> Path:
    from guard import paths

    from guard.digest import content_hash

    digest = content_hash(f"{workspace}\0{key}".encode())[:32]
    return paths.state_dir() / "scan" / f"{digest}.json"


def _walk(workspace: Path, names: dict, anywhere: list[str], rooted: list[str], use_cache: bool) -> dict:
    key = json.dumps([_CACHE_VERSION, sorted(names), anywhere, rooted])
    cache_path = _cache_file(workspace, key)
    old: dict = {}
    if use_cache:
        try:
            data = json.loads(cache_path.read_text())
            if data.get("key") == key:
                old = data["folders"]
        except (OSError, ValueError, KeyError, TypeError):
            old = {}
    now = time.time_ns()
    root = str(workspace)
    prefix = len(root) + 1
    folders: dict = {}
    dirty = False
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
        except OSError:
            continue
        # ctime, not mtime: the sandbox can set a folder's mtime back with `touch -d` to hide a
        # new entry from this cache, but no one can set ctime, and adding an entry changes it.
        mtime = st.st_ctime_ns
        cached = old.get(folder)
        if cached is not None and cached[0] == mtime and now - mtime > _RACY_NS:
            found, subdirs = cached[1], cached[2]
        else:
            try:
                found, subdirs = _read_folder(folder, names, anywhere, rooted, prefix)
            except OSError:
                continue
            dirty = True
        folders[folder] = [mtime, found, subdirs]
        stack.extend(os.path.join(folder, s) for s in subdirs)
    if use_cache and (dirty or len(folders) != len(old)):
        try:
            cache_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = cache_path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"key": key, "folders": folders}))
            os.replace(tmp, cache_path)
        except OSError:
            pass  # the cache is an optimisation; never a reason to fail
    return folders


def findings(workspace: str, names: list[str], anywhere: list[str], rooted: list[str],
             use_cache: bool = True) -> list[list[str]]:
    """Every finding in the workspace as ``[folder, name, kind]``, sorted (JSON-able, replayable)."""
    folders = _walk(Path(workspace), dict.fromkeys(names, ""), anywhere, rooted, use_cache)
    return sorted([folder, name, kind] for folder, (_m, found, _s) in folders.items() for name, kind in found)


def _gitdir_of(dotgit_file: Path, probes) -> Path | None:
    """Follow a ``.git`` file (worktree or submodule): ``gitdir: PATH``."""
    probes.content(dotgit_file)  # the plan depends on where it points
    try:
        text = dotgit_file.read_text(errors="replace")[:4096]
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("gitdir:"):
            target = Path(line[len("gitdir:"):].strip())
            return target if target.is_absolute() else Path(probes.realpath(dotgit_file.parent / target))
    return None


def _protect_git_dir(scan: WorkspaceScan, git_dir: Path, whole: bool, probes) -> None:
    if whole:
        scan.protected.append((git_dir, "a nested repository's git dir: its hooks and config run outside"))
        return
    for name, reason in GIT_DIR_PROTECTED.items():
        if probes.lexists(git_dir / name):
            scan.protected.append((git_dir / name, reason))
    # Submodule and worktree git dirs stay writable (commits there are legitimate work), but
    # their own hooks and config do not, and they are pinned so they cannot be swapped.
    for kind in ("modules", "worktrees"):
        children = probes.call("guard.workspace:subfolders", str(git_dir / kind))
        for child in children:
            child_dir = git_dir / kind / child
            if kind == "modules":
                _protect_git_dir(scan, child_dir, False, probes)
            elif probes.lexists(child_dir / "config.worktree"):
                scan.protected.append((child_dir / "config.worktree", GIT_DIR_PROTECTED["config.worktree"]))
            scan.pinned.add(child_dir)
    common = git_dir / "commondir"  # a linked worktree shares hooks and config with its main repo
    if probes.content(common) is not None:
        try:
            main = Path(probes.realpath(git_dir / common.read_text().strip()))
        except OSError:
            return
        for name in ("hooks", "config"):
            scan.protected.append((main / name, f"{GIT_DIR_PROTECTED[name]} (shared by worktrees)"))


def subfolders(path: str) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(path) if e.is_dir(follow_symlinks=False))
    except OSError:
        return []


def scan_workspace(workspace: Path, extra_names: dict[str, str], deny_patterns: list[str],
                   *, use_cache: bool = True, probes=None) -> WorkspaceScan:
    if probes is None:
        from guard.probes import Probes

        probes = Probes()
    names = {**ALWAYS_PROTECTED, **extra_names}
    anywhere = [p.rstrip("/") for p in deny_patterns if "/" not in p.rstrip("/")]
    rooted = [p.strip("/") for p in deny_patterns if "/" in p.rstrip("/")]
    found = probes.call("guard.workspace:findings", str(workspace), sorted(names), anywhere, rooted, use_cache)
    scan = WorkspaceScan()
    for folder, name, kind in found:
        base = Path(folder)
        path = base / name
        if kind == "git-dir":
            _protect_git_dir(scan, path, base != workspace, probes)
            scan.pinned.add(path)
        elif kind == "git-file":  # rewriting the pointer would redirect git to attacker files
            scan.protected.append((path, "gitdir pointer of a worktree or submodule"))
            target = _gitdir_of(path, probes)
            if target is not None and probes.is_dir(target):
                _protect_git_dir(scan, target, False, probes)
        elif kind == "protected":
            scan.protected.append((path, names.get(name, "protected by a plugin")))
        elif kind == "denied":
            scan.denied.append((path, "deny_read in the policy"))
        if kind != "denied" and base != workspace:
            scan.pinned.add(base)
    return scan
