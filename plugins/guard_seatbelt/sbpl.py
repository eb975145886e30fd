"""Writing SBPL (Seatbelt's S-expression profile language) safely: strings, regexes, rules."""

from __future__ import annotations

import re

_ERE_SPECIAL = re.compile(r"([.^$*+?()\[\]{}|\\])")


def string(text: str) -> str:
    """A quoted SBPL string; a path with a quote or backslash cannot end the string early."""
    if "\0" in text or "\n" in text:
        raise ValueError(f"cannot put {text!r} in a sandbox profile")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ere(text: str) -> str:
    """``text`` as a literal inside a POSIX extended regular expression."""
    return _ERE_SPECIAL.sub(r"\\\1", text)


def regex(pattern: str) -> str:
    return f"(regex {string(pattern)})"


def literal(path: str) -> str:
    return f"(literal {string(path)})"


def subpath(path: str) -> str:
    return f"(subpath {string(path)})"


def rule(action: str, operations: str, filters: list[str], message: str | None = None) -> str:
    """``(allow|deny OPERATIONS [(with message M)] FILTER...)``, one filter per line."""
    head = f"({action} {operations}"
    if message is not None:
        head += f" (with message {string(message)})"
    if not filters:
        return head + ")"
    return head + "\n    " + "\n    ".join(filters) + ")"
