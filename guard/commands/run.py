"""guard run [--json-log] [--degraded MODE] -- CMD...: run CMD inside the sandbox."""

from __future__ import annotations

import sys

from guard.errors import BackendUnavailable, UsageError
from guard.proxy.launch import proxy_server, with_broker


def configure(parser) -> None:
    import argparse

    parser.add_argument("--json-log", action="store_true", help="print guard's own messages as JSON lines")
    parser.add_argument("--learn", action="store_true",
                        help="let unlisted public domains through, then print the allow entries needed")
    parser.add_argument("--degraded", action="append", default=[], metavar="MODE",
                        help="accept a named degraded mode the backend reported (repeatable)")
    parser.add_argument("cmd", nargs=argparse.REMAINDER, help="the command, after --")


def warn(message: str, json_log: bool) -> None:
    if json_log:
        import json

        print(json.dumps({"level": "warning", "message": message}), file=sys.stderr)
    else:
        print(f"guard: warning: {message}", file=sys.stderr)


def fast_main(cmd: list[str]) -> int | None:
    """``guard run -- CMD`` from a still-valid cached plan (guard.plancache), or None on a miss."""
    import os

    if os.environ.get("GUARD_NO_PLAN_CACHE"):
        return None
    from pathlib import Path

    from guard import paths
    from guard.session import WorkspaceSession

    cwd = os.getcwd()
    with WorkspaceSession(paths.find_workspace(Path(cwd))) as session:
        try:
            from guard import plancache

            found = plancache.lookup(cwd, session.workspace)  # under the lock: placeholders stay
        except Exception:  # noqa: BLE001 - any doubt about the cache means: plan from scratch
            return None
        if found is None:
            return None
        plan, warnings, facts = found
        session.begin(facts)
        plan.argv = plan.argv + list(cmd)
        for message in warnings:
            warn(message, False)
        from guard.runner import execute

        plan, broker, policy, ca = with_broker(plan)
        return execute(plan, proxy_server(cmd, False, [], policy, broker=broker, ca=ca)
                       if plan.proxy else None, session)


def main(args) -> int:
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        raise UsageError("no command given", hint="guard run -- CMD [ARGS...]")
    from pathlib import Path

    from guard import paths
    from guard.session import WorkspaceSession

    with WorkspaceSession(paths.find_workspace(Path.cwd())) as session:
        return _plan_and_run(args, cmd, session)


def _plan_and_run(args, cmd: list[str], session) -> int:
    from guard import plancache
    from guard.launch import plan_for
    from guard.plugins import Plugins
    from guard.policy import load_policy
    from guard.probes import Probes
    from guard.runner import execute

    probes = Probes()  # the policy's sources are recorded before they are read: no race
    plancache.policy_facts(probes, session.workspace)
    policy = load_policy(session.workspace)  # the workspace this session locked, found once
    warnings = [f"untrusted sandbox.toml: left out {item.describe()}; run `guard trust` to apply it"
                for item in policy.withheld]
    for message in warnings:
        warn(message, args.json_log)
    plugins = Plugins.load()
    _backend, ctx, plan, _env = plan_for(policy, cmd, plugins, degraded=frozenset(args.degraded),
                                         learn=args.learn, probes=probes)
    refused = [rule for rule in plan.unenforced if rule.split(":")[0] not in args.degraded]
    if refused:
        raise BackendUnavailable(
            f"backend {plan.backend!r} cannot enforce here: " + "; ".join(refused)
            + "".join(f"\n  note: {n}" for n in plan.notes),
            hint="use a stronger backend (`guard doctor`), or accept it by name with --degraded MODE",
        )
    session.begin(ctx.probes.facts)
    if not (args.learn or args.degraded or args.json_log):
        plancache.store(plan, ctx, cmd, warnings)
    proxies: list = []
    plan, broker, _, ca = with_broker(plan, policy)
    status = execute(plan, proxy_server(cmd, args.learn, proxies, policy, plugins, broker, ca)
                     if plan.proxy else None, session)
    if args.learn and proxies:
        learned = proxies[0].learned()
        if learned:
            print("guard: this command needed these [network] allow entries:", file=sys.stderr)
            for domain in learned:
                print(f'  "{domain}",', file=sys.stderr)
            print(f"apply them with: guard allow {' '.join(learned)}", file=sys.stderr)
        else:
            print("guard: no unlisted domain was needed", file=sys.stderr)
    return status
