"""The pre-push check: remote host, deletes, forced updates and branch rules (``pushrules``)."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

from guard.gitguard.gitrepo import GitRepo
from guard.gitguard.pushrules import ALWAYS_PROTECTED_BRANCHES, RefUpdate, branch_problem, parse_updates
from guard.gitguard.precommit import allowed_by_switch

LOCAL, UNKNOWN = "local", "unknown"
_URL_SCHEMES = {"http", "https", "ssh", "git", "git+ssh", "ssh+git", "ftp", "ftps"}


def remote_host(url: str) -> str:
    """The host a remote URL reaches, LOCAL for a path on this machine, UNKNOWN otherwise.

    UNKNOWN covers remote helpers (``ext::`` runs a command, others speak their own
    protocol): with ``[git] hosts`` set they are refused, since guard cannot tell where
    they send the push.
    """
    from guard.policy.patterns import normalize_host

    if "::" in url.split("/", 1)[0] + "/":
        return UNKNOWN
    if "://" in url:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "file":
            return LOCAL
        if scheme not in _URL_SCHEMES or not parts.hostname:
            return UNKNOWN
        host = parts.hostname
    else:
        head = url.split("/", 1)[0]
        if ":" not in head:  # a path (git's rule: no colon before the first slash)
            return LOCAL
        host = head.split(":", 1)[0].rsplit("@", 1)[-1].strip("[]")
    try:
        return normalize_host(host)
    except ValueError:
        return UNKNOWN


def protected_branches(repo: GitRepo, remote: str) -> tuple[str, ...]:
    """main, master and the remote's default branch as this clone last saw it."""
    names = list(ALWAYS_PROTECTED_BRANCHES)
    if remote and not remote.startswith("-") and "/" not in remote and ":" not in remote:
        result = repo.run("symbolic-ref", "--quiet", f"refs/remotes/{remote}/HEAD", check=False)
        target = result.stdout.decode(errors="replace").strip()
        prefix = f"refs/remotes/{remote}/"
        if result.returncode == 0 and target.startswith(prefix):
            names.append(target[len(prefix):])
    return tuple(names)


def problems(repo: GitRepo, remote: str, url: str, updates: list[RefUpdate], policy) -> list[str]:
    out = []
    hosts = policy.values(policy.git_hosts)
    if hosts:
        host = remote_host(url)
        if host == UNKNOWN:
            out.append(f"remote {remote!r} ({url}): cannot tell which host it reaches; [git] hosts is set")
        elif host != LOCAL and host not in hosts:
            out.append(f"remote {remote!r} reaches host {host!r}, which is not in [git] hosts ({', '.join(hosts)})")
    patterns = policy.values(policy.git_push)
    protected = protected_branches(repo, remote)
    for update in updates:
        ref = update.remote_ref
        if update.is_delete:
            if not policy.allow_delete.value:
                out.append(f"{ref}: deleting a ref is not allowed ([git] allow_delete is false)")
            continue
        if not update.is_new:
            forward = repo.is_ancestor(update.remote_sha, update.local_sha)
            if forward is None and not policy.allow_force_push.value:
                out.append(f"{ref}: cannot prove this is a fast-forward (the remote's commit "
                           f"{update.remote_sha[:12]} is not in this clone; fetch first)")
            elif forward is False and not policy.allow_force_push.value:
                out.append(f"{ref}: forced update (not a fast-forward) is not allowed "
                           f"([git] allow_force_push is false)")
        if update.branch is not None and not allowed_by_switch():
            problem = branch_problem(update.branch, patterns, protected)
            if problem:
                out.append(f"{ref}: {problem}; if you are pushing it yourself, see `guard hook --help`")
    return out


def updates_from_environment(repo: GitRepo) -> list[RefUpdate]:
    """The pre-commit framework passes (the first) update in variables instead of stdin.

    For a branch whose history is new to the remote it sets no FROM/TO refs at all; the
    local branch's commit then stands in, and the update counts as a new ref.
    """
    remote_ref = os.environ.get("PRE_COMMIT_REMOTE_BRANCH")
    if not remote_ref:
        return []
    local_ref = os.environ.get("PRE_COMMIT_LOCAL_BRANCH") or "HEAD"
    to_ref = os.environ.get("PRE_COMMIT_TO_REF") or repo.resolve(local_ref)
    from_ref = os.environ.get("PRE_COMMIT_FROM_REF") or "0" * len(to_ref)
    return [RefUpdate(local_ref, to_ref, remote_ref, from_ref)]


def run(repo: GitRepo, remote: str, url: str, stdin_text: str) -> int:
    from guard.errors import UsageError
    from guard.policy import load_policy

    try:
        updates = parse_updates(stdin_text) or updates_from_environment(repo)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    found = problems(repo, remote, url, updates, load_policy(repo.cwd))
    if not found:
        return 0
    print(f"guard pre-push: push to {remote or url} refused", file=sys.stderr)
    for problem in found:
        print(f"  {problem}", file=sys.stderr)
    return 1
