"""guard doctor [--json]: check this machine (bwrap, user namespaces, AppArmor, Landlock, keyring)."""

from __future__ import annotations

import argparse
import json


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def main(args: argparse.Namespace) -> int:
    from guard.doctor import run_checks
    from guard.plugins import Plugins

    checks, recommended = run_checks(Plugins.load())
    failed = [c for c in checks if not c.ok and c.required]
    if args.json:
        print(json.dumps({"checks": [{"name": c.name, "ok": c.ok, "detail": c.detail, "fix": c.fix}
                                     for c in checks], "recommended_backend": recommended}, indent=2))
        return 1 if failed else 0
    for c in checks:
        mark = "ok  " if c.ok else ("FAIL" if c.required else "warn")
        print(f"[{mark}] {c.name}: {c.detail}")
        if not c.ok and c.fix:
            print(f"       fix: {c.fix}")
    print(f"recommended backend: {recommended or 'none can run here'}")
    return 1 if failed else 0
