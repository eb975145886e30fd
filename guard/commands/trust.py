"""guard trust: approve the current sandbox.toml content (its hash), so its widening entries apply."""

from __future__ import annotations

import argparse

from guard.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="do not show the entries being approved")


def main(args: argparse.Namespace) -> int:
    from guard.policy import load_policy
    from guard.policy.trust import TrustStore

    policy = load_policy()  # validates first: an invalid file is never trusted
    if policy.repo_file is None:
        raise UsageError(f"no sandbox.toml in {policy.workspace}", hint="create one, then run guard trust")
    data = policy.repo_file.read_bytes()
    if not args.yes:
        for item in policy.withheld:
            print(f"approving: {item.describe()}")
    digest = TrustStore().trust(policy.repo_file, data)
    print(f"trusted {policy.repo_file} (sha256 {digest[:16]}...)")
    return 0
