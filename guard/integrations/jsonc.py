"""A JSON-with-comments reader that remembers where every value sits in the text.

VS Code's ``tasks.json`` and ``settings.json`` (and Gemini CLI's ``settings.json``) allow
``//`` and ``/* */`` comments and trailing commas. Python's ``json`` drops both, so a
generator built on it would rewrite the user's file and lose their comments. This reader
keeps byte offsets instead: ``guard.integrations.jsonc_edit`` splices only the spans of
guard's own entries and leaves every other byte as it was.

Plain JSON (Claude Code's ``.claude/settings.json``) is a subset and reads the same way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from guard.errors import UsageError

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LITERALS = {"true": True, "false": False, "null": None}


class JsoncError(UsageError):
    """A file guard must merge into is not valid JSON-with-comments: ``FILE:LINE:COL: what``."""

    def __init__(self, filename: str, text: str, pos: int, message: str) -> None:
        self.filename, self.line, self.col = filename, *line_col(text, pos)
        super().__init__(
            f"{filename}:{self.line}:{self.col}: {message}",
            hint="fix the file by hand (guard changed nothing), then run the command again",
        )


@dataclass
class Node:
    """One value and where it is: ``text[start:end]`` is its source."""

    kind: str  # "object" | "array" | "string" | "number" | "literal"
    start: int
    end: int
    value: Any = None  # the Python value, for scalars
    keys: list[str] = field(default_factory=list)  # objects: member names, in order
    children: list[Node] = field(default_factory=list)  # object member values / array items
    key_starts: list[int] = field(default_factory=list)  # objects: where each member starts
    commas: list[int | None] = field(default_factory=list)  # comma after each child, if any
    close: int = -1  # objects and arrays: offset of the closing bracket

    def member(self, key: str, filename: str = "", text: str = "") -> Node | None:
        """The value of member ``key``; a key given twice is an error (which one wins?)."""
        found = [i for i, k in enumerate(self.keys) if k == key]
        if len(found) > 1:
            raise JsoncError(filename, text, self.key_starts[found[1]], f"duplicate key {key!r}")
        return self.children[found[0]] if found else None

    def to_python(self) -> Any:
        if self.kind == "object":
            return {k: child.to_python() for k, child in zip(self.keys, self.children)}
        if self.kind == "array":
            return [child.to_python() for child in self.children]
        return self.value


def line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def parse(text: str, filename: str) -> Node | None:
    """Parse ``text``; None when it holds nothing but whitespace and comments."""
    reader = _Reader(text, filename)
    pos = reader.skip(1 if text.startswith("\ufeff") else 0)
    if pos == len(text):
        return None
    node = reader.value(pos)
    pos = reader.skip(node.end)
    if pos != len(text):
        reader.fail(pos, "unexpected text after the end of the document")
    return node


class _Reader:
    def __init__(self, text: str, filename: str) -> None:
        self.text, self.filename = text, filename

    def fail(self, pos: int, message: str):
        raise JsoncError(self.filename, self.text, pos, message)

    def skip(self, pos: int) -> int:
        """Skip whitespace and comments."""
        text = self.text
        while pos < len(text):
            ch = text[pos]
            if ch in " \t\r\n":
                pos += 1
            elif text.startswith("//", pos):
                end = text.find("\n", pos)
                pos = len(text) if end < 0 else end + 1
            elif text.startswith("/*", pos):
                end = text.find("*/", pos + 2)
                if end < 0:
                    self.fail(pos, "unterminated /* comment")
                pos = end + 2
            else:
                break
        return pos

    def value(self, pos: int) -> Node:
        text = self.text
        if pos >= len(text):
            self.fail(pos, "unexpected end of file, expected a value")
        ch = text[pos]
        if ch == "{":
            return self.container(pos, "object", "}")
        if ch == "[":
            return self.container(pos, "array", "]")
        if ch == '"':
            value, end = self.string(pos)
            return Node("string", pos, end, value)
        match = _NUMBER.match(text, pos)
        if match:
            return Node("number", pos, match.end(), json.loads(match.group()))
        for word, literal in _LITERALS.items():
            if text.startswith(word, pos):
                return Node("literal", pos, pos + len(word), literal)
        self.fail(pos, f"unexpected character {ch!r}, expected a value")

    def string(self, pos: int) -> tuple[str, int]:
        try:
            return json.decoder.scanstring(self.text, pos + 1)
        except json.JSONDecodeError as exc:
            self.fail(exc.pos, exc.msg.lower())

    def container(self, start: int, kind: str, closer: str) -> Node:
        node = Node(kind, start, start)
        pos = self.skip(start + 1)
        while True:
            if pos >= len(self.text):
                self.fail(start, f"{kind} opened here is never closed")
            if self.text[pos] == closer:
                node.close, node.end = pos, pos + 1
                return node
            if kind == "object":
                if self.text[pos] != '"':
                    self.fail(pos, "expected a quoted member name")
                key, after = self.string(pos)
                node.key_starts.append(pos)
                node.keys.append(key)
                pos = self.skip(after)
                if pos >= len(self.text) or self.text[pos] != ":":
                    self.fail(pos, f"expected ':' after member name {key!r}")
                pos = self.skip(pos + 1)
            child = self.value(pos)
            node.children.append(child)
            pos = self.skip(child.end)
            if pos < len(self.text) and self.text[pos] == ",":
                node.commas.append(pos)
                pos = self.skip(pos + 1)
            elif pos < len(self.text) and self.text[pos] == closer:
                node.commas.append(None)
            else:
                self.fail(pos, f"expected ',' or '{closer}'")
