"""Find the line and column of a key or value in TOML source text.

The ``guard run`` path parses with the standard library's ``tomllib`` (tomlkit costs ~60 ms
to import), which keeps no positions. Positions are needed only for messages, so they are
recovered from the text here: a small scanner that knows table headers, dotted keys and
quoted strings, good enough to point a person at the right line.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _split_key(text: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", text)
    return tuple(p.strip("\"'") for p in parts)


def locate(text: str, path: tuple[str, ...]) -> tuple[int, int]:
    """1-based (line, column) of ``path`` in ``text``: keys, optionally ending in a list value.

    Falls back to the closest enclosing key that can be found, and to (1, 1).
    """
    lines = text.splitlines()
    keys = tuple(path)
    best: tuple[int, int, int] = (0, 1, 1)  # (matched depth, line, col)
    table: tuple[str, ...] = ()
    for number, line in enumerate(lines, start=1):
        header = _HEADER.match(line)
        if header:
            table = _split_key(header.group(1))
            depth = _common(table, keys)
            if depth == len(table) and depth > best[0]:
                best = (depth, number, line.index("[") + 1)
            continue
        key = _KEY.match(line)
        if key:
            full = table + _split_key(key.group(1))
            depth = _common(full, keys)
            if depth == len(full) and depth > best[0]:
                best = (depth, number, len(line) - len(line.lstrip()) + 1)
    depth, line_no, col = best
    if depth == len(path) or line_no == 0:
        return line_no or 1, col
    return _find_after(lines, line_no, col, path[-1]) or (line_no, col)


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _find_after(lines: list[str], line_no: int, col: int, target: str) -> tuple[int, int] | None:
    """Search forward from (line_no, col) for ``target`` as a quoted value or a key name."""
    pattern = re.compile(r"""(["'])""" + re.escape(str(target)) + r"""\1|\b""" + re.escape(str(target)) + r"""\s*=""")
    for number in range(line_no, min(len(lines), line_no + 200) + 1):
        line = lines[number - 1]
        start = col - 1 if number == line_no else 0
        match = pattern.search(line, start)
        if match:
            return number, match.start() + 1
        if number > line_no and (_HEADER.match(line) or _KEY.match(line)):
            return None
    return None
