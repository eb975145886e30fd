"""Reading the commits out of a pushed pack, to tell a fast-forward from a forced update.

A ref update ``old -> new`` is a fast-forward when ``old`` is an ancestor of ``new``. The proxy
has no repository, only the pack the client sends, so it proves ancestry by walking parents
from ``new`` through the commits *in that pack*: reaching ``old`` proves a fast-forward. The
server itself checks that ``old`` is the ref's current value (receive-pack's compare-and-swap),
so ``old`` is the remote's real state, not the client's claim.

What cannot be proven is refused (fail closed): a walk that leaves the pack before reaching
``old`` (the new tip is, or builds on, a commit the server already has, e.g. a branch moved to
an existing commit) and commits stored as deltas against objects outside the pack. Both are
rare for an agent's pushes; ``allow_force_push`` lifts the check.

The scanner streams: every byte it consumes is handed to ``sink`` (the upstream connection)
as soon as it is parsed, except the pack's trailing checksum, which the caller sends only
after the decision. Without it the server's index-pack never completes, so a refused pack
updates nothing.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import Awaitable, Callable

COMMIT, TREE, BLOB, TAG, OFS_DELTA, REF_DELTA = 1, 2, 3, 4, 6, 7
MAX_KEPT = 64 * 1024 * 1024  # commits and small deltas kept in memory for one push
MAX_DELTA = 1024 * 1024  # a delta bigger than this is not a commit's
CHUNK = 64 * 1024


class PackError(Exception):
    """The pack could not be read; the push is refused."""


class Source:
    """Exact reads over ``read(n)`` (b"" at the end), passing consumed bytes to ``sink``."""

    def __init__(self, read: Callable[[int], Awaitable[bytes]], sink: Callable[[bytes], None]) -> None:
        self._read, self._sink = read, sink
        self._buf = b""
        self.position = 0  # bytes consumed so far: pack offsets for OFS_DELTA bases

    def _consume(self, data: bytes) -> None:
        self.position += len(data)
        self._sink(data)

    async def _fill(self) -> None:
        more = await self._read(CHUNK)
        if not more:
            raise PackError("the pushed pack ended early")
        self._buf += more

    async def exact(self, n: int) -> bytes:
        while len(self._buf) < n:
            await self._fill()
        data, self._buf = self._buf[:n], self._buf[n:]
        self._consume(data)
        return data

    async def inflate(self, expected: int, keep: bool) -> bytes | None:
        """One zlib stream; its output when ``keep``, else None. Inflates in bounded steps, so
        a small stream that claims to be huge costs time, never memory."""
        stream = zlib.decompressobj()
        out, size = [], 0
        while not stream.eof:
            if not self._buf:
                await self._fill()
            data, self._buf = self._buf, b""
            pending = data
            while True:
                try:
                    chunk = stream.decompress(pending, CHUNK)
                except zlib.error as exc:
                    raise PackError(f"corrupt pack data: {exc}") from None
                size += len(chunk)
                if size > expected:
                    raise PackError("a pack object is larger than its header says")
                if keep:
                    out.append(chunk)
                pending = stream.unconsumed_tail
                if stream.eof or (not pending and len(chunk) < CHUNK):
                    break
            rest = stream.unused_data if stream.eof else b""
            self._consume(data[:len(data) - len(rest)])
            self._buf = rest + self._buf
        if size != expected:
            raise PackError("a pack object is smaller than its header says")
        return b"".join(out) if keep else None

    async def rest(self) -> bytes:
        """Whatever follows, without passing it to the sink (the caller decides)."""
        data, self._buf = self._buf, b""
        while True:
            more = await self._read(CHUNK)
            if not more:
                return data
            data += more


class PackCommits:
    """``id -> parents`` for every commit a pack carries (deltas against in-pack bases resolved)."""

    def __init__(self, object_format: str = "sha1") -> None:
        if object_format not in ("sha1", "sha256"):
            raise PackError(f"unknown object format {object_format!r}")
        self.hash = object_format
        self.oid_len = 20 if object_format == "sha1" else 32
        self.parents: dict[str, tuple[str, ...]] = {}
        self.unresolved = 0  # deltas whose base is outside the pack: maybe commits, unknown

    async def scan(self, src: Source) -> None:
        """Read the pack header and every object; the trailer is left for the caller."""
        origin = src.position
        header = await src.exact(12)
        if header[:4] != b"PACK" or int.from_bytes(header[4:8], "big") not in (2, 3):
            raise PackError("the push does not carry a git pack")
        count = int.from_bytes(header[8:12], "big")
        kept: dict[int, tuple[int, bytes | None]] = {}  # offset -> (type, content or None)
        pending: list[tuple[int, object, bytes]] = []  # deltas: (offset, base, delta data)
        budget = MAX_KEPT
        for _ in range(count):
            start = src.position - origin
            kind, size = await self._object_header(src)
            base: object = None
            if kind == OFS_DELTA:
                base = start - await self._ofs(src)
            elif kind == REF_DELTA:
                base = (await src.exact(self.oid_len)).hex()
            elif kind not in (COMMIT, TREE, BLOB, TAG):
                raise PackError(f"unknown pack object type {kind}")
            keep = (kind == COMMIT or (base is not None and size <= MAX_DELTA)) and size <= budget
            data = await src.inflate(size, keep)
            if keep:
                budget -= size
            if kind == COMMIT:
                kept[start] = (COMMIT, data)
                self._add(data)
            elif base is None:
                kept[start] = (kind, None)
            elif data is not None:
                pending.append((start, base, data))
            else:
                self.unresolved += 1
        self._resolve(kept, pending)

    def _resolve(self, kept: dict, pending: list) -> None:
        ids = {}  # commit id -> offset, for REF_DELTA bases inside the pack
        for start, (kind, data) in kept.items():
            if kind == COMMIT:
                ids[self._id(data)] = start
        progress = True
        while pending and progress:
            progress, left = False, []
            for start, base, delta in pending:
                where = ids.get(base) if isinstance(base, str) else base
                if where not in kept:
                    left.append((start, base, delta))
                    continue
                progress = True
                kind, content = kept[where]
                if kind != COMMIT or content is None:
                    kept[start] = (kind, None)  # a delta has its base's type: not a commit
                    continue
                result = apply_delta(content, delta)
                kept[start] = (COMMIT, result)
                ids[self._id(result)] = start
                self._add(result)
            pending = left
        self.unresolved += len(pending)

    def reaches(self, new: str, old: str) -> bool:
        """True when walking parents from ``new`` through this pack's commits reaches ``old``."""
        seen, todo = set(), [new]
        while todo:
            oid = todo.pop()
            if oid == old:
                return True
            if oid in seen:
                continue
            seen.add(oid)
            todo.extend(self.parents.get(oid, ()))
        return False

    def _id(self, content: bytes) -> str:
        return hashlib.new(self.hash, b"commit %d\0" % len(content) + content).hexdigest()

    def _add(self, content: bytes) -> None:
        parents = []
        for line in content.split(b"\n"):
            if not line:
                break  # the headers end at the first blank line; the message is not parsed
            if line.startswith(b"parent "):
                parents.append(line[7:].decode("ascii", "replace"))
        self.parents[self._id(content)] = tuple(parents)

    @staticmethod
    async def _object_header(src: Source) -> tuple[int, int]:
        c = (await src.exact(1))[0]
        kind, size, shift = (c >> 4) & 7, c & 15, 4
        while c & 0x80:
            c = (await src.exact(1))[0]
            size |= (c & 0x7F) << shift
            shift += 7
            if shift > 70:
                raise PackError("pack object size too large")
        return kind, size

    @staticmethod
    async def _ofs(src: Source) -> int:
        c = (await src.exact(1))[0]
        value, used = c & 0x7F, 1
        while c & 0x80:
            c = (await src.exact(1))[0]
            value = ((value + 1) << 7) | (c & 0x7F)
            used += 1
            if used > 10:
                raise PackError("pack delta offset too large")
        return value


def apply_delta(base: bytes, delta: bytes) -> bytes:
    """git's delta format: source size, target size, then copy/insert instructions."""
    pos = 0

    def varint() -> int:
        nonlocal pos
        value = shift = 0
        while True:
            if pos >= len(delta):
                raise PackError("truncated delta")
            c = delta[pos]
            pos += 1
            value |= (c & 0x7F) << shift
            shift += 7
            if not c & 0x80:
                return value

    if varint() != len(base):
        raise PackError("delta base size mismatch")
    size = varint()
    out = bytearray()
    while pos < len(delta):
        op = delta[pos]
        pos += 1
        if op & 0x80:
            offset = length = 0
            for i in range(4):
                if op & (1 << i):
                    offset |= delta[pos] << (8 * i)
                    pos += 1
            for i in range(3):
                if op & (0x10 << i):
                    length |= delta[pos] << (8 * i)
                    pos += 1
            length = length or 0x10000
            if offset + length > len(base):
                raise PackError("delta copies past its base")
            out += base[offset:offset + length]
        elif op:
            out += delta[pos:pos + op]
            pos += op
        else:
            raise PackError("invalid delta instruction")
        if len(out) > size:
            raise PackError("delta result larger than announced")
    if len(out) != size:
        raise PackError("delta result size mismatch")
    return bytes(out)
