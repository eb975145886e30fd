"""``guard policy diff [REV..REV]``: how sandbox.toml changed, each change WIDENING or tightening.

Sides (the policy file at the top of the git working tree):

- no revision: HEAD against the working tree, the file ``guard run`` reads now;
- ``--cached``: HEAD against the index, what the next commit holds (what pre-commit checks);
- ``REV``: REV against the working tree (or the index with ``--cached``);
- ``A..B``: commit A against commit B; an empty side means HEAD, as in git.

A side where the file does not exist is an empty policy. Exit status: 0 when nothing widens,
1 when at least one change widens (so scripts and CI can gate on it), 2 for a bad revision or
an invalid policy on either side.
"""

from __future__ import annotations

import argparse

from guard.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="policy_command", metavar="SUBCOMMAND")
    diff = sub.add_parser("diff", help="show how sandbox.toml changed, in words",
                          description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    diff.add_argument("range", nargs="?", metavar="REV..REV", help="commits to compare (default: HEAD)")
    diff.add_argument("--cached", "--staged", action="store_true",
                      help="compare with the index instead of the working tree")


def sides(repo, spec: str | None, cached: bool) -> tuple[str, str]:
    from guard.gitguard.policydiff import INDEX, WORKTREE

    here = INDEX if cached else WORKTREE
    if not spec:
        return "HEAD", here
    if ".." in spec:
        if "..." in spec:
            raise UsageError(f"'{spec}': use A..B (two dots); merge-base ranges are not supported")
        if cached:
            raise UsageError("--cached compares with the index; give one revision, not a range")
        old, new = spec.split("..", 1)
        return repo.resolve(old or "HEAD"), repo.resolve(new or "HEAD")
    return repo.resolve(spec), here


def main(args: argparse.Namespace) -> int:
    if args.policy_command != "diff":
        raise UsageError("missing subcommand", hint="guard policy diff [REV..REV]")
    from guard.gitguard.gitrepo import GitRepo
    from guard.gitguard.policydiff import diff_sides

    repo = GitRepo.discover()
    old, new = sides(repo, args.range, args.cached)
    changes, report = diff_sides(repo, old, new)
    print(report)
    return 1 if any(c.widening for c in changes) else 0
