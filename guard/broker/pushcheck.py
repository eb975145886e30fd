"""Which ref updates the git route lets a sandboxed push make: ``[git] push`` and friends.

Decided in two steps, because the proxy learns things in order: the commands arrive first
(branch names, deletes: judged before anything reaches the server), the pack afterwards
(fast-forward or forced: judged before the pack's last bytes reach the server).

- only branches (``refs/heads/...``) are pushed; tags and other refs are refused, since
  ``[git] push`` names branches and nothing else;
- the branch must match a ``[git] push`` pattern (fnmatch, ``*`` crosses ``/``), the same
  matching the pre-push hook uses (guard.gitguard.pushrules); an empty list means no push;
- a delete (new id all zeros) needs ``allow_delete``;
- an update of an existing branch must be a provable fast-forward (guard.broker.packwalk)
  unless ``allow_force_push``.
"""

from __future__ import annotations

from dataclasses import dataclass

from guard.broker.packwalk import PackCommits
from guard.broker.pktline import RefCommand
from guard.gitguard.pushrules import matches


@dataclass(frozen=True)
class PushRules:
    patterns: tuple[str, ...] = ()
    allow_delete: bool = False
    allow_force_push: bool = False

    @classmethod
    def for_policy(cls, policy) -> PushRules:
        return cls(tuple(policy.values(policy.git_push)), bool(policy.allow_delete.value),
                   bool(policy.allow_force_push.value))

    def command_problems(self, commands: tuple[RefCommand, ...]) -> dict[str, str]:
        """ref -> why it is refused, for what can be judged from the commands alone."""
        problems = {}
        for command in commands:
            problem = self._command_problem(command)
            if problem:
                problems[command.ref] = problem
        return problems

    def _command_problem(self, command: RefCommand) -> str | None:
        if not command.ref.startswith("refs/heads/"):
            return f"guard: only branches can be pushed from the sandbox, not {command.ref}"
        branch = command.ref[len("refs/heads/"):]
        if not self.patterns:
            return "guard: pushing is not allowed from the sandbox ([git] push is empty)"
        if not matches(branch, list(self.patterns)):
            return f"guard: branch {branch!r} matches no [git] push pattern ({', '.join(self.patterns)})"
        if command.is_delete and not self.allow_delete:
            return f"guard: deleting branch {branch!r} is not allowed ([git] allow_delete = false)"
        return None

    def needs_ancestry(self, commands: tuple[RefCommand, ...]) -> list[RefCommand]:
        """Updates of existing branches whose fast-forward the pack must prove."""
        if self.allow_force_push:
            return []
        return [c for c in commands if not c.is_delete and not c.is_create and c.old != c.new]

    @staticmethod
    def force_problems(updates: list[RefCommand], commits: PackCommits) -> dict[str, str]:
        problems = {}
        for command in updates:
            if not commits.reaches(command.new, command.old):
                branch = command.ref[len("refs/heads/"):]
                problems[command.ref] = (
                    f"guard: {branch!r} would not be a fast-forward of {command.old[:12]}, or guard "
                    "could not prove it from the pushed commits; forced updates are not allowed "
                    "([git] allow_force_push = false)")
        return problems
