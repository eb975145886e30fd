"""The proxy's git route: ``http://127.0.0.1:PORT/git/HOST/REPO/...`` -> ``https://HOST/REPO/...``.

Git inside the sandbox is pointed here by ``url.<route>.insteadOf`` (guard_bwrap.netboot), with
a credential helper that answers only this session's surrogate. The route is the only place
the real token is used, and it is careful about everything around it:

- only hosts in ``[git] hosts`` (exact, normalized: ``github.com`` is not ``github.com.evil``);
- only the session's surrogate for *that* host, compared in constant time; anything else gets
  401 and a denial in the log, so a surrogate leaked to another host unlocks nothing;
- only the smart-HTTP endpoints (``info/refs?service=...``, ``git-upload-pack``,
  ``git-receive-pack``): no dumb-HTTP file reads, no API calls with the git token;
- pushes are judged by ``guard.broker.pushcheck`` before the server sees a complete request;
- the client's Authorization (and every header not on a short list) is dropped, the real one
  added, and the upstream reached over TLS verified against the system trust store (plus a
  given CA file, for tests), at addresses the egress gate vetted.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import ssl

from guard.broker.hosts import normalize_credential_host
from guard.broker.packwalk import PackCommits, PackError, Source
from guard.broker.pktline import PktError, read_push, refusal, wants_report
from guard.broker.pushcheck import PushRules
from guard.broker.store import StoreLocked, StoreUnavailable
from guard.proxy.forwarding import Framer, Refused, RequestBody, _reply, dial_verified
from guard.proxy.http import BadRequest, absolute_target, body_framing
from guard.proxy.relay import TIMEOUT, within
from guard.proxy.target import canonical_host

PREFIX = "/git/"
SERVICES = ("git-upload-pack", "git-receive-pack")
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
# Headers git needs the server to see; everything else (cookies, other credentials, proxy
# headers, anything a hostile tool adds) stays behind.
FORWARDED = ("Accept", "Accept-Encoding", "Accept-Language", "Content-Encoding", "Content-Type",
             "Git-Protocol", "Pragma", "User-Agent")
REALM = 'Basic realm="guard git route", charset="UTF-8"'


class GitRoute:
    def __init__(self, broker, gate, rules: PushRules, *, cafile: str | None = None,
                 idle_timeout: float = 300.0, connect_timeout: float = 10.0) -> None:
        self.broker, self.gate, self.rules = broker, gate, rules
        self.idle_timeout, self.connect_timeout = idle_timeout, connect_timeout
        self.tls = ssl.create_default_context()  # verified: CERT_REQUIRED, hostname checked
        if cafile:
            self.tls.load_verify_locations(cafile)  # in addition to the system store

    def path_of(self, target: str) -> str | None:
        """The route path when a request target is for this route, else None."""
        if target.startswith(PREFIX):
            return target
        if target[:7].lower() != "http://":
            return None
        try:  # git sent it through http.proxy, in absolute form, to the proxy's own address
            host, port, path = absolute_target(target)
            own = {(canonical_host(h), p) for h, p in self.gate.endpoints}
            if (canonical_host(host), port) in own and path.startswith(PREFIX):
                return path
        except (BadRequest, ValueError):
            pass
        return None

    async def handle(self, head, path: str, reader, writer) -> None:
        host, incoming = "?", None
        try:
            try:
                incoming = RequestBody(reader, body_framing(head))
            except BadRequest as exc:
                raise Refused(exc.status, f"guard: {exc.reason}") from None
            host, repo, service, query = self._parse(head.method, path)
            self._authorize(head, host)
            await self._serve(head, host, repo, service, query, incoming, writer)
        except Refused as exc:
            if exc.log:
                self._log(host, exc.text.splitlines()[0])
            if incoming is not None:  # read the rest, so git sees our answer, not a broken pipe
                try:
                    await within(self.idle_timeout, incoming.discard())
                except (BadRequest, OSError, asyncio.IncompleteReadError, *TIMEOUT):
                    pass
            extra = f"WWW-Authenticate: {REALM}\r\n" if exc.status == 401 else ""
            writer.write(_reply(exc.status, exc.text, extra))
            await writer.drain()

    # -- what is asked ---------------------------------------------------------------------
    def _parse(self, method: str, path: str) -> tuple[str, str, str, str]:
        path, _, query = path.partition("?")
        host_text, _, rest = path[len(PREFIX):].partition("/")
        try:
            host = normalize_credential_host(host_text)
        except ValueError as exc:
            raise Refused(403, f"guard: invalid git host in {path[:100]!r}: {exc}") from None
        if host not in self.broker.hosts:
            raise Refused(403, f"guard: {host} is not in [git] hosts; the broker serves "
                               f"{', '.join(sorted(self.broker.hosts)) or 'no host'}")
        segments = rest.split("/")
        if method == "GET" and segments[-2:] == ["info", "refs"]:
            service = query[len("service="):] if query.startswith("service=") else ""
            if service not in SERVICES:
                raise Refused(403, "guard: only smart HTTP is served (info/refs?service=git-upload-pack"
                                   " or git-receive-pack)")
            repo = segments[:-2]
        elif method == "POST" and segments[-1] in SERVICES and not query:
            service, repo = segments[-1], segments[:-1]
        else:
            raise Refused(403, f"guard: {method} {path[:100]} is not a git smart-HTTP request")
        # Plain segments only: no "..", no percent-escapes, nothing the server could resolve
        # to a path other than the one checked here.
        if not repo or any(not _SEGMENT.fullmatch(s) or s in (".", "..") for s in repo):
            raise Refused(403, f"guard: invalid repository path in {path[:100]!r}")
        if service == "git-receive-pack" and not self.rules.patterns:
            raise Refused(403, "guard: pushing is not allowed from the sandbox ([git] push is empty)")
        return host, "/".join(repo), service, query

    def _log(self, host: str, rule: str) -> None:
        name, _, port = host.partition(":")
        self.gate.refuse(name, int(port or 443), "git", rule)

    def _authorize(self, head, host: str) -> None:
        given = head.values("authorization")
        if not given:  # git's first try carries no credentials; it asks its helper on 401
            raise Refused(401, "guard: credentials required\n", log=False)
        password = None
        if len(given) == 1 and given[0][:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(given[0][6:].strip(), validate=True).decode("utf-8")
                password = decoded.partition(":")[2]
            except (binascii.Error, UnicodeDecodeError):
                password = None
        if not self.broker.surrogates.verify(host, password):
            raise Refused(401, f"guard: the git route for {host} accepts only this session's surrogate "
                               "(use the credential helper guard configured; a token does not work here)")

    # -- forwarding ------------------------------------------------------------------------
    async def _serve(self, head, host, repo, service, query, incoming, writer) -> None:
        body = body_framing(head)
        if head.method == "GET" and (body.chunked or body.length):
            raise Refused(400, "guard: a GET with a body is not a git request")
        if any(v.lower() == "100-continue" for v in head.values("expect")):
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # answered here; never forwarded
        push = None
        if head.method == "POST" and service == "git-receive-pack":
            if any(v.lower() not in ("", "identity") for v in head.values("content-encoding")):
                raise Refused(415, "guard: a compressed push cannot be checked; push without "
                                   "Content-Encoding")
            try:
                push = await within(self.idle_timeout, read_push(incoming.exact))
            except (PktError, BadRequest) as exc:
                raise Refused(400, f"guard: push refused: {exc}") from None
            problems = self.rules.command_problems(push.commands)
            if problems:
                return await self._refuse_push(host, push, problems, incoming, writer)
        token = await self._credential(host)
        up_reader, up_writer = await self._dial(host)
        try:
            up_writer.write(self._upstream_head(head, host, repo, service, query, body, token))
            framer = Framer(up_writer, body.chunked)
            if push is not None:
                framer.write(push.raw)
                problems = await self._forward_pack(push, incoming, framer, up_writer)
                if problems:
                    up_writer.transport.abort()  # the server never gets the pack's checksum
                    return await self._refuse_push(host, push, problems, incoming, writer)
            else:
                while data := await within(self.idle_timeout, incoming.read(65536)):
                    framer.write(data)
                    await up_writer.drain()
            framer.end()
            await up_writer.drain()
            await self._answer(host, up_reader, writer)
        finally:
            up_writer.transport.abort()

    async def _forward_pack(self, push, incoming, framer, up_writer) -> dict[str, str]:
        updates = self.rules.needs_ancestry(push.commands)
        if not updates:
            while data := await within(self.idle_timeout, incoming.read(65536)):
                framer.write(data)
                await up_writer.drain()
            return {}

        async def read(n: int) -> bytes:
            await up_writer.drain()  # backpressure: read no faster than the server takes
            return await within(self.idle_timeout, incoming.read(n))

        commits = PackCommits(push.object_format)
        source = Source(read, framer.write)
        try:
            await commits.scan(source)
        except PackError as exc:
            return {c.ref: f"guard: cannot check this push: {exc}" for c in updates}
        trailer = await source.rest()  # held back until the decision
        problems = self.rules.force_problems(updates, commits)
        if not problems:
            framer.write(trailer)
        return problems

    async def _refuse_push(self, host, push, problems, incoming, writer) -> None:
        for ref, reason in problems.items():
            self._log(host, f"{ref}: {reason}")
        await within(self.idle_timeout, incoming.discard())
        if not wants_report(push):
            raise Refused(403, "\n".join(problems.values()), log=False)
        message = "guard: push refused by the sandbox policy:\n" + "\n".join(
            f"  {ref}: {reason.removeprefix('guard: ')}" for ref, reason in problems.items())
        body = refusal(push, problems, message)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-git-receive-pack-result\r\n"
                     b"Cache-Control: no-cache\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                     % len(body) + body)
        await writer.drain()

    async def _credential(self, host: str) -> str:
        loop = asyncio.get_running_loop()
        try:  # the keyring may block (D-Bus): off the event loop
            found = await loop.run_in_executor(None, self.broker.basic_auth, host)
        except (StoreLocked, StoreUnavailable) as exc:
            raise Refused(502, f"guard: the credential store cannot be read: {exc}") from None
        if found is None:
            raise Refused(502, f"guard: no token is stored for {host}; run `guard creds set {host}` "
                               "outside the sandbox")
        user, secret = found
        return base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")

    async def _dial(self, host: str):
        name, _, port_text = host.partition(":")
        verdict = await self.gate.check(name, int(port_text or 443), "git")
        return await dial_verified(verdict, self.tls, self.connect_timeout)

    @staticmethod
    def _upstream_head(head, host, repo, service, query, body, token) -> bytes:
        target = f"/{repo}/info/refs?{query}" if head.method == "GET" else f"/{repo}/{service}"
        lines = [f"{head.method} {target} HTTP/1.1", f"Host: {host}"]
        for name in FORWARDED:
            lines += [f"{name}: {value}" for value in head.values(name)]
        lines.append(f"Authorization: Basic {token}")
        if body.chunked:
            lines.append("Transfer-Encoding: chunked")
        elif head.method == "POST":
            lines.append(f"Content-Length: {body.length}")
        lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _answer(self, host, up_reader, writer) -> None:
        try:
            first = await within(self.idle_timeout, up_reader.readuntil(b"\r\n\r\n"))
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            raise Refused(502, f"guard: {host} sent no valid HTTP response", log=False) from None
        status = first.split(b" ", 2)[1:2]
        if status == [b"401"]:  # the real token was refused; a 401 would only re-ask the surrogate
            raise Refused(502, f"guard: {host} refused the token stored for it; update it with "
                               f"`guard creds set {host}` outside the sandbox", log=False)
        writer.write(first)
        while data := await within(self.idle_timeout, up_reader.read(65536)):
            writer.write(data)
            await writer.drain()
