"""``guard hook NAME [ARGS...]``: run one git hook's checks (called by the installed shims).

Hooks: pre-commit (untrusted policy widening, always-protected files, secrets in the staged
diff), pre-push (remote host, deletes, forced updates, branch rules), post-checkout and
post-merge (policy changes, risky git config; never fail), claude-pretool (the Claude Code
integration). The shims pass ``--chain PATH``: the hook that was installed before guard's,
run first with the same arguments and stdin.

Overrides, for a person acting on purpose (no agent integration sets them):
  GUARD_ALLOW_PROTECTED=1  commit changes to always-protected files (agent and editor
                           configs, .pre-commit-config.yaml, ...), delete sandbox.toml, or
                           push a branch that [git] push does not name.
A widening sandbox.toml is never waved through by a variable: approve it with `guard trust`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from guard.errors import UsageError

GIT_HOOKS = ("pre-commit", "pre-push", "post-checkout", "post-merge")
NAMES = (*GIT_HOOKS, "claude-pretool")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--chain", metavar="PATH", help="run this hook first, if it exists and is executable")
    parser.add_argument("name", choices=NAMES, metavar="NAME", help=", ".join(NAMES))
    parser.add_argument("hook_args", nargs=argparse.REMAINDER, metavar="ARGS", help="what git passed")


def run_chained(path: str | None, args: list[str], stdin: bytes | None) -> int:
    """The previously installed hook, run the way git would have run it."""
    if not path or not os.path.isfile(path) or not os.access(path, os.X_OK):
        return 0  # git skips a hook that is not executable; so do we
    if stdin is None:
        return subprocess.run([path, *args], stdin=subprocess.DEVNULL).returncode
    return subprocess.run([path, *args], input=stdin).returncode


def main(args: argparse.Namespace) -> int:
    if args.name == "claude-pretool":
        return _claude_pretool()
    # Only pre-push reads stdin (its ref lines); it is read once and given to both hooks.
    stdin = sys.stdin.buffer.read() if args.name == "pre-push" else None
    status = run_chained(args.chain, args.hook_args, stdin)
    if status != 0 and args.name in ("pre-commit", "pre-push"):
        print(f"guard: the chained {args.name} hook ({args.chain}) failed with status {status}",
              file=sys.stderr)
        return status
    ours = _run_ours(args.name, args.hook_args, stdin)
    return status or ours


def _run_ours(name: str, hook_args: list[str], stdin: bytes | None) -> int:
    from guard.gitguard.gitrepo import GitRepo

    repo = GitRepo.discover()
    if name == "pre-commit":
        from guard.gitguard import precommit

        return precommit.run(repo)
    if name == "pre-push":
        from guard.gitguard import prepush

        remote = hook_args[0] if hook_args else os.environ.get("PRE_COMMIT_REMOTE_NAME", "")
        url = hook_args[1] if len(hook_args) > 1 else os.environ.get("PRE_COMMIT_REMOTE_URL", remote)
        return prepush.run(repo, remote, url, (stdin or b"").decode("utf-8", errors="replace"))
    from guard.gitguard import postcheckout

    if name == "post-checkout":
        old, new = (hook_args + ["", ""])[:2]
        old = old or os.environ.get("PRE_COMMIT_FROM_REF", "")
        new = new or os.environ.get("PRE_COMMIT_TO_REF", "")
        if not (old and new):
            raise UsageError("post-checkout needs the previous and the new HEAD")
        return postcheckout.run(repo, old, new)
    # post-merge: git passes only the squash flag; the merge moved HEAD from ORIG_HEAD.
    old = repo.run("rev-parse", "--verify", "--quiet", "ORIG_HEAD", check=False).stdout.decode().strip()
    new = repo.run("rev-parse", "--verify", "--quiet", "HEAD", check=False).stdout.decode().strip()
    return postcheckout.run(repo, old or new, new)


def _claude_pretool() -> int:
    """Agents run the tool call on any failure status other than 2: every failure here is 2."""
    try:
        from guard.integrations.claude_pretool import main as pretool

        return pretool(sys.stdin, sys.stdout, sys.stderr)
    except Exception as exc:  # noqa: BLE001 - fail closed: block the tool call, say why
        print(f"guard: the agent hook failed, so the tool call is blocked: {exc}", file=sys.stderr)
        return 2
