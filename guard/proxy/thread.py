"""``ProxyThread``: the proxy server on its own event loop in a background thread.

The launcher stays synchronous: it creates the listening sockets (inside the sandbox's
network namespace), hands them to ``ProxyThread``, starts it, runs the command, and stops it.
``stop`` closes every connection and every socket, including the listening ones.

    proxy = ProxyThread(policy, plugins, [listener], learn=args.learn, command=argv)
    proxy.start()
    try:
        status = run(...)
    finally:
        proxy.stop()
    for domain in proxy.learned():
        print(f'  "{domain}",')
"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Callable

from guard.denials import Denial, DenialLog
from guard.errors import GuardError
from guard.proxy.gate import EgressGate, Resolver
from guard.proxy.server import Limits, ProxyServer


class ProxyThread:
    def __init__(self, policy, plugins, sockets: list[socket.socket], *, learn: bool = False,
                 command: tuple[str, ...] | list[str] = (), limits: Limits | None = None,
                 log: DenialLog | None = None, on_denial: Callable[[Denial], None] | None = None,
                 resolver: Resolver | None = None, broker=None, upstream_cafile: str | None = None,
                 inject_hosts: tuple[str, ...] = (), session_ca=None) -> None:
        """``sockets`` are listening TCP sockets (bound and ``listen()``-ed by the caller);
        the proxy owns them from now on and closes them in ``stop``. ``log`` defaults to the
        user's ``denials.jsonl``; ``on_denial`` is called (in the proxy thread) per denial.
        ``broker`` (a ``CredentialBroker``) turns on the git route; ``upstream_cafile`` adds a
        CA to the trust store the route verifies servers with (the system store stays);
        ``inject_hosts`` with ``session_ca`` (a ``guard.broker.ca.SessionCA``) turn on token
        injection for CONNECTs to those hosts (port 443)."""
        self.limits = limits or Limits()
        self.gate = EgressGate(policy, plugins, learn=learn,
                               log=log if log is not None else DenialLog(),
                               command=tuple(command), on_denial=on_denial, resolver=resolver,
                               resolve_timeout=self.limits.resolve_timeout)
        self.git_route = None
        if broker is not None:  # credential broker: serve the git route ([git] hosts is set)
            from guard.broker.pushcheck import PushRules
            from guard.proxy.gitroute import GitRoute

            self.git_route = GitRoute(broker, self.gate, PushRules.for_policy(policy), cafile=upstream_cafile,
                                      idle_timeout=self.limits.idle_timeout,
                                      connect_timeout=self.limits.connect_timeout)
        self.injector = None
        if broker is not None and inject_hosts:  # opt-in token injection (session_ca: guard.broker.ca)
            from guard.proxy.injection import TokenInjector

            self.injector = TokenInjector(broker, inject_hosts, session_ca, cafile=upstream_cafile,
                                          idle_timeout=self.limits.idle_timeout,
                                          connect_timeout=self.limits.connect_timeout,
                                          head_timeout=self.limits.head_timeout)
        self._sockets = list(sockets)
        self._server: ProxyServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> ProxyThread:
        """Start serving; returns once every socket accepts. Raises GuardError on failure."""
        if self._thread is not None:
            raise RuntimeError("ProxyThread.start() called twice")
        self._thread = threading.Thread(target=self._run, name="guard-proxy", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            raise GuardError(f"the egress proxy could not start: {self._error}")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close every connection and socket and end the thread. Safe to call more than once."""
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            try:
                loop.call_soon_threadsafe(loop.stop)
            except RuntimeError:  # the loop already closed
                pass
            thread.join(timeout)
        for sock in self._sockets:  # never started, or failed: the sockets are still ours
            sock.close()

    def learned(self) -> tuple[str, ...]:
        """Destinations let through only by learning mode, sorted, as ``[network] allow`` values."""
        return self.gate.learned()

    @property
    def endpoints(self) -> tuple[tuple[str, int], ...]:
        return self.gate.endpoints

    @property
    def server(self) -> ProxyServer | None:
        return self._server

    def __enter__(self) -> ProxyThread:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = ProxyServer(self.gate, self.limits, git_route=self.git_route, injector=self.injector)
            loop.run_until_complete(self._server.serve(self._sockets))
        except BaseException as exc:  # noqa: BLE001 - reported to start() in the other thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._server.close())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
