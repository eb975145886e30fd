"""What an integration generator returns: the files it would write, as data.

A generator never writes anything itself. It reads the repository and returns a
``Plan``: for each file, the current text and the text guard wants. The ``editor`` and
``agent`` commands then either write the changed files or, with ``--check``, print the
unified diff and exit 1. Because a plan is data, tests read it without touching disk, and
"a second run changes nothing" is simply ``plan.changes == []`` after the first write.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class FileChange:
    path: Path
    display: str  # the path as shown to the user, relative to the workspace
    old: str | None  # None: the file does not exist yet
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def diff(self) -> str:
        old = [] if self.old is None else self.old.splitlines(keepends=True)
        lines = difflib.unified_diff(
            old, self.new.splitlines(keepends=True),
            fromfile="/dev/null" if self.old is None else f"a/{self.display}", tofile=f"b/{self.display}",
        )
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)

    def write(self) -> None:
        """Replace the file atomically, keeping its mode: a reader never sees half a file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        mode = self.path.stat().st_mode & 0o7777 if self.path.exists() else 0o644
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".guard-tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(self.new)
            os.chmod(tmp, mode)
            os.replace(tmp, self.path)
        except BaseException:
            os.unlink(tmp)
            raise


@dataclass
class Plan:
    files: list[FileChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # printed loudly on stderr, every run
    notes: list[str] = field(default_factory=list)  # what the user still has to do by hand

    @property
    def changes(self) -> list[FileChange]:
        return [f for f in self.files if f.changed]


@dataclass(frozen=True)
class Integration:
    """One generator, as returned by the ``guard_integrations`` hook.

    ``kind`` is ``"editor"`` or ``"agent"`` (the command that offers it); ``plan`` reads the
    workspace and returns what should change. ``list_json``, when set, prints what the editor
    extension asks for (``guard editor vscode --list-json``).
    """

    kind: str
    name: str
    summary: str
    plan: Callable[[Path], Plan]
    list_json: Callable[[Path], str] | None = None


def read_text(path: Path) -> str | None:
    """The file's text, None when it does not exist. Bytes are kept (no newline translation)."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        from guard.errors import UsageError

        raise UsageError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                         hint="guard changed nothing; fix or remove the file") from exc


def target(workspace: Path, relative: str) -> Path:
    """``workspace/relative``, refusing symlinks on the way.

    A cloned repository can ship ``.claude`` as a symlink to ``~/.claude`` (or ``.vscode`` to
    any folder): following it would make guard read and write the user's own files outside
    the repository. Nothing of the kind is ever followed.
    """
    from guard.errors import UsageError

    path = workspace
    for part in Path(relative).parts:
        path = path / part
        if path.is_symlink():
            raise UsageError(f"{path} is a symlink; guard does not write through symlinks",
                             hint="replace it with a real file or folder, then run the command again")
    return path
