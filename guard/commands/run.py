"""guard run [--json-log] [--degraded MODE] -- CMD...: run CMD inside the sandbox."""

from __future__ import annotations

import argparse
import sys

from guard.errors import BackendUnavailable, UsageError


def configure(parser: argparse.ArgumentParser) -> None:
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
    plugins = Plugins.load()
    _backend, _ctx, plan, _env = plan_for(policy, cmd, plugins, degraded=frozenset(args.degraded),
                                          learn=args.learn)
    refused = [rule for rule in plan.unenforced if rule.split(":")[0] not in args.degraded]
    if refused:
        raise BackendUnavailable(
            f"backend {plan.backend!r} cannot enforce here: " + "; ".join(refused),
            hint="use a stronger backend (`guard doctor`), or accept it by name with --degraded MODE",
        )
    proxies = []

    def serve_proxy(listener):
        from guard.proxy.thread import ProxyThread

        proxy = ProxyThread(policy, plugins, [listener], learn=args.learn, command=cmd).start()
        proxies.append(proxy)
        return proxy

    status = execute(plan, serve_proxy if plan.proxy else None)
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
