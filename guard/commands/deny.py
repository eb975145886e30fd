"""guard deny DOMAIN...: add domains to [network] deny in sandbox.toml (deny wins over allow)."""

from __future__ import annotations

import argparse

from guard.commands import allow


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("domains", nargs="+", metavar="DOMAIN", help="e.g. gist.github.com")


def main(args: argparse.Namespace) -> int:
    return allow.main(args, to="deny")
