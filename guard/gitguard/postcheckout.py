"""After checkout and merge: say when sandbox.toml changed, and warn about risky git config.

These hooks cannot stop anything (git has already moved HEAD), and git makes a failing
post-checkout hook the exit status of ``git checkout``; so they report loudly and exit 0.
"""

from __future__ import annotations

import sys

from guard.errors import GuardError
from guard.gitguard.gitconfig import risky_keys
from guard.gitguard.gitrepo import GitRepo, is_zero
from guard.gitguard.policydiff import diff_sides

POLICY = "sandbox.toml"


def report_policy_change(repo: GitRepo, old: str, new: str) -> None:
    if old == new:
        return
    before = None if is_zero(old) else repo.blob(f"{old}:{POLICY}")
    after = repo.blob(f"{new}:{POLICY}")
    if before == after:
        return
    changes, report = diff_sides(repo, old, new, POLICY)
    print(f"guard: {POLICY} changed", file=sys.stderr)
    print(report, file=sys.stderr)
    if after is not None and any(c.widening for c in changes):
        from guard.policy.trust import TrustStore

        if not TrustStore().is_trusted(repo.cwd.resolve() / POLICY, after):
            print(f"guard: the new {POLICY} is not trusted: `guard run` leaves its widening entries "
                  f"out until you review it and run `guard trust`", file=sys.stderr)


def report_risky_config(repo: GitRepo) -> None:
    found = risky_keys(repo)
    if not found:
        return
    print("guard: warning: this repository's git config can run programs:", file=sys.stderr)
    for item in found:
        print(f"  {item.describe()}", file=sys.stderr)
    print("  if you did not set these yourself, inspect them with `git config --local --list` "
          "and remove them with `git config --local --unset KEY`", file=sys.stderr)


def run(repo: GitRepo, old: str, new: str) -> int:
    for step in (lambda: report_policy_change(repo, old, new), lambda: report_risky_config(repo)):
        try:
            step()
        except GuardError as exc:  # report, but never turn a finished checkout into a failure
            print(exc.render(), file=sys.stderr)
    return 0
