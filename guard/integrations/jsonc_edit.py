"""In-place edits of a JSON-with-comments document that keep every other byte.

Each edit splices one span of the text and parses again (the files are small), so offsets
never go stale. New values are written in the file's own indentation, newline style and
trailing-comma habit, which is what makes a second run a no-op: the text guard writes is
the text it would write again.

Addresses are paths of member names from the root object, e.g. ``("hooks", "PreToolUse")``.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from guard.integrations.jsonc import JsoncError, Node, parse

Path = tuple[str, ...]


class JsoncDocument:
    def __init__(self, text: str, filename: str) -> None:
        self.filename = filename
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.unit = _indent_unit(text)
        if parse(text, filename) is None:  # empty or comments only: give it a root object
            text = text.rstrip() + (self.newline if text.strip() else "") + "{}" + self.newline
        self._set(text)

    def _set(self, text: str) -> None:
        self.text = text
        self.root = parse(text, self.filename)
        if self.root.kind != "object":
            raise JsoncError(self.filename, text, self.root.start, "the document must be a JSON object")

    # -- reading -----------------------------------------------------------------------------
    def node(self, path: Path) -> Node | None:
        node = self.root
        for i, key in enumerate(path):
            if node.kind != "object":
                where = ".".join(path[:i]) or "the document"
                raise JsoncError(self.filename, self.text, node.start, f"{where} must be an object")
            node = node.member(key, self.filename, self.text)
            if node is None:
                return None
        return node

    def value(self, path: Path, default: Any = None) -> Any:
        node = self.node(path)
        return default if node is None else node.to_python()

    def error(self, node: Node, message: str) -> JsoncError:
        return JsoncError(self.filename, self.text, node.start, message)

    # -- editing -----------------------------------------------------------------------------
    def ensure(self, path: Path, kind: str, default: Any) -> Node:
        """The node at ``path``, created with ``default`` (and any missing parents) if absent."""
        node = self.node(path)
        if node is None:
            for depth in range(1, len(path)):
                if self.node(path[:depth]) is None:
                    self.set_member(path[: depth - 1], path[depth - 1], {})
            self.set_member(path[:-1], path[-1], default)
            node = self.node(path)
        if node.kind != kind:
            raise self.error(node, f"{'.'.join(path)} must be an {kind}")
        return node

    def set_member(self, path: Path, key: str, value: Any) -> None:
        """Set ``key`` in the object at ``path``: replace its value or add the member."""
        obj = self.node(path)
        current = obj.member(key, self.filename, self.text)
        if current is not None:
            if current.to_python() != value:
                self.replace(current, value)
            return
        indent = self._child_indent(obj)
        self._append(obj, json.dumps(key, ensure_ascii=False) + ": " + self.dump(value, indent), indent)

    def replace(self, node: Node, value: Any) -> None:
        self._splice(node.start, node.end, self.dump(value, _line_indent(self.text, node.start)))

    def append_item(self, path: Path, value: Any) -> None:
        array = self.node(path)
        indent = self._child_indent(array)
        self._append(array, self.dump(value, indent), indent)

    def remove_item(self, path: Path, index: int) -> None:
        array = self.node(path)
        item, comma = array.children[index], array.commas[index]
        text = self.text
        line_start = text.rfind("\n", 0, item.start) + 1
        owns_line = not text[line_start:item.start].strip()
        start = line_start if owns_line else item.start
        end = item.end if comma is None else comma + 1
        rest = re.match(r"[ \t]*\r?\n", text[end:])
        if owns_line and rest:
            end += rest.end()
        edits = [(start, end, "")]
        if comma is None and index > 0:  # it was the last item: the one before loses its comma
            prev = array.commas[index - 1]
            edits.append((prev, prev + 1, ""))
        self._splice_many(edits)

    def sync_items(self, path: Path, desired: list[tuple[str, Any]], key_of: Callable[[Any], str | None]) -> None:
        """Make guard's own items of the array at ``path`` exactly ``desired``.

        ``key_of(item)`` names guard's items (None for the user's, which are never touched).
        Ours that are no longer wanted, or repeated, are removed; changed ones are rewritten
        in place; missing ones are appended. Equal ones keep their bytes.
        """
        wanted = dict(desired)
        while True:  # one removal per pass: indexes move after each splice
            seen: set[str] = set()
            for index, item in enumerate(self.node(path).children):
                key = key_of(item.to_python())
                if key is not None and (key not in wanted or key in seen):
                    self.remove_item(path, index)
                    break
                if key is not None:
                    seen.add(key)
            else:
                break
        for key, value in desired:
            items = self.node(path).children
            mine = [item for item in items if key_of(item.to_python()) == key]
            if not mine:
                self.append_item(path, value)
            elif mine[0].to_python() != value:
                self.replace(mine[0], value)

    # -- text --------------------------------------------------------------------------------
    def dump(self, value: Any, indent: str) -> str:
        """``value`` as JSON whose continuation lines start at ``indent``."""
        inner = indent + self.unit
        if isinstance(value, dict):
            if not value:
                return "{}"
            body = ("," + self.newline).join(
                inner + json.dumps(k, ensure_ascii=False) + ": " + self.dump(v, inner) for k, v in value.items()
            )
            return "{" + self.newline + body + self.newline + indent + "}"
        if isinstance(value, list):
            if not value:
                return "[]"
            if all(not isinstance(v, (dict, list)) for v in value):
                flat = "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
                if len(indent) + len(flat) <= 100:
                    return flat
            body = ("," + self.newline).join(inner + self.dump(v, inner) for v in value)
            return "[" + self.newline + body + self.newline + indent + "]"
        return json.dumps(value, ensure_ascii=False)

    def _child_indent(self, node: Node) -> str:
        text = self.text
        if node.children:
            first = node.key_starts[0] if node.kind == "object" else node.children[0].start
            line_start = text.rfind("\n", 0, first) + 1
            if not text[line_start:first].strip():
                return text[line_start:first]
        return _line_indent(text, node.start) + self.unit

    def _append(self, node: Node, child: str, indent: str) -> None:
        """Add ``child`` (already rendered) as the last child of ``node``."""
        text, nl = self.text, self.newline
        trailing = bool(node.children) and node.commas[-1] is not None
        edits = []
        if node.children and not trailing:
            edits.append((node.children[-1].end, node.children[-1].end, ","))
        close_line = text.rfind("\n", 0, node.close) + 1
        if text[close_line:node.close].strip() or close_line <= node.start:
            # the closing bracket shares its line: open a new line for the child
            edits.append((node.close, node.close, nl + indent + child + ("," if trailing else "") + nl
                          + _line_indent(text, node.start)))
        else:
            edits.append((close_line, close_line, indent + child + ("," if trailing else "") + nl))
        self._splice_many(edits)

    def _splice(self, start: int, end: int, replacement: str) -> None:
        self._splice_many([(start, end, replacement)])

    def _splice_many(self, edits: list[tuple[int, int, str]]) -> None:
        text = self.text
        # back to front, so earlier offsets stay valid; at one offset, the edit listed first
        # must end up first in the text, so it is applied last
        order = sorted(range(len(edits)), key=lambda i: (edits[i][0], i), reverse=True)
        for start, end, replacement in (edits[i] for i in order):
            text = text[:start] + replacement + text[end:]
        self._set(text)


def _line_indent(text: str, pos: int) -> str:
    line_start = text.rfind("\n", 0, pos) + 1
    match = re.match(r"[ \t]*", text[line_start:pos])
    return match.group() if match else ""


def _indent_unit(text: str) -> str:
    """The file's indentation step: a tab, or the smallest run of leading spaces; else 2."""
    sizes = []
    for line in text.splitlines():
        stripped = line.lstrip(" \t")
        if not stripped or stripped.startswith(("//", "/*", "*")):
            continue
        lead = line[: len(line) - len(stripped)]
        if lead.startswith("\t"):
            return "\t"
        if lead:
            sizes.append(len(lead))
    return " " * min(sizes) if sizes else "  "
