"""``guard hooks install``: shims in the repository's own hooks folder, chaining what was there.

The shims go into ``$GIT_COMMON_DIR/hooks`` (shared by every worktree of the repository),
never into a tracked folder: a hook in the working tree could be rewritten by anything that
can write the working tree, a sandboxed agent included. A hook that was already installed is
renamed ``NAME.pre-guard`` and run first by ``guard hook`` with the same arguments and stdin;
it is never deleted. Installing again rewrites guard's own shims and changes nothing else.
When both ``NAME`` (not guard's) and ``NAME.pre-guard`` exist, install refuses; ``--force``
then sets ``NAME`` aside as ``NAME.guard-replaced`` (kept, no longer run).
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from guard.errors import GuardError
from guard.gitguard.gitrepo import GitRepo

HOOKS = ("pre-commit", "pre-push", "post-checkout", "post-merge")
# Hooks that guard uses to refuse; when guard itself cannot be found they refuse too.
BLOCKING = ("pre-commit", "pre-push")
MARKER = "# guard-hook-shim"
CHAINED_SUFFIX = ".pre-guard"
REPLACED_SUFFIX = ".guard-replaced"


def guard_executable() -> str | None:
    """The absolute path of the guard running now, when it is an installed ``guard`` script."""
    argv0 = Path(sys.argv[0])
    if argv0.name == "guard" and argv0.is_file():
        return str(argv0.absolute())
    beside = Path(sys.executable).parent / "guard"
    return str(beside.absolute()) if beside.is_file() else None


def shim_text(name: str, guard: str | None) -> str:
    fail_status = 1 if name in BLOCKING else 0
    recorded = shlex.quote(guard) if guard else "''"
    return f"""#!/bin/sh
{MARKER} {name} (written by `guard hooks install`; re-run it to update)
# Runs `guard hook {name}`, which first runs the hook that was here before, if any
# ({name}{CHAINED_SUFFIX}). guard is looked up at the absolute path of the guard that
# installed this shim, then on PATH, so a changed PATH cannot silently skip the checks.
recorded={recorded}
guard=$recorded
if [ -z "$guard" ] || [ ! -x "$guard" ]; then
    guard=$(command -v guard 2>/dev/null) || guard=
fi
if [ -z "$guard" ]; then
    echo "guard hook {name}: guard not found at '$recorded' nor on PATH; reinstall it or remove $0" >&2
    exit {fail_status}
fi
exec "$guard" hook --chain "$0{CHAINED_SUFFIX}" {name} "$@"
"""


def is_shim(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return MARKER.encode() in f.read(4096)
    except OSError:
        return False


@dataclass
class Installed:
    hooks_dir: Path
    actions: list[str]
    hooks_path: str | None  # core.hooksPath, when set: the shims will not run


def install(repo: GitRepo, *, force: bool = False, guard: str | None = None) -> Installed:
    hooks_dir = repo.common_dir() / "hooks"
    guard = guard if guard is not None else guard_executable()
    if not force:  # refuse before changing anything, not halfway through
        for name in HOOKS:
            _check_collision(hooks_dir, name)
    actions = []
    try:
        for name in HOOKS:
            actions.append(_install_one(hooks_dir, name, shim_text(name, guard), force))
    except OSError as exc:  # e.g. run inside a sandbox, where the hooks folder is read-only
        raise GuardError(f"cannot write hooks in {hooks_dir}: {exc.strerror}",
                         hint="run `guard hooks install` outside the sandbox, as yourself") from None
    return Installed(hooks_dir, actions, repo.config_get("core.hooksPath"))


def _install_one(hooks_dir: Path, name: str, text: str, force: bool) -> str:
    hooks_dir.mkdir(exist_ok=True)
    target = hooks_dir / name
    chained = hooks_dir / (name + CHAINED_SUFFIX)
    action = f"{name}: installed"
    if target.is_symlink() or target.exists():
        if is_shim(target) and not target.is_symlink():
            action = f"{name}: updated guard's shim"
        elif chained.is_symlink() or chained.exists():
            backup = _free_name(hooks_dir / (name + REPLACED_SUFFIX))
            os.replace(target, backup)
            action = (f"{name}: installed; the existing hook was set aside as {backup.name} "
                      f"(not run), {chained.name} still runs first")
        else:
            os.replace(target, chained)
            action = f"{name}: installed; the existing hook is kept as {chained.name} and runs first"
    tmp = hooks_dir / f".{name}.guard-tmp{os.getpid()}"
    tmp.write_text(text)
    tmp.chmod(0o755)
    os.replace(tmp, target)  # atomic: git never runs a half-written hook
    return action


def _check_collision(hooks_dir: Path, name: str) -> None:
    target, chained = hooks_dir / name, hooks_dir / (name + CHAINED_SUFFIX)
    taken = chained.is_symlink() or chained.exists()
    foreign = (target.is_symlink() or target.exists()) and not (is_shim(target) and not target.is_symlink())
    if taken and foreign:
        raise GuardError(
            f"{target} exists and so does {chained.name}; not overwriting either",
            hint=f"merge them by hand, or pass --force to set {name} aside as "
                 f"{name}{REPLACED_SUFFIX} (kept, no longer run)")


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists() or candidate.is_symlink():
        candidate, n = path.with_name(f"{path.name}.{n}"), n + 1
    return candidate
