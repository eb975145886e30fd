"""`guard editor NAME [--check]`: generate or check the editor integration files of this repository.

The generators come from plugins (hook ``guard_integrations``); the builtins are vscode, nvim.
See guard/integrations/ for what each writes and why.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="vscode, nvim (or one a plugin adds)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; print the diff and exit 1 when the files differ")
    parser.add_argument("--list-json", action="store_true",
                        help="print the tasks guard knows as JSON (used by the VS Code extension)")


def main(args: argparse.Namespace) -> int:
    from guard.integrations.runner import run
    from guard.paths import find_workspace

    return run("editor", args.name, find_workspace(Path.cwd()), check=args.check,
               list_json=getattr(args, "list_json", False))
