"""One launch's hold on its workspace, so that concurrent launches never undo each other.

Placeholders (read-only stand-ins for protected names that do not exist yet) belong to every
launch running in the workspace at once: a launch that removed them while another one ran
would detach the other one's mounts and let it create ``.envrc`` or ``.claude/``. So:

- every launch holds a shared lock on the workspace for its whole life, planning included;
- every placeholder created is written to a ledger in the state folder;
- whoever can take the lock exclusively (the last one out, or the next one in after a guard
  that was killed) removes what the ledger lists, if it is still the empty thing created;
- the git entries present before the first launch are kept as a baseline, and every launch
  quarantines dangerous git entries that appeared since (guard.audit) when its command ends;
  a baseline left by a killed guard is audited by the next launch before anything runs.

Lock and ledger live in guard's state folder, which no sandbox can see.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from pathlib import Path


def _files(workspace: Path) -> tuple[Path, Path, Path]:
    from guard import paths
    from guard.digest import content_hash

    key = content_hash(str(workspace).encode("utf-8", "surrogateescape"))[:32]
    folder = paths.state_dir() / "sessions"
    return folder / f"{key}.lock", folder / f"{key}.ledger", folder / f"{key}.baseline"


class WorkspaceSession:
    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.lock_file, self.ledger, self.baseline = _files(workspace)
        self.fd: int | None = None
        self.needs_baseline = False
        self.scan_args: list | None = None

    def begin(self, facts: list) -> None:
        """The plan is known: take the baseline from its own scan (no second walk)."""
        from guard.audit import plan_findings, scan_args, snapshot

        self.scan_args = scan_args(self.workspace, facts)
        if self.needs_baseline and self.fd is not None:
            found = plan_findings(facts)
            self.baseline.write_text(json.dumps(sorted(snapshot(self.workspace, self.scan_args, found))))
            self.needs_baseline = False

    def __enter__(self) -> WorkspaceSession:
        try:
            self.lock_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            print(f"guard: warning: cannot lock the workspace ({exc.strerror}); "
                  "concurrent launches may undo each other's placeholders", file=sys.stderr)
            return self
        self._sweep_if_alone(entering=True)  # leftovers of a guard that was killed
        fcntl.flock(self.fd, fcntl.LOCK_SH)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is None:
            return
        self.audit()
        self._sweep_if_alone()
        os.close(self.fd)
        self.fd = None

    def audit(self) -> None:
        """Quarantine dangerous git entries that appeared since the baseline."""
        from guard.audit import quarantine_new

        try:
            before = set(json.loads(self.baseline.read_text()))
        except (OSError, ValueError, TypeError):
            return
        quarantine_new(self.workspace, before, self.scan_args)

    def record(self, path: Path, kind: str) -> None:
        """Remember a placeholder, so that the last launch out (or the next one in) removes it."""
        if self.fd is None:
            return
        line = json.dumps({"path": str(path), "kind": kind, "ino": os.lstat(path).st_ino}) + "\n"
        fd = os.open(self.ledger, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, line.encode())  # one write per line: concurrent launches never interleave
        finally:
            os.close(fd)

    def _sweep_if_alone(self, entering: bool = False) -> None:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # another launch is running here: it will sweep when it leaves
        try:
            if entering:
                if self.baseline.exists():  # a guard was killed before it could audit
                    self.audit()
                    self.baseline.unlink(missing_ok=True)
                self.needs_baseline = True  # taken in begin(), from the plan's own scan
            else:
                self.baseline.unlink(missing_ok=True)
            try:
                entries = self.ledger.read_text().splitlines()
            except FileNotFoundError:
                entries = []
            for line in reversed(entries):
                try:
                    item = json.loads(line)
                    remove_placeholder(Path(item["path"]), item["kind"], item["ino"])
                except (ValueError, KeyError, TypeError):
                    continue
            if entries:
                self.ledger.unlink(missing_ok=True)
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)


def remove_placeholder(path: Path, kind: str, ino: int) -> None:
    """Remove what we created, only while it is still the (empty) thing we created."""
    try:
        st = os.lstat(path)
        if st.st_ino != ino:
            return
        if kind == "tmpdir":  # a backend's private scratch folder: its content goes with it
            import shutil

            shutil.rmtree(path, ignore_errors=True)
        elif kind == "dir":
            path.rmdir()  # fails harmlessly when not empty
        elif st.st_size == 0:
            path.unlink()
    except OSError:
        pass
