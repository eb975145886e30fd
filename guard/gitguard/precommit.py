"""The pre-commit checks: untrusted policy widening, always-protected files, secrets.

Each check reads the index (what the commit will hold, including a partial commit's
temporary index that git names in ``GIT_INDEX_FILE``), reports every problem it finds and
the commit is refused when any check found one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from guard.gitguard.gitrepo import GitRepo
from guard.gitguard.policydiff import INDEX, diff_sides
from guard.gitguard.secrets import known_secrets, scan_diff
from guard.protected import ALWAYS_PROTECTED

POLICY = "sandbox.toml"
# The explicit switch a person sets for one commit; no agent integration ever sets it.
ALLOW_SWITCH = "GUARD_ALLOW_PROTECTED"

Secrets = Callable[[], list[tuple[str, str]]]


def allowed_by_switch() -> bool:
    return os.environ.get(ALLOW_SWITCH) == "1"


def check_policy(repo: GitRepo) -> list[str]:
    """Refuse a staged sandbox.toml that widens the committed one, unless this user trusts it."""
    from guard.policy.trust import TrustStore, content_hash

    changes, report = diff_sides(repo, "HEAD", INDEX, POLICY)
    if not any(c.widening for c in changes):
        return []
    staged = repo.blob(f":{POLICY}")
    if staged is None:
        if allowed_by_switch():
            return []
        return [f"{report}\n  deleting {POLICY} drops its denials; if you mean it, see `guard hook --help`"]
    store = TrustStore()
    policy_file = repo.cwd.resolve() / POLICY
    if store.is_trusted(policy_file, staged) or store.trusts_hash(content_hash(staged)):
        return []  # the user approved exactly this content with `guard trust`
    return [f"{report}\n  the staged {POLICY} widens the sandbox and you have not approved it;\n"
            f"  review the changes above, then run `guard trust` (with the staged content in the "
            f"working tree) and commit again"]


def protected_rules(repo: GitRepo) -> list[tuple[str, str]]:
    """(relative path or name, why): the core list plus what plugins add."""
    from guard.plugins import Plugins
    from guard.policy import load_policy

    rules = list(ALWAYS_PROTECTED.items())
    workspace = repo.cwd.resolve()
    for path, why in Plugins.load().protected_paths(workspace, load_policy(workspace)):
        p = Path(path).expanduser()
        if p.is_absolute():
            try:
                p = p.resolve().relative_to(workspace)
            except ValueError:
                continue  # outside the repository: cannot be staged here
        rules.append((p.as_posix(), why))
    return rules


def protected_match(path: str, rules: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The rule protecting ``path`` (at any depth), compared case-insensitively for the
    file systems where ``.VSCode`` and ``.vscode`` are the same folder."""
    parts = [p.casefold() for p in path.split("/")]
    for name, why in rules:
        want = [p.casefold() for p in name.strip("/").split("/")]
        for start in range(len(parts) - len(want) + 1):
            if parts[start:start + len(want)] == want:
                return name, why
    return None


def check_protected(repo: GitRepo) -> list[str]:
    names = repo.run("diff", "--cached", "--name-only", "-z", "--no-renames", "--no-relative").stdout
    rules = protected_rules(repo)
    problems = []
    for raw in filter(None, names.split(b"\0")):
        path = raw.decode("utf-8", errors="replace")
        if path == POLICY:
            continue  # the root policy is judged by what it changes (check_policy)
        match = protected_match(path, rules)
        if match:
            problems.append(f"{path}: always protected ({match[0]}: {match[1]})")
    if problems and allowed_by_switch():
        print(f"guard: {len(problems)} protected file change(s) allowed by {ALLOW_SWITCH}=1")
        return []
    if problems:
        problems.append("these files are read-only to every sandbox because something outside runs "
                        "or obeys them; if you made this change yourself, see `guard hook --help`")
    return problems


def staged_diff(repo: GitRepo) -> bytes:
    # Fixed prefixes and no drivers: user config cannot rename the paths or run textconv.
    return repo.run("diff", "--cached", "-U0", "--text", "--no-color", "--no-ext-diff", "--no-textconv",
                    "--no-renames", "--no-relative", "--diff-filter=d", "--ignore-submodules",
                    "--src-prefix=a/", "--dst-prefix=b/").stdout


def check_secrets(repo: GitRepo, secrets: Secrets = known_secrets) -> list[str]:
    findings = scan_diff(staged_diff(repo), secrets())
    if not findings:
        return []
    return [f.describe() for f in findings] + [
        "remove the secret from the staged files (and rotate it if it was ever pushed); a "
        "documentation example that only looks like a token can be marked with "
        "'guard:allow-secret' on its line"]


def run(repo: GitRepo, secrets: Secrets = known_secrets) -> int:
    problems = check_policy(repo) + check_protected(repo) + check_secrets(repo, secrets)
    if not problems:
        return 0
    import sys

    print("guard pre-commit: commit refused", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    return 1
