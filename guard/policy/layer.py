"""Read one policy file into validated entries, each with its position in the file."""

from __future__ import annotations

from dataclasses import dataclass, field

from guard.errors import PolicyError
from guard.policy.locate import locate
from guard.policy.model import Origin
from guard.policy.schema import CURRENT_VERSION, KEYS

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


@dataclass
class Layer:
    """The validated content of one file: ``entries[(table, key)] = [(value, origin), ...]``."""

    name: str
    file: str | None
    text: str = ""
    entries: dict[tuple[str, str], list[tuple[object, Origin]]] = field(default_factory=dict)


def _type_name(value: object) -> str:
    return {bool: "a boolean", int: "an integer", str: "a string", list: "an array", dict: "a table"}.get(
        type(value), type(value).__name__
    )


def parse_layer(text: str, file: str, layer: str) -> Layer:
    """Validate ``text`` strictly; raise PolicyError naming FILE:LINE:COL on the first problem."""

    def fail(path: tuple[str, ...], message: str) -> PolicyError:
        line, col = locate(text, path)
        return PolicyError(file, line, col, message)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, col = getattr(exc, "lineno", None), getattr(exc, "colno", None)
        if line is None:  # Python < 3.14 puts the position only in the message
            import re

            m = re.search(r"line (\d+), column (\d+)", str(exc))
            line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        reason = str(exc).split(" (at line")[0]
        raise PolicyError(file, line, col, f"invalid TOML: {reason}") from None

    version = data.get("version")
    if "version" not in data:
        raise PolicyError(file, 1, 1, f"missing 'version = {CURRENT_VERSION}' (required first key)")
    if type(version) is not int:
        raise fail(("version",), f"'version' must be an integer, not {_type_name(version)}")
    if version > CURRENT_VERSION:
        raise fail(("version",), f"version {version} is newer than this guard understands "
                   f"({CURRENT_VERSION}); upgrade guard")
    if version < 1:
        raise fail(("version",), f"invalid version {version}; the current version is {CURRENT_VERSION}")

    result = Layer(layer, file, text)
    for table, content in data.items():
        if table == "version":
            continue
        if table not in KEYS:
            raise fail((table,), f"unknown table [{table}]; known: {', '.join(KEYS)}")
        if not isinstance(content, dict):
            raise fail((table,), f"[{table}] must be a table, not {_type_name(content)}")
        for key, value in content.items():
            spec = KEYS[table].get(key)
            if spec is None:
                known = ", ".join(KEYS[table])
                raise fail((table, key), f"unknown key '{key}' in [{table}]; known: {known}")
            result.entries[(table, key)] = _entries(table, key, value, spec, file, layer, text, fail)
    return result


def _entries(table, key, value, spec, file, layer, text, fail):
    where = f"{table}.{key}"

    def origin(*extra: str) -> Origin:
        line, col = locate(text, (table, key, *extra))
        return Origin(layer, file, line, col)

    if spec.kind == "bool":
        if type(value) is not bool:
            raise fail((table, key), f"'{where}' must be true or false, not {_type_name(value)}")
        return [(value, origin())]
    if spec.kind == "str":
        if not isinstance(value, str):
            raise fail((table, key), f"'{where}' must be a string, not {_type_name(value)}")
        try:
            spec.check(value)
        except ValueError as exc:
            raise fail((table, key), f"'{where}': {exc}") from None
        return [(value, origin())]
    if spec.kind == "map":
        if not isinstance(value, dict):
            raise fail((table, key), f"'{where}' must be a table of strings, not {_type_name(value)}")
        out = []
        for name, item in value.items():
            try:
                spec.check(name)
            except ValueError as exc:
                raise fail((table, key, name), f"'{where}': {exc}") from None
            if not isinstance(item, str):
                raise fail((table, key, name), f"'{where}.{name}' must be a string, not {_type_name(item)}")
            if any(c in item for c in "\0"):
                raise fail((table, key, name), f"'{where}.{name}' contains a NUL character")
            out.append(((name, item), origin(name)))
        return out
    if not isinstance(value, list):
        raise fail((table, key), f"'{where}' must be an array of strings, not {_type_name(value)}")
    out = []
    for item in value:
        if not isinstance(item, str):
            raise fail((table, key), f"'{where}' entries must be strings, found {_type_name(item)}")
        try:
            spec.check(item)
        except ValueError as exc:
            raise fail((table, key, item), f"'{where}': {exc}") from None
        out.append((item, origin(item)))
    return out
