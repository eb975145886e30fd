"""What must stay read-only or unreadable inside every sandbox, whatever the policy says.

These lists live in the core, not in a plugin, because a plugin can be disabled and these
must not be: plugins can add to them (``guard_protected_paths``, ``guard_denied_reads``),
never remove.
"""

from __future__ import annotations

# Names protected at every depth of the workspace: something outside the sandbox later
# executes or obeys each of them.
ALWAYS_PROTECTED: dict[str, str] = {
    "sandbox.toml": "the policy itself: a sandboxed edit would widen the next run",
    ".gitmodules": "git outside follows submodule URLs and update commands",
    ".pre-commit-config.yaml": "pre-commit runs the hooks it names on the next commit",
    ".vscode": "tasks with runOn=folderOpen and settings run code when the folder opens",
    ".idea": "IDE run configurations and startup tasks run outside the sandbox",
    ".claude": "agent settings and hooks: a sandboxed edit could switch guard off",
    ".codex": "agent configuration: a sandboxed edit could switch guard off",
    ".gemini": "agent configuration: a sandboxed edit could switch guard off",
    ".mcp.json": "MCP servers are started by the agent outside the sandbox",
    ".envrc": "direnv runs it when someone enters the folder",
}

# Inside a repository's own git dir: what git outside the sandbox executes or obeys.
GIT_DIR_PROTECTED: dict[str, str] = {
    "hooks": "git runs hooks outside the sandbox on the next commit, checkout or push",
    "config": "core.fsmonitor, core.hooksPath, aliases and filters run code outside",
    "config.worktree": "per-worktree config can set the same code-running keys",
    "commondir": "makes git read config and hooks from another folder",
    "info": "info/attributes can route files through filters defined in config",
}

# Names created as read-only placeholders for the run when missing at the workspace root, so
# that the sandbox cannot create them either; each is removed again after the run.
CREATE_PREVENTED_DIRS = (".vscode", ".idea", ".claude", ".codex", ".gemini")
CREATE_PREVENTED_FILES = (".mcp.json", ".envrc", ".pre-commit-config.yaml", ".gitmodules")

# Unreadable inside every sandbox: credentials, keyrings, browser profiles, shell history.
BUILTIN_DENIED_READS: dict[str, str] = {
    "~/.ssh": "SSH private keys and agent sockets",
    "~/.aws": "AWS credentials",
    "~/.azure": "Azure credentials",
    "~/.config/gcloud": "Google Cloud credentials",
    "~/.config/gh": "GitHub CLI token",
    "~/.config/hub": "hub token",
    "~/.netrc": "passwords for any host",
    "~/.git-credentials": "git's plaintext credential store",
    "~/.config/git/credentials": "git's plaintext credential store",
    "~/.docker/config.json": "registry credentials",
    "~/.config/containers/auth.json": "registry credentials",
    "~/.kube": "Kubernetes credentials",
    "~/.gnupg": "GPG private keys and agent sockets",
    "~/.password-store": "pass(1) secrets",
    "~/.local/share/keyrings": "GNOME keyring files",
    "~/.local/share/kwalletd": "KWallet files",
    "~/.npmrc": "npm tokens",
    "~/.pypirc": "PyPI tokens",
    "~/.cargo/credentials": "crates.io token",
    "~/.cargo/credentials.toml": "crates.io token",
    "~/.gem/credentials": "RubyGems token",
    "~/.vault-token": "HashiCorp Vault token",
    "~/.terraform.d/credentials.tfrc.json": "Terraform Cloud token",
    "~/.config/op": "1Password CLI session",
    "~/.m2/settings.xml": "Maven repository passwords",
    "~/.gradle/gradle.properties": "Gradle repository passwords",
    "~/.mozilla": "browser cookies and saved passwords",
    "~/.config/google-chrome": "browser cookies and saved passwords",
    "~/.config/chromium": "browser cookies and saved passwords",
    "~/.bash_history": "shell history often holds pasted secrets",
    "~/.zsh_history": "shell history often holds pasted secrets",
    "~/.python_history": "REPL history often holds pasted secrets",
    "~/.psql_history": "SQL history often holds passwords",
    "~/.mysql_history": "SQL history often holds passwords",
}
