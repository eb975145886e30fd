"""guard allow DOMAIN...: add domains to [network] allow in sandbox.toml, layout kept."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("domains", nargs="+", metavar="DOMAIN", help="e.g. pypi.org or *.example.com")


def main(args: argparse.Namespace, to: str = "allow") -> int:
    from pathlib import Path

    from guard import paths
    from guard.policy.edit import edit_domain
    from guard.policy.trust import TrustStore

    file = paths.find_workspace(Path.cwd()) / paths.POLICY_FILENAME
    store = TrustStore()
    was_trusted = file.exists() and store.is_trusted(file, file.read_bytes())
    changes = [c for d in args.domains for c in edit_domain(file, d, to=to)]
    if not changes:
        print(f"{file}: nothing to change")
        return 0
    for change in changes:
        print(f"{file}: {change}")
    if to == "deny" and was_trusted:
        store.trust(file, file.read_bytes())  # a pure tightening keeps the user's approval
        print("the file was trusted before; this tightening keeps it trusted")
    elif to == "allow":
        print("this widens the policy: it applies after you review and run `guard trust`")
    return 0
