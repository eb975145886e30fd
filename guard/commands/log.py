"""``guard log [--follow] [--json]``: the network denials, with the rule and the line that would allow it."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from guard.denials import Denial, DenialLog


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--follow", "-f", action="store_true", help="keep printing new denials as they happen")
    parser.add_argument("--json", action="store_true", help="one JSON object per line, as stored")
    parser.add_argument("-n", "--lines", type=int, default=None, metavar="N",
                        help="only the last N denials (default: all)")


def render(denial: Denial) -> str:
    host = f"[{denial.host}]" if ":" in str(denial.host) else denial.host
    lines = [f"{denial.time}  {host}:{denial.port}  via {denial.via}"
             + (f"  ({' '.join(denial.command)})" if denial.command else ""),
             f"    rule: {denial.rule}"]
    if denial.fix:
        lines.append(f"    to allow it: {denial.fix}")
    return "\n".join(lines)


def _show(denial: Denial, as_json: bool) -> None:
    if as_json:
        print(json.dumps(asdict(denial), ensure_ascii=False), flush=True)
    else:
        print(render(denial), flush=True)


def main(args: argparse.Namespace) -> int:
    log = DenialLog()
    entries, end = log.snapshot()
    if args.lines is not None:
        entries = entries[-args.lines:] if args.lines > 0 else []
    for denial in entries:
        _show(denial, args.json)
    if not entries and not args.follow and not args.json:
        print(f"no denials recorded ({log.file})", file=sys.stderr)
    if args.follow:
        for denial in log.follow(end):  # from exactly where the listing stopped
            _show(denial, args.json)
    return 0
