"""Moving bytes: a two-way tunnel and a framed request body, both under an idle timeout.

The idle clock is shared by both directions of a tunnel, so a long download with a silent
client stays open, while a connection on which nothing moves (a half-open peer, a
slowloris) is closed after ``idle`` seconds.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time

from guard.proxy.http import BadRequest, Body

CHUNK = 256 * 1024


TIMEOUT = (asyncio.TimeoutError, TimeoutError)  # distinct classes before Python 3.11


async def within(seconds: float, awaitable):
    """``awaitable`` or TimeoutError after ``seconds``; without ``wait_for``'s extra task on
    Python 3.11+ (it costs a loop iteration per call, on every new connection)."""
    if sys.version_info < (3, 11):
        return await asyncio.wait_for(awaitable, seconds)
    async with asyncio.timeout(seconds):
        return await awaitable


class Activity:
    def __init__(self) -> None:
        self.last = time.monotonic()

    def touch(self) -> None:
        self.last = time.monotonic()


async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, activity: Activity) -> None:
    try:
        while True:
            data = await reader.read(CHUNK)
            if not data:
                break
            activity.touch()
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()  # pass the half-close on; the other direction may still talk
    except (ConnectionError, OSError):
        pass


class _IdleTimer:
    """Calls ``expire`` once nothing has moved for ``idle`` seconds: one timer handle, re-armed
    only when it fires (not on every chunk), and no task of its own."""

    def __init__(self, activity: Activity, idle: float, expire) -> None:
        self.activity, self.idle, self.expire = activity, idle, expire
        self.loop = asyncio.get_running_loop()
        self.handle = self.loop.call_at(self.loop.time() + idle, self._check)

    def _check(self) -> None:
        remaining = self.activity.last + self.idle - time.monotonic()
        if remaining <= 0:
            self.handle = None
            self.expire()
        else:
            self.handle = self.loop.call_at(self.loop.time() + remaining, self._check)

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


async def run_with_idle(activity: Activity, idle: float, *coros) -> None:
    """Run ``coros`` to completion, or until ``idle`` seconds pass without activity."""
    work = [asyncio.ensure_future(c) for c in coros]

    def expire() -> None:
        for task in work:
            task.cancel()

    timer = _IdleTimer(activity, idle, expire)
    try:
        await asyncio.gather(*work, return_exceptions=True)
    finally:
        timer.cancel()
        for task in work:
            task.cancel()
        await asyncio.gather(*work, return_exceptions=True)


async def tunnel(a: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                 b: tuple[asyncio.StreamReader, asyncio.StreamWriter], idle: float) -> None:
    """Relay both ways until each side has ended its half (or one side is gone, or ``idle``)."""
    if _spliceable(a) and _spliceable(b):
        await _Splice(a, b, idle).run()
        return
    activity = Activity()
    await run_with_idle(activity, idle, pump(a[0], b[1], activity), pump(b[0], a[1], activity))


# -- the fast tunnel: the transports feed each other directly ---------------------------------
# A stream pump costs, per chunk, a copy into the StreamReader's buffer, a copy out of it and a
# task wake-up. Here each transport's protocol is swapped for one that writes what it receives
# straight into the other transport, and pauses the other side's reading while its own send
# buffer is full (the same back-pressure that ``drain`` gave). The original stream protocols
# still hear ``connection_lost`` and the write pauses, so ``writer.wait_closed`` and ``drain``
# keep working for whoever closes the connections afterwards.

_HIGH_WATER = 1024 * 1024  # bytes a side may queue before the other side's reading pauses
_LOW_WATER = 256 * 1024


_local = threading.local()  # one read buffer per event loop thread, shared by every tunnel


def _shared_buffer() -> memoryview:
    # Reads and the writes that consume them happen in one callback on the loop's thread, so
    # one buffer serves all tunnels: 1,000 idle tunnels hold no read buffers at all.
    view = getattr(_local, "view", None)
    if view is None:
        view = _local.view = memoryview(bytearray(CHUNK))
    return view


def _spliceable(side) -> bool:
    reader, writer = side
    transport = writer.transport
    return (hasattr(reader, "_buffer") and hasattr(transport, "set_protocol")
            and hasattr(transport, "pause_reading") and not transport.is_closing()
            and reader.exception() is None)


class _Side(asyncio.BufferedProtocol):
    """The protocol on one transport while it is spliced: what arrives goes to ``peer``."""

    def __init__(self, splice: _Splice, transport, original) -> None:
        self.splice, self.transport, self.original = splice, transport, original
        self.peer: _Side | None = None
        self.done = False  # this side sent EOF (or is gone): nothing more comes from it

    # reading
    def get_buffer(self, sizehint: int) -> memoryview:
        return _shared_buffer()

    def buffer_updated(self, nbytes: int) -> None:
        if self.splice.over:
            return
        self.splice.activity.last = time.monotonic()
        out = self.peer.transport
        out.write(_local.view[:nbytes])
        if out.get_write_buffer_size():
            # The transport may have kept a reference to the buffer instead of a copy
            # (Python 3.12+ does): the next read gets a fresh one, queued bytes stay intact.
            _local.view = None

    def eof_received(self) -> bool:
        self.splice.ended(self)
        return True  # keep our writing half open: the other direction may still talk

    def connection_lost(self, exc) -> None:
        self.splice.lost()
        self.original.connection_lost(exc)

    # writing: a full send buffer here pauses the peer's reading
    def pause_writing(self) -> None:
        if not self.peer.transport.is_closing():
            self.peer.transport.pause_reading()
        self.original.pause_writing()

    def resume_writing(self) -> None:
        if not self.peer.transport.is_closing() and not self.splice.over:
            self.peer.transport.resume_reading()
        self.original.resume_writing()


class _Splice:
    def __init__(self, a, b, idle: float) -> None:
        self.activity = Activity()
        self.idle = idle
        self.over = False
        self.finished = asyncio.get_running_loop().create_future()
        self.sides = []
        self.streams = (a, b)

    async def run(self) -> None:
        (reader_a, writer_a), (reader_b, writer_b) = self.streams
        ta, tb = writer_a.transport, writer_b.transport
        side_a, side_b = _Side(self, ta, ta.get_protocol()), _Side(self, tb, tb.get_protocol())
        side_a.peer, side_b.peer = side_b, side_a
        self.sides = [side_a, side_b]
        for side in self.sides:
            side.transport.set_write_buffer_limits(_HIGH_WATER, _LOW_WATER)
            side.transport.set_protocol(side)
        for side, reader in ((side_a, reader_a), (side_b, reader_b)):
            # Bytes the stream already read (a TLS hello sent right behind CONNECT) go first.
            pending = bytes(reader._buffer)
            reader._buffer.clear()
            if pending:
                side.peer.transport.write(pending)
            side.transport.resume_reading()  # the stream may have paused it when its buffer filled
        for side, reader in ((side_a, reader_a), (side_b, reader_b)):
            if reader.at_eof():
                self.ended(side)
        timer = _IdleTimer(self.activity, self.idle, self.lost)
        try:
            await self.finished
        finally:
            timer.cancel()
            self.over = True
            for side in self.sides:  # whoever closes the connections next finds them quiet
                if not side.transport.is_closing():
                    side.transport.pause_reading()

    def ended(self, side: _Side) -> None:
        if side.done:
            return
        side.done = True
        out = side.peer.transport
        if out.can_write_eof() and not out.is_closing():
            out.write_eof()  # pass the half-close on
        if all(s.done for s in self.sides):
            self._finish()

    def lost(self) -> None:
        """One side is gone (or the tunnel went idle): nothing more can be relayed."""
        self._finish()

    def _finish(self) -> None:
        self.over = True
        if not self.finished.done():
            self.finished.set_result(None)


async def copy_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, body: Body,
                    activity: Activity, line_limit: int = 4096) -> None:
    """Copy exactly one request body, as framed, and nothing after it (no smuggled request)."""
    if not body.chunked:
        left = body.length
        while left:
            data = await reader.read(min(left, CHUNK))
            if not data:
                raise BadRequest(400, "request body ended early")
            left -= len(data)
            activity.touch()
            writer.write(data)
            await writer.drain()
        return
    while True:
        line = await _line(reader, line_limit)
        size_text = line[:-2].split(b";", 1)[0].strip(b" \t")
        if not size_text or len(size_text) > 16 or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
            raise BadRequest(400, "invalid chunk size")
        size = int(size_text, 16)
        activity.touch()
        writer.write(line)
        if size == 0:
            while True:  # trailer fields, then the final empty line
                trailer = await _line(reader, line_limit)
                writer.write(trailer)
                if trailer == b"\r\n":
                    await writer.drain()
                    return
        await copy_body(reader, writer, Body(length=size), activity)
        if await reader.readexactly(2) != b"\r\n":
            raise BadRequest(400, "chunk not followed by CRLF")
        writer.write(b"\r\n")
        await writer.drain()


async def _line(reader: asyncio.StreamReader, limit: int) -> bytes:
    try:
        line = await reader.readuntil(b"\r\n")
    except asyncio.LimitOverrunError:
        raise BadRequest(400, "chunk line too long") from None
    except asyncio.IncompleteReadError:
        raise BadRequest(400, "request body ended early") from None
    if len(line) > limit or b"\n" in line[:-2] or b"\r" in line[:-2]:
        raise BadRequest(400, "malformed chunk line")
    return line
