"""guard untrust: revoke the approval of sandbox.toml; its widening entries stop applying."""

from __future__ import annotations

import argparse
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    pass


def main(args: argparse.Namespace) -> int:
    from guard import paths
    from guard.policy.trust import TrustStore

    policy_file = paths.find_workspace(Path.cwd()) / paths.POLICY_FILENAME
    if TrustStore().untrust(policy_file):
        print(f"no longer trusted: {policy_file}")
    else:
        print(f"was not trusted: {policy_file}")
    return 0
