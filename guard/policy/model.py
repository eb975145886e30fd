"""The frozen, typed policy that every later stage reads.

Every rule keeps its origin (layer, file, line, column) so that ``guard explain`` can say
where it came from and a denial can point at the line that would change it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Layers, in the order they are applied.
BUILTIN, MANAGED, USER, REPO = "builtin", "managed", "user", "repo"
LAYERS = (BUILTIN, MANAGED, USER, REPO)


@dataclass(frozen=True)
class Origin:
    layer: str
    file: str | None = None
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.file is None:
            return self.layer
        return f"{self.layer} ({self.file}:{self.line}:{self.col})"


@dataclass(frozen=True)
class Rule:
    """One entry of a list setting, e.g. one domain in ``[network] allow``."""

    value: str
    origin: Origin


@dataclass(frozen=True)
class Setting:
    """One scalar setting, e.g. ``[git] allow_force_push``, with the layer that decided it."""

    value: object
    origin: Origin


@dataclass(frozen=True)
class Withheld:
    """A widening entry of an untrusted repository policy, left out of the effective policy."""

    key: str  # dotted, e.g. "network.allow"
    value: object
    origin: Origin

    def describe(self) -> str:
        return f"{self.key} = {self.value!r} ({self.origin.file}:{self.origin.line})"


@dataclass(frozen=True)
class Policy:
    workspace: Path
    allow_write: tuple[Rule, ...] = ()
    deny_write: tuple[Rule, ...] = ()
    deny_read: tuple[Rule, ...] = ()
    allow_read: tuple[Rule, ...] = ()
    net_allow: tuple[Rule, ...] = ()
    net_deny: tuple[Rule, ...] = ()
    allow_local: tuple[Rule, ...] = ()
    git_hosts: tuple[Rule, ...] = ()
    git_push: tuple[Rule, ...] = ()
    git_inject: tuple[Rule, ...] = ()
    allow_force_push: Setting = Setting(False, Origin(BUILTIN))
    allow_delete: Setting = Setting(False, Origin(BUILTIN))
    env_pass: tuple[Rule, ...] = ()
    env_set: tuple[tuple[str, Rule], ...] = ()
    backend: tuple[tuple[str, Rule], ...] = ()  # (platform, backend name)
    repo_file: Path | None = None
    repo_trusted: bool = False
    withheld: tuple[Withheld, ...] = ()
    layer_files: tuple[tuple[str, str], ...] = field(default=())  # (layer, path) actually read

    def backend_for(self, platform: str) -> Rule | None:
        for name, rule in reversed(self.backend):
            if name == platform:
                return rule
        return None

    def env_overrides(self) -> dict[str, str]:
        return {name: rule.value for name, rule in self.env_set}

    @staticmethod
    def values(rules: tuple[Rule, ...]) -> list[str]:
        return [rule.value for rule in rules]
