"""Which paths a Landlock plan grants, and with which rights.

Landlock only adds rights (a rule on a folder covers everything below it), so a denied read
below a readable folder cannot be subtracted. Instead, reads are *carved*: every folder on the
way to a denied path gets no read rule of its own, each of its other entries gets one, and the
denied path gets none. Folder listing (READ_DIR) is granted everywhere, so names stay visible
but contents do not. A symlink never gets a rule: what it points to decides for itself, so a
link to ~/.ssh reads nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from guard_landlock import landlock as ll


@dataclass(frozen=True)
class PathRule:
    path: Path
    access: int
    follow: bool = True  # False: a rule on this entry itself, never on a symlink's target
    why: str = ""

    def arg(self) -> str:
        return f"{self.access}:{'f' if self.follow else 'n'}:{self.path}"

    @classmethod
    def parse(cls, arg: str) -> PathRule:
        access, follow, path = arg.split(":", 2)
        return cls(Path(path), int(access), follow == "f")


def _ancestors(paths) -> set[Path]:
    found = set()
    for path in paths:
        found.update(path.parents)
    return found


def read_rules(denied: set[Path], root: Path = Path("/")) -> list[PathRule]:
    """Read rights on everything under ``root`` except ``denied`` (existing or not)."""
    carved = _ancestors(denied)
    rules = [PathRule(root, ll.READ_DIR, why="folder names are listable everywhere")]

    def carve(folder: Path) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return  # unreadable to us as well: nothing to grant
        for entry in entries:
            path = folder / entry.name
            if path in denied or entry.is_symlink():
                continue
            if path in carved:
                if entry.is_dir(follow_symlinks=False):
                    carve(path)
                continue
            rules.append(PathRule(path, ll.READ, follow=False, why="readable"))

    if root in denied:
        return rules
    if root in carved:
        carve(root)
    else:
        rules.append(PathRule(root, ll.READ, why="readable"))
    return rules


# Devices every program expects to write; opened fresh they need a rule (inherited stdio
# does not). Not /dev/pts: another terminal's pty there would take our output.
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/tty")


def write_rules(writable, tmpdir: Path | None) -> list[PathRule]:
    rules = [PathRule(Path(p), ll.WRITE, why="writable") for p in writable]
    if tmpdir is not None:
        rules.append(PathRule(tmpdir, ll.WRITE, why="this run's private TMPDIR"))
    rules += [PathRule(Path(d), ll.WRITE_FILE | ll.IOCTL_DEV, why="a standard device") for d in DEVICES]
    return rules


def effective(rules, path: Path) -> int:
    """The rights the rules give ``path`` (lexically: rules on it or on a folder above it)."""
    access = 0
    for rule in rules:
        if rule.path == path or rule.path in path.parents:
            access |= rule.access
    return access
