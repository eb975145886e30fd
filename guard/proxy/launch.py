"""The network side of one ``guard run``: the credential broker, opened before the command
starts, and the egress proxy, served on the listener the sandbox hands over.

Nothing here is imported by the proxy's own modules at load time: asyncio, keyring and
cryptography load only when a run actually has a network side.
"""

from __future__ import annotations

import os
import sys


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


def proxy_server(cmd: list[str], learn: bool, proxies: list, policy=None, plugins=None, broker=None,
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


def with_broker(plan, policy=None):
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
