"""Which ref updates a push may make under a policy, decided in one place.

The pre-push hook applies these to every push from the clone, the user's own included: a
hook cannot tell a person from an agent running outside the sandbox, and the team's policy
is meant for both. A person who really means to push a protected branch sets
``GUARD_ALLOW_PROTECTED=1`` for that push (the same switch as for protected files); nothing
lifts the delete, force and host rules except the policy itself.

Branch rules (``refs/heads/*`` only; tags and other refs are judged by delete/force):

- when ``[git] push`` lists patterns, the branch must match one (fnmatch, case-sensitive);
- a protected branch (the remote's default branch, ``main``, ``master``) must be named by a
  pattern even when the list is empty.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from guard.gitguard.gitrepo import is_zero

ALWAYS_PROTECTED_BRANCHES = ("main", "master")


@dataclass(frozen=True)
class RefUpdate:
    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str

    @property
    def is_delete(self) -> bool:
        return is_zero(self.local_sha)

    @property
    def is_new(self) -> bool:
        return is_zero(self.remote_sha)

    @property
    def branch(self) -> str | None:
        return self.remote_ref[len("refs/heads/"):] if self.remote_ref.startswith("refs/heads/") else None


def parse_updates(text: str) -> list[RefUpdate]:
    """The lines git writes on a pre-push hook's stdin; a malformed line is an error."""
    updates = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(" ")
        if len(fields) != 4:
            raise ValueError(f"pre-push input line {number}: expected 4 fields, got {len(fields)}")
        updates.append(RefUpdate(*fields))
    return updates


def matches(branch: str, patterns: list[str]) -> str | None:
    """The first pattern matching ``branch``; ``*`` does not stop at ``/``, as in fnmatch."""
    return next((p for p in patterns if fnmatch.fnmatchcase(branch, p)), None)


def branch_problem(branch: str, patterns: list[str], protected: tuple[str, ...]) -> str | None:
    if matches(branch, patterns):
        return None
    if patterns:
        return f"branch {branch!r} matches no [git] push pattern ({', '.join(patterns)})"
    if branch in protected:
        return f"branch {branch!r} is protected (the default branch) and no [git] push pattern names it"
    return None
