"""How a repository policy changed between two versions, in words, each change marked.

Both sides are parsed with the same strict parser that ``guard run`` uses, so an invalid side
is refused with ``FILE:LINE:COL`` rather than compared. Whether a change widens comes from one
place, ``guard.policy.schema.KEYS``: adding to a widening key (an allowed domain, a writable
path) widens, and so does removing from a tightening key (a denial).
"""

from __future__ import annotations

from dataclasses import dataclass

from guard.policy.layer import Layer, parse_layer
from guard.policy.model import REPO
from guard.policy.schema import KEYS

# (table, key) -> (what an added entry means, what a removed entry means); {} is the value.
_WORDS: dict[tuple[str, str], tuple[str, str]] = {
    ("filesystem", "allow_write"): ("new writable path {}", "writable path {} removed"),
    ("filesystem", "deny_write"): ("new read-only path {}", "removed write denial {}"),
    ("filesystem", "deny_read"): ("new unreadable path {}", "removed read denial {}"),
    ("filesystem", "allow_read"): ("reads re-allowed below a denied folder: {}", "read re-allowance {} removed"),
    ("network", "allow"): ("new allowed domain {}", "allowed domain {} removed"),
    ("network", "deny"): ("new denied domain {}", "removed domain denial {}"),
    ("network", "allow_local"): ("new local destination {} reachable (allow_local)", "local destination {} removed"),
    ("git", "hosts"): ("the broker now serves tokens for host {}", "host {} no longer served by the broker"),
    ("git", "push"): ("the sandbox may now push branches matching {}", "push rule {} removed"),
    ("env", "pass"): ("host variable {} now passed into the sandbox", "variable {} no longer passed in"),
}
_FLAGS = {"allow_force_push": "force pushes", "allow_delete": "branch deletion"}
# How permissive each state of a boolean is in the repository layer: an explicit false
# forbids even what another layer allows, absent inherits, true allows.
_RANK = {False: 0, None: 1, True: 2}


@dataclass(frozen=True)
class Change:
    key: str  # dotted, e.g. "network.allow"
    widening: bool
    words: str
    line: int = 0  # on the side where the entry is (new side for additions), 0 when unknown

    def describe(self, file: str = "sandbox.toml") -> str:
        mark = "WIDENING  " if self.widening else "tightening"
        where = f" ({file}:{self.line})" if self.line else ""
        return f"{mark} {self.key}: {self.words}{where}"


def parse_side(data: bytes | None, label: str) -> Layer:
    """A policy file's content as a Layer; a missing file is an empty policy."""
    if data is None:
        return Layer(REPO, label)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        from guard.errors import PolicyError

        raise PolicyError(label, 1, exc.start + 1, "policy file is not valid UTF-8") from None
    return parse_layer(text, label, REPO)


def diff_layers(old: Layer, new: Layer) -> list[Change]:
    changes: list[Change] = []
    for table, keys in KEYS.items():
        for key, spec in keys.items():
            before = old.entries.get((table, key), [])
            after = new.entries.get((table, key), [])
            dotted = f"{table}.{key}"
            if spec.kind == "list":
                changes += _list_changes(dotted, (table, key), spec.widening, before, after)
            elif spec.kind == "bool":
                changes += _bool_change(dotted, key, before, after)
            elif spec.kind == "map":
                changes += _map_changes(dotted, before, after)
            else:
                changes += _str_change(dotted, table, key, before, after)
    return changes


def _list_changes(dotted, where, widening, before, after) -> list[Change]:
    old = {value: origin for value, origin in before}
    new = {value: origin for value, origin in after}
    added_words, removed_words = _WORDS.get(where, ("new entry {}", "entry {} removed"))
    out = [Change(dotted, widening, added_words.format(repr(v)), new[v].line) for v in new if v not in old]
    out += [Change(dotted, not widening, removed_words.format(repr(v)), old[v].line) for v in old if v not in new]
    return out


def _bool_change(dotted, key, before, after) -> list[Change]:
    old = before[-1][0] if before else None
    new = after[-1][0] if after else None
    if old == new:
        return []
    what = _FLAGS.get(key, key)
    state = {True: "allowed", False: "explicitly forbidden", None: "left to the user's settings"}
    line = after[-1][1].line if after else before[-1][1].line
    words = f"{what} {state[new]} (was {state[old]})"
    return [Change(dotted, _RANK[new] > _RANK[old], words, line)]


def _map_changes(dotted, before, after) -> list[Change]:
    old = {name: (text, origin) for (name, text), origin in before}
    new = {name: (text, origin) for (name, text), origin in after}
    out = []
    for name, (text, origin) in new.items():
        if name not in old:
            out.append(Change(dotted, True, f"variable {name} now set to {text!r} in the sandbox", origin.line))
        elif old[name][0] != text:
            out.append(Change(dotted, True, f"variable {name} changed from {old[name][0]!r} to {text!r}", origin.line))
    for name, (text, origin) in old.items():
        if name not in new:
            out.append(Change(dotted, False, f"variable {name} no longer set", origin.line))
    return out


def _str_change(dotted, table, key, before, after) -> list[Change]:
    old = before[-1][0] if before else None
    new = after[-1][0] if after else None
    if old == new:
        return []
    if new is None:  # the choice falls back to the user's layer or the default backend
        return [Change(dotted, False, f"{key} {table} choice {old!r} removed", before[-1][1].line)]
    was = f" (was {old!r})" if old is not None else ""
    return [Change(dotted, True, f"{key} {table} set to {new!r}{was}", after[-1][1].line)]


def render(changes: list[Change], old_label: str, new_label: str, file: str = "sandbox.toml") -> str:
    if not changes:
        return f"{file}: no policy changes between {old_label} and {new_label}"
    widening = sum(c.widening for c in changes)
    head = (f"{file}: {len(changes)} policy change(s) from {old_label} to {new_label}, "
            f"{widening} widening")
    return "\n".join([head, *("  " + c.describe(file) for c in changes)])


# Where a side of the diff comes from: a commit, the index (what the next commit holds), or the
# working tree (what ``guard run`` reads now).
INDEX, WORKTREE = "index", "working tree"


def read_side(repo, where: str, file: str = "sandbox.toml") -> tuple[Layer, str]:
    """(parsed policy, label) of ``file`` at the top of ``repo`` in ``where``.

    ``where`` is INDEX, WORKTREE, a commit, or the all-zeros name of a missing side.
    """
    from guard.gitguard.gitrepo import is_zero

    if where == WORKTREE:
        label = f"{file} (working tree)"
        try:
            data = (repo.cwd / file).read_bytes()
        except FileNotFoundError:
            data = None
        return parse_side(data, label), "the working tree"
    if where == INDEX:
        return parse_side(repo.blob(f":{file}"), f":{file} (staged)"), "the index"
    if is_zero(where) or not repo.has_commit(where):
        return parse_side(None, f"{where}:{file}"), "nothing" if is_zero(where) else where
    return parse_side(repo.blob(f"{where}:{file}"), f"{where[:12]}:{file}"), where[:12]


def diff_sides(repo, old: str, new: str, file: str = "sandbox.toml") -> tuple[list[Change], str]:
    """The changes from ``old`` to ``new`` and the rendered report."""
    before, old_label = read_side(repo, old, file)
    after, new_label = read_side(repo, new, file)
    changes = diff_layers(before, after)
    return changes, render(changes, old_label, new_label, file)
