"""Every filesystem fact a launch plan depends on, recorded as the planner asks for it.

A cached plan is valid exactly when asking the same questions again gives the same answers.
So the planner never asks the filesystem directly: it asks a ``Probes`` object, which answers
and remembers. ``replay`` asks again. A fact the planner did not ask through here would be a
fact the cache cannot see change, so every question that shapes a plan goes through here.
"""

from __future__ import annotations

import os


def _stat(path: str):
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_mode]


def _read(path: str):
    try:
        with open(path, "rb") as f:
            data = f.read(65536)
    except OSError:
        return None
    from guard.digest import content_hash

    return content_hash(data)


def _call(spec: str, args: list):
    import importlib

    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)(*args)


_OPS = {
    "lexists": os.path.lexists,
    "exists": os.path.exists,
    "isdir": os.path.isdir,
    "islink": os.path.islink,
    "realpath": os.path.realpath,
    "stat": _stat,
    "read": _read,
}


def _jsonable(value):
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


class Probes:
    def __init__(self) -> None:
        self.facts: list[list] = []

    def _ask(self, op: str, path) -> object:
        result = _OPS[op](str(path))
        self.facts.append([op, str(path), result])
        return result

    def lexists(self, path) -> bool:
        return self._ask("lexists", path)

    def exists(self, path) -> bool:
        return self._ask("exists", path)

    def is_dir(self, path) -> bool:
        return self._ask("isdir", path)

    def is_link(self, path) -> bool:
        return self._ask("islink", path)

    def realpath(self, path) -> str:
        return self._ask("realpath", path)

    def stat(self, path):
        """The file's identity and times: for files whose content the plan depends on."""
        return self._ask("stat", path)

    def content(self, path):
        return self._ask("read", path)

    def call(self, spec: str, *args):
        """A fact computed by ``module:function(*args)`` (JSON-able result), e.g. a tool's path."""
        result = _jsonable(_call(spec, list(args)))
        self.facts.append(["call:" + spec, _jsonable(list(args)), result])
        return result


def replay(facts: list[list]) -> bool:
    """True when every recorded question still gets the recorded answer."""
    for op, arg, result in facts:
        if op.startswith("call:"):
            now = _jsonable(_call(op[5:], arg))
        else:
            fn = _OPS.get(op)
            if fn is None:
                return False
            now = fn(arg)
        if now != result:
            if os.environ.get("GUARD_TRACE_PLAN_CACHE"):
                import sys

                print(f"guard-trace: changed: {op} {arg}", file=sys.stderr)
            return False
    return True
