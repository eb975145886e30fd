"""guard run [--json-log] [--degraded MODE] -- CMD...: run CMD inside the sandbox."""

from __future__ import annotations

import os
import sys

from guard.errors import BackendUnavailable, UsageError


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


def _raise_fd_limit() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, 65536), hard))
        except (ValueError, OSError):
            pass


def _print_denial(denial) -> None:
    """Say every denial on the terminal too: a refused CONNECT or SOCKS reply carries no text."""
    text = f"guard: blocked {denial.host}:{denial.port} ({denial.via}): {denial.rule}"
    if denial.fix:
        text += f"\n  to allow it: {denial.fix}"
    print(text, file=sys.stderr)


def _proxy_server(cmd: list[str], learn: bool, proxies: list, policy=None, plugins=None, broker=None,
                  ca=None):
    def serve_proxy(listener):
        from guard.plugins import Plugins
        from guard.policy import load_policy
        from guard.proxy.thread import ProxyThread

        _raise_fd_limit()  # every tunnel holds two descriptors
        policy_now = policy or load_policy()
        inject = tuple(policy_now.values(policy_now.git_inject)) if ca is not None else ()
        proxy = ProxyThread(policy_now, plugins or Plugins.load(), [listener], learn=learn, command=cmd,
                            on_denial=_print_denial, broker=broker, inject_hosts=inject,
                            session_ca=ca).start()
        proxies.append(proxy)
        return proxy

    return serve_proxy


def _with_broker(plan, policy=None):
    """Credential broker (guard.broker.session): when the plan carries git surrogate
    placeholders, open the store now, before the sandbox starts (a prompt or a locked keyring
    comes first), and fill in this session's surrogates. With token injection, also make the
    session CA and put its certificates (never its key) where the plan mounts them.
    Returns (plan, broker, policy, session_ca)."""
    carriers = [*plan.env.values(), *plan.argv]  # landlock passes its proxy environment in argv
    if not plan.proxy or not any("@guard-git-surrogate:" in v for v in carriers):
        return plan, None, policy, None  # a cheap test: the cached fast path imports nothing more
    from guard.broker.session import fill_surrogates, open_broker
    from guard.policy import load_policy

    policy = policy or load_policy()
    broker = open_broker(policy)
    plan = fill_surrogates(plan, broker)
    ca = None
    if "@guard-ca-bundle@" in plan.argv:
        import atexit
        import shutil
        import tempfile

        from guard.broker.ca import SessionCA

        ca = SessionCA(policy.values(policy.git_inject))
        folder = tempfile.mkdtemp(prefix="guard-ca-")  # 0700, ours; removed when guard exits
        atexit.register(shutil.rmtree, folder, True)
        files = {"@guard-ca-bundle@": ca.bundle(), "@guard-ca-cert@": ca.cert_pem()}
        for token, data in files.items():
            path = os.path.join(folder, token.strip("@") + ".pem")
            with open(path, "wb") as handle:
                handle.write(data)
            plan.argv = [path if a == token else a for a in plan.argv]
    return plan, broker, policy, ca


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

            found = plancache.lookup(cwd)  # under the lock: placeholders cannot vanish meanwhile
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

        plan, broker, policy, ca = _with_broker(plan)
        return execute(plan, _proxy_server(cmd, False, [], policy, broker=broker, ca=ca)
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
    from pathlib import Path

    from guard import paths, plancache
    from guard.launch import plan_for
    from guard.plugins import Plugins
    from guard.policy import load_policy
    from guard.probes import Probes
    from guard.runner import execute

    probes = Probes()  # the policy's sources are recorded before they are read: no race
    plancache.policy_facts(probes, paths.find_workspace(Path.cwd()))
    policy = load_policy()
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
    plan, broker, _, ca = _with_broker(plan, policy)
    status = execute(plan, _proxy_server(cmd, args.learn, proxies, policy, plugins, broker, ca)
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
