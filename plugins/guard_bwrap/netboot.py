"""The step that runs inside the sandbox before the command, when the policy allows egress.

It creates the proxy's listening socket inside the sandbox's own network namespace (where the
command can reach it on 127.0.0.1), hands it to guard on the host over an inherited unix
socketpair, waits until the host proxy serves it, then execs the command. One hop, no relay
process, no socat. It uses only the standard library and runs with ``-I -S`` to stay cheap.
"""

from __future__ import annotations

import sys

PROXY_PORT = 3128
CHANNEL_PLACEHOLDER = "@guard-channel-fd@"

CODE = (
    "import os,socket,sys\n"
    "ch=socket.socket(fileno=int(sys.argv[1]))\n"
    "l=socket.socket(socket.AF_INET,socket.SOCK_STREAM)\n"
    "l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
    "l.bind(('127.0.0.1',int(sys.argv[2])));l.listen(512)\n"
    "socket.send_fds(ch,[b'L'],[l.fileno()])\n"
    "ok=ch.recv(1)\n"
    "l.close();ch.close()\n"
    "if ok!=b'G':sys.exit('guard: the egress proxy did not start')\n"
    "os.execvp(sys.argv[3],sys.argv[3:])\n"
)


def interpreter() -> str:
    """The real interpreter behind guard's (a venv's python is only a link to it): the step
    needs nothing but the standard library, and a venv may live where the sandbox cannot see
    (under the host's /tmp, say)."""
    import os

    return os.path.realpath(sys.executable)


def wrap(argv: tuple[str, ...]) -> list[str]:
    return [interpreter(), "-I", "-S", "-c", CODE, CHANNEL_PLACEHOLDER, str(PROXY_PORT), *argv]


CA_BUNDLE_PLACEHOLDER = "@guard-ca-bundle@"  # host file written per session (guard.commands.run)
CA_CERT_PLACEHOLDER = "@guard-ca-cert@"
CA_BUNDLE_INSIDE = "/run/guard/ca-bundle.pem"  # the system CAs plus the session CA
CA_CERT_INSIDE = "/run/guard/session-ca.pem"  # the session CA alone (NODE_EXTRA_CA_CERTS)


def injection_env(hosts) -> dict[str, str]:
    """Trust the session CA inside, and hand out surrogates where tools look for tokens."""
    if not hosts:
        return {}
    env = {name: CA_BUNDLE_INSIDE for name in ("SSL_CERT_FILE", "GIT_SSL_CAINFO", "REQUESTS_CA_BUNDLE",
                                                "CURL_CA_BUNDLE", "PIP_CERT")}
    env["NODE_EXTRA_CA_CERTS"] = CA_CERT_INSIDE
    for host in hosts:
        surrogate = SURROGATE.format(host=host)
        env["GUARD_TOKEN_" + "".join(c if c.isalnum() else "_" for c in host.upper())] = surrogate
        if host == "api.github.com":  # where gh and most GitHub tools look
            env["GH_TOKEN"] = env["GITHUB_TOKEN"] = surrogate
    return env


def no_proxy(allow_local=()) -> str:
    """Loopback stays direct (servers started inside the sandbox), unless ``allow_local``
    names a host loopback service: then that loopback goes through the proxy, which is the
    only way to the host's loopback (the sandbox has its own)."""
    from guard.policy.patterns import parse_local_destination

    keep = {"localhost": True, "127.0.0.1": True, "::1": True}
    for entry in allow_local:
        dest = parse_local_destination(entry)
        if dest.host == "localhost":
            keep["localhost"] = keep["127.0.0.1"] = keep["::1"] = False
        elif dest.network is not None:
            import ipaddress

            if ipaddress.ip_address("127.0.0.1") in dest.network if dest.network.version == 4 \
                    else ipaddress.ip_address("::1") in dest.network:
                keep["localhost"] = False
                keep["127.0.0.1" if dest.network.version == 4 else "::1"] = False
    return ",".join(name for name, kept in keep.items() if kept)


def proxy_env(port: int = PROXY_PORT, git_hosts: tuple[str, ...] | list[str] = (),
              allow_local: tuple[str, ...] | list[str] = ()) -> dict[str, str]:
    """Point every common client at the proxy; local servers inside the sandbox stay direct.

    ``git_hosts`` (``[git] hosts``) also send git's requests for those hosts to the proxy's
    git route, where the credential broker adds the real token (see ``git_config``)."""
    http = f"http://127.0.0.1:{port}"
    env = {}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env[name] = http
    env["ALL_PROXY"] = env["all_proxy"] = f"socks5h://127.0.0.1:{port}"
    env["NO_PROXY"] = env["no_proxy"] = no_proxy(allow_local)
    env["npm_config_proxy"] = env["npm_config_https_proxy"] = http
    env["PIP_PROXY"] = http
    # git reads config from the environment too; nothing is written to a file it could keep
    entries = [("http.proxy", http)] + git_config(port, git_hosts)
    env["GIT_CONFIG_COUNT"] = str(len(entries))
    for n, (key, value) in enumerate(entries):
        env[f"GIT_CONFIG_KEY_{n}"] = key
        env[f"GIT_CONFIG_VALUE_{n}"] = value
    return env


SURROGATE = "@guard-git-surrogate:{host}@"  # filled in per session by guard.broker.session


def git_config(port, hosts) -> list[tuple[str, str]]:
    """git settings that send each host's remotes to the proxy's git route with a surrogate.

    Environment config (GIT_CONFIG_*) is read after every file, so these win over the user's
    and the repository's settings, and they vanish with the process: nothing a later,
    unsandboxed git reads. The surrogate is worthless outside this session's proxy.
    """
    entries = []
    for host in hosts:
        route = f"http://127.0.0.1:{port}/git/{host}"
        # git's URL matching (http.<url>.*, credential.<url>.*) compares the normalized URL, in
        # which a ':' in the path is percent-encoded: a host:port route must be written so.
        match = f"http://127.0.0.1:{port}/git/{host.replace(':', '%3A')}"
        for remote in (f"https://{host}/", f"git@{host}:", f"ssh://git@{host}/"):
            entries.append((f"url.{route}/.insteadOf", remote))
        # Straight to the route, not through http.proxy (which would send it to the same
        # proxy in absolute form; the route accepts both).
        entries.append((f"http.{match}/.proxy", ""))
        # The empty value drops every helper configured before (the user's store, a cache,
        # a repository's own): for the route, only the surrogate is ever offered.
        entries.append((f"credential.{match}.helper", ""))
        surrogate = SURROGATE.format(host=host)
        entries.append((f"credential.{match}.helper",
                        "!f() { if test \"$1\" = get; then echo username=x-access-token; "
                        f"echo password={surrogate}; fi; }}; f"))
    return entries
