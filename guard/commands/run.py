"""guard run [--json-log] [--degraded MODE] -- CMD...: run CMD inside the sandbox."""

from __future__ import annotations

import argparse
import sys

from guard.errors import BackendUnavailable, UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json-log", action="store_true", help="print guard's own messages as JSON lines")
    parser.add_argument("--degraded", action="append", default=[], metavar="MODE",
                        help="accept a named degraded mode the backend reported (repeatable)")
    parser.add_argument("cmd", nargs=argparse.REMAINDER, help="the command, after --")


def warn(message: str, json_log: bool) -> None:
    if json_log:
        import json

        print(json.dumps({"level": "warning", "message": message}), file=sys.stderr)
    else:
        print(f"guard: warning: {message}", file=sys.stderr)


def main(args: argparse.Namespace) -> int:
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        raise UsageError("no command given", hint="guard run -- CMD [ARGS...]")
    from guard.launch import plan_for
    from guard.plugins import Plugins
    from guard.policy import load_policy
    from guard.runner import execute

    policy = load_policy()
    for item in policy.withheld:
        warn(f"untrusted sandbox.toml: left out {item.describe()}; run `guard trust` to apply it",
             args.json_log)
    _backend, _ctx, plan, _env = plan_for(policy, cmd, Plugins.load(), degraded=frozenset(args.degraded))
    refused = [rule for rule in plan.unenforced if rule.split(":")[0] not in args.degraded]
    if refused:
        raise BackendUnavailable(
            f"backend {plan.backend!r} cannot enforce here: " + "; ".join(refused),
            hint="use a stronger backend (`guard doctor`), or accept it by name with --degraded MODE",
        )
    return execute(plan)
