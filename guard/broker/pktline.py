"""git's pkt-line framing, the ref update commands of a push, and a receive-pack refusal.

Only what the git route needs: reading the command section a client sends to
``git-receive-pack`` (gitprotocol-pack(5), "Reference Update Request") and writing a valid
``report-status`` answer so that a refused push reaches the agent as ``! [remote rejected]``
lines and ``remote:`` messages instead of an opaque HTTP error. Anything this parser does not
understand (a signed push, a malformed line) is an error: the route refuses, never guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Awaitable, Callable

FLUSH = b"0000"
MAX_PKT = 65520
MAX_COMMANDS = 10_000  # far beyond any real push; stops a flood of tiny pkt-lines
_OID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


class PktError(Exception):
    """The request is not a receive-pack request this route can judge."""


@dataclass(frozen=True)
class RefCommand:
    old: str
    new: str
    ref: str

    @property
    def is_delete(self) -> bool:
        return set(self.new) == {"0"}

    @property
    def is_create(self) -> bool:
        return set(self.old) == {"0"}


@dataclass(frozen=True)
class PushRequest:
    commands: tuple[RefCommand, ...]
    capabilities: frozenset[str]
    raw: bytes  # the exact bytes read, forwarded upstream unchanged

    @property
    def object_format(self) -> str:
        found = [c.split("=", 1)[1] for c in self.capabilities if c.startswith("object-format=")]
        return found[0] if found else "sha1"


Read = Callable[[int], Awaitable[bytes]]  # exactly n bytes, or raise


async def read_pkt(read_exact: Read) -> bytes | None:
    """One pkt-line's payload; None for a flush-pkt."""
    size_text = await read_exact(4)
    try:
        size = int(size_text.decode("ascii"), 16)
    except (UnicodeDecodeError, ValueError):
        raise PktError(f"not a pkt-line length: {size_text!r}") from None
    if size == 0:
        return None
    if size < 4 or size > MAX_PKT:  # 0001/0002 (delim, response-end) are not in a push
        raise PktError(f"unexpected pkt-line length {size}")
    return await read_exact(size - 4)


async def read_push(read_exact: Read) -> PushRequest:
    """The command list up to its flush-pkt, plus push options when the client asked for them."""
    raw = bytearray()

    async def take(n: int) -> bytes:
        data = await read_exact(n)
        raw.extend(data)
        return data

    commands: list[RefCommand] = []
    capabilities: frozenset[str] = frozenset()
    while True:
        payload = await read_pkt(take)
        if payload is None:
            break
        text = payload.decode("utf-8", "replace").rstrip("\n")
        if text.startswith("shallow "):
            continue  # a shallow client names its boundary commits; nothing to judge
        if text.startswith("push-cert"):
            raise PktError("signed pushes (push-cert) are not supported through guard's git route")
        line, nul, caps = text.partition("\0")
        if nul:
            if commands:
                raise PktError("capabilities after the first command")
            capabilities = frozenset(caps.split())
        fields = line.split(" ")
        if len(fields) != 3 or not _OID.fullmatch(fields[0]) or len(fields[1]) != len(fields[0]) \
                or not _OID.fullmatch(fields[1]) or not fields[2] or "\0" in fields[2]:
            raise PktError(f"malformed ref update command {line[:120]!r}")
        commands.append(RefCommand(*fields))
        if len(commands) > MAX_COMMANDS:
            raise PktError(f"more than {MAX_COMMANDS} ref updates in one push")
    if commands and "push-options" in capabilities:
        while await read_pkt(take) is not None:
            pass  # options are for server hooks; they cannot move a ref
    return PushRequest(tuple(commands), capabilities, bytes(raw))


def pkt(data: bytes) -> bytes:
    if len(data) + 4 > MAX_PKT:
        raise ValueError("pkt-line payload too long")
    return b"%04x" % (len(data) + 4) + data


def refusal(push: PushRequest, reasons: dict[str, str], message: str) -> bytes:
    """A ``git-receive-pack`` result refusing every update: ``unpack ok``, one ``ng`` per ref.

    ``message`` goes to sideband 2, which git prints as ``remote: ...`` lines. Without
    ``report-status`` git shows nothing of ours, so the caller sends a plain HTTP error instead.
    """
    report = pkt(b"unpack ok\n")
    for command in push.commands:
        reason = reasons.get(command.ref, "not pushed: another ref in this push was refused")
        report += pkt(f"ng {command.ref} {_one_line(reason)}\n".encode())
    report += FLUSH
    if not push.capabilities & {"side-band-64k", "side-band"}:
        return report
    limit = 65515 if "side-band-64k" in push.capabilities else 995
    out = b""
    for line in message.rstrip("\n").split("\n"):
        out += pkt(b"\x02" + (line + "\n").encode()[:limit])
    for start in range(0, len(report), limit):
        out += pkt(b"\x01" + report[start:start + limit])
    return out + FLUSH


def wants_report(push: PushRequest) -> bool:
    return bool(push.capabilities & {"report-status", "report-status-v2"})


def _one_line(text: str) -> str:
    return " ".join(text.split())[:400]
