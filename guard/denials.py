"""The denial log: one JSON object per line in the user's state folder.

The proxy appends a line for every refused destination; ``guard log`` reads them. The state
folder is outside every sandbox, so a sandboxed command can neither erase its tracks nor
forge entries. The file is capped: past ``MAX_BYTES`` it is rotated once to ``.1``, so a
command that hammers a denied host cannot fill the disk.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

from guard import paths

MAX_BYTES = 8 * 1024 * 1024
FIELDS = ("time", "host", "port", "via", "rule", "fix", "workspace", "command")


@dataclass(frozen=True)
class Denial:
    time: str  # ISO 8601, UTC, seconds
    host: str
    port: int
    via: str  # "http", "connect" or "socks5"
    rule: str
    fix: str | None
    workspace: str
    command: list[str]

    @classmethod
    def now(cls, **fields) -> Denial:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return cls(time=stamp, **fields)

    @classmethod
    def from_json(cls, line: str) -> Denial | None:
        try:
            data = json.loads(line)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        try:
            return cls(**{name: data.get(name) for name in FIELDS})
        except TypeError:
            return None


def default_file() -> Path:
    return paths.state_dir() / "denials.jsonl"


class DenialLog:
    def __init__(self, file: Path | None = None) -> None:
        self.file = file or default_file()
        self._lock = threading.Lock()

    def append(self, denial: Denial) -> None:
        # One write() per line on an O_APPEND descriptor: concurrent guard runs interleave
        # whole lines, never halves.
        line = (json.dumps(asdict(denial), ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            self.file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                if self.file.stat().st_size > MAX_BYTES:
                    os.replace(self.file, self.file.with_name(self.file.name + ".1"))
            except FileNotFoundError:
                pass
            fd = os.open(self.file, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

    def read(self) -> list[Denial]:
        """Every readable entry, oldest first (the rotated file, then the current one)."""
        return self.snapshot()[0]

    def snapshot(self) -> tuple[list[Denial], tuple[int, int]]:
        """Every entry, and the (offset, inode) just past them for ``follow`` to go on from."""
        out: list[Denial] = []
        try:
            text = self.file.with_name(self.file.name + ".1").read_bytes()
            out.extend(self._parse(text))
        except FileNotFoundError:
            pass
        try:
            with open(self.file, "rb") as f:
                data = f.read()
                inode = os.fstat(f.fileno()).st_ino
        except FileNotFoundError:
            return out, (0, -1)
        complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits for follow
        out.extend(self._parse(complete))
        return out, (len(complete), inode)

    @staticmethod
    def _parse(data: bytes) -> list[Denial]:
        lines = data.decode("utf-8", "replace").splitlines()
        return [d for d in map(Denial.from_json, lines) if d is not None]

    def follow(self, start: tuple[int, int] | None = None, interval: float = 0.5,
               stop=lambda: False) -> Iterator[Denial]:
        """Entries appended after ``start`` (default: now), across rotation, until ``stop()``."""
        position, inode = start if start is not None else self._end()
        pending = b""
        while not stop():
            try:
                st = self.file.stat()
            except FileNotFoundError:
                time.sleep(interval)
                continue
            if st.st_ino != inode or st.st_size < position:  # rotated or truncated
                position, inode, pending = 0, st.st_ino, b""
            if st.st_size > position:
                with open(self.file, "rb") as f:
                    f.seek(position)
                    data = f.read()
                position += len(data)
                pending += data
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    denial = Denial.from_json(line.decode("utf-8", "replace"))
                    if denial is not None:
                        yield denial
                continue
            time.sleep(interval)

    def _end(self) -> tuple[int, int]:
        try:
            st = self.file.stat()
        except FileNotFoundError:
            return 0, -1
        return st.st_size, st.st_ino
