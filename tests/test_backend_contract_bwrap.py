"""The bubblewrap backend against the backend contract (plan level, and real runs here)."""

from __future__ import annotations

from pathlib import Path

from guard.testing import BackendContract
from guard_bwrap.backend import BwrapBackend

WRITABLE = ("bind", "pin")  # tmpfs is writable too, but nothing written there reaches the host
HIDDEN = ("hide-file", "tmpfs-ro", "tmpfs", "dev", "proc")


def _covering(plan, path: Path):
    """The mount that decides ``path``: the last one (in order) at it or at a folder above it."""
    found = None
    for mount in plan.mounts:
        dest = Path(mount.dest)
        if dest == path or dest in path.parents:
            found = mount
    return found


class TestBwrapContract(BackendContract):
    backend = BwrapBackend()
    can_run_here = BwrapBackend().viability().ok

    def plan_allows_write(self, plan, path):
        mount = _covering(plan, path)
        return mount is not None and mount.kind in WRITABLE

    def plan_allows_read(self, plan, path):
        mount = _covering(plan, path)
        return mount is not None and mount.kind not in HIDDEN

    def plan_allows_rename(self, plan, path):
        if any(Path(m.dest) == path for m in plan.mounts):
            return False  # a mount point cannot be renamed (EBUSY)
        return self.plan_allows_write(plan, path.parent)

    def plan_network(self, plan):
        if "--unshare-net" not in plan.argv:
            return "open"
        return "proxy-only" if plan.proxy else "none"
