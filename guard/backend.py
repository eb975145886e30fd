"""The interface every sandbox backend plugin implements, and the data it receives.

A backend turns a ``LaunchContext`` into a ``LaunchPlan`` (data only: argv, environment,
mounts) and says, before anything runs, whether it can work here and which rules it cannot
enforce. The launcher executes the plan; ``guard explain`` and the tests just read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from guard.launch import LaunchPlan
    from guard.probes import Probes
    from guard.policy import Policy


@dataclass(frozen=True)
class Viability:
    """Whether a backend can run on this machine; when not, why and how to fix it."""

    ok: bool
    reason: str = ""
    fix: str = ""


@dataclass(frozen=True)
class ProtectedPath:
    """A path kept read-only inside the sandbox, and the attack that protecting it stops."""

    path: Path
    why: str


@dataclass(frozen=True)
class DeniedRead:
    path: Path
    why: str


@dataclass(frozen=True)
class LaunchContext:
    policy: Policy
    argv: tuple[str, ...]
    env: dict[str, str]  # already filtered: what may enter the sandbox
    cwd: Path
    protected: tuple[ProtectedPath, ...]
    denied_reads: tuple[DeniedRead, ...]
    writable: tuple[Path, ...]  # workspace first, then allow_write paths
    read_only: tuple[Path, ...]  # deny_write matches inside writable places
    allow_reads: tuple[Path, ...] = ()
    degraded: frozenset[str] = frozenset()  # named degraded modes the user asked for
    network: str = "none"  # "none": no network at all; later "proxy"
    extra: dict = field(default_factory=dict)
    # every filesystem fact the plan depends on goes through here (see guard.probes)
    probes: Probes = field(default_factory=lambda: _new_probes())


def _new_probes():
    from guard.probes import Probes

    return Probes()


class Backend(Protocol):
    name: str
    platforms: tuple[str, ...]  # values of guard.launch.current_platform()
    strength: int  # how much of the contract it keeps; the strongest viable one is the default

    def viability(self) -> Viability:
        """Can this backend run on this machine at all? Cheap; no side effects."""

    def unenforced(self, ctx: LaunchContext) -> list[str]:
        """Rules of ``ctx`` that this backend cannot enforce here (empty when it enforces all)."""

    def plan(self, ctx: LaunchContext) -> LaunchPlan:
        """The launch plan as data. Must not start any process."""
