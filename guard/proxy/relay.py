"""Moving bytes: a two-way tunnel and a framed request body, both under an idle timeout.

The idle clock is shared by both directions of a tunnel, so a long download with a silent
client stays open, while a connection on which nothing moves (a half-open peer, a
slowloris) is closed after ``idle`` seconds.
"""

from __future__ import annotations

import asyncio
import sys
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


async def watch(activity: Activity, idle: float, work: list[asyncio.Task]) -> None:
    """Cancel ``work`` once nothing has moved for ``idle`` seconds."""
    while True:
        remaining = activity.last + idle - time.monotonic()
        if remaining <= 0:
            for task in work:
                task.cancel()
            return
        await asyncio.sleep(remaining)


async def run_with_idle(activity: Activity, idle: float, *coros) -> None:
    """Run ``coros`` to completion, or until ``idle`` seconds pass without activity."""
    work = [asyncio.ensure_future(c) for c in coros]
    watchdog = asyncio.ensure_future(watch(activity, idle, work))
    try:
        await asyncio.gather(*work, return_exceptions=True)
    finally:
        watchdog.cancel()
        for task in work:
            task.cancel()
        await asyncio.gather(watchdog, *work, return_exceptions=True)


async def tunnel(a: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                 b: tuple[asyncio.StreamReader, asyncio.StreamWriter], idle: float) -> None:
    activity = Activity()
    await run_with_idle(activity, idle, pump(a[0], b[1], activity), pump(b[0], a[1], activity))


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
