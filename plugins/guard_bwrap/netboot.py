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


def wrap(argv: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-I", "-S", "-c", CODE, CHANNEL_PLACEHOLDER, str(PROXY_PORT), *argv]


def proxy_env(port: int = PROXY_PORT) -> dict[str, str]:
    """Point every common client at the proxy; local servers inside the sandbox stay direct."""
    http = f"http://127.0.0.1:{port}"
    env = {}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env[name] = http
    env["ALL_PROXY"] = env["all_proxy"] = f"socks5h://127.0.0.1:{port}"
    env["NO_PROXY"] = env["no_proxy"] = "localhost,127.0.0.1,::1"
    env["npm_config_proxy"] = env["npm_config_https_proxy"] = http
    env["PIP_PROXY"] = http
    # git reads config from the environment too; nothing is written to a file it could keep
    env["GIT_CONFIG_COUNT"] = "1"
    env["GIT_CONFIG_KEY_0"] = "http.proxy"
    env["GIT_CONFIG_VALUE_0"] = http
    return env
