"""``guard hooks install [--force]``: git hook shims in this repository's own git dir.

The shims (pre-commit, pre-push, post-checkout, post-merge) go into the hooks folder of the
repository's common git dir, so every worktree shares them, and call ``guard hook NAME``. A
hook already there is kept as ``NAME.pre-guard`` and runs first; running install again is
harmless. guard never points ``core.hooksPath`` anywhere: when it is set, git ignores the
shims, and install says so and exits 1.
"""

from __future__ import annotations

import argparse

from guard.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    sub = parser.add_subparsers(dest="hooks_command", metavar="SUBCOMMAND")
    install = sub.add_parser("install", help="install or update guard's git hooks")
    install.add_argument("--force", action="store_true",
                         help="when NAME and NAME.pre-guard both exist, set NAME aside (kept, not run)")


def main(args: argparse.Namespace) -> int:
    if args.hooks_command != "install":
        raise UsageError("missing subcommand", hint="guard hooks install [--force]")
    import sys

    from guard.gitguard.gitconfig import risky_keys
    from guard.gitguard.gitrepo import GitRepo
    from guard.gitguard.install import install

    repo = GitRepo.discover()
    result = install(repo, force=args.force)
    print(f"guard: hooks in {result.hooks_dir}")
    for action in result.actions:
        print(f"  {action}")
    status = 0
    if result.hooks_path:
        print(f"guard: warning: core.hooksPath is set to {result.hooks_path!r}, so git runs hooks from "
              f"there and not these shims. guard does not write into that folder (it may be shared or "
              f"tracked). To use guard's hooks here: git config --local --unset core.hooksPath "
              f"(or, if it comes from your global config, git config --local core.hooksPath "
              f"{result.hooks_dir})", file=sys.stderr)
        status = 1
    for item in risky_keys(repo):
        print(f"guard: warning: {item.describe()}", file=sys.stderr)
    return status
