"""The Seatbelt backend against the backend contract: plan level here (its profile evaluated
rule by rule by the SBPL reader in test_seatbelt_profile.py); real runs on a Mac."""

from __future__ import annotations

from guard.testing import BackendContract
from guard_seatbelt.backend import SeatbeltBackend
from test_seatbelt_profile import profile_of

WRITES = ("file-write-data", "file-write-create")


class TestSeatbeltContract(BackendContract):
    backend = SeatbeltBackend()
    can_run_here = SeatbeltBackend().viability().ok

    def plan_allows_write(self, plan, path):
        prof = profile_of(plan)
        return any(prof.allows(op, path=str(p)) for op in WRITES for p in (path, path / "new-entry"))

    def plan_allows_read(self, plan, path):
        return profile_of(plan).allows("file-read-data", path=str(path))

    def plan_allows_rename(self, plan, path):
        return profile_of(plan).allows("file-write-unlink", path=str(path))

    def plan_network(self, plan):
        prof = profile_of(plan)
        allowed = [f for a, ops, filters, _m in prof.rules if a == "allow"
                   and any(o.startswith("network") for o in ops) for f in (filters or [["any"]])]
        if not allowed:
            return "none"
        if all(f[:2] == ["remote", "ip"] and f[2].startswith("localhost:") for f in allowed):
            return "proxy-only"
        return "open"
