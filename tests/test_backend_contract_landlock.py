"""The Landlock backend against the backend contract: real runs here (this kernel has Landlock),
with the two degraded modes it must be told about by name."""

from __future__ import annotations

import json
from pathlib import Path

from guard.testing import BackendContract
from guard_landlock import landlock as ll
from guard_landlock.backend import LandlockBackend
from guard_landlock.rules import PathRule, effective


def landlock_rules(plan) -> tuple[dict, list[PathRule]]:
    """The launcher's SPEC and rules, read back from the plan's argv."""
    launcher = next(i for i, a in enumerate(plan.argv) if a.endswith("launch.py"))
    spec = json.loads(plan.argv[launcher + 2])
    end = plan.argv.index("--", launcher + 3)
    return spec, [PathRule.parse(a) for a in plan.argv[launcher + 3:end]]


class TestLandlockContract(BackendContract):
    backend = LandlockBackend()
    can_run_here = LandlockBackend().viability().ok
    # protected paths inside the workspace stay writable; the proxy port is open on every address
    degraded = ("protected-paths", "net-port-only")
    not_kept = frozenset({"protected-paths"})

    def _access(self, plan, path: Path) -> int:
        return effective(landlock_rules(plan)[1], path)

    def plan_allows_write(self, plan, path):
        if path.is_dir():
            return bool(self._access(plan, path) & ll.MAKE_REG)
        if path.exists():
            return bool(self._access(plan, path) & ll.WRITE_FILE)
        return bool(self._access(plan, path.parent) & ll.MAKE_REG)

    def plan_allows_read(self, plan, path):
        return bool(self._access(plan, path / "x" if path.is_dir() else path) & ll.READ_FILE)

    def plan_allows_rename(self, plan, path):
        return bool(self._access(plan, path.parent) & (ll.REMOVE_DIR | ll.REMOVE_FILE))

    def plan_network(self, plan):
        spec, _rules = landlock_rules(plan)
        if not spec["net"] & ll.NET_CONNECT_TCP:
            return "open"
        return "proxy-only" if plan.proxy else "none"
