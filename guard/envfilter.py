"""Which environment variables may enter the sandbox.

By default only a small set of harmless variables passes; ``[env] pass`` adds names and
``[env] set`` sets values. Anything that looks secret is dropped even from the default set,
unless the policy names it explicitly: the peer passes secret variables through, we do not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

# Harmless variables that most tools need. Secret-looking values are still checked below.
DEFAULT_PASS = (
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "COLORTERM", "TERM_PROGRAM",
    "LANG", "LANGUAGE", "LC_*", "TZ", "EDITOR", "VISUAL", "PAGER", "LESS", "NO_COLOR",
    "FORCE_COLOR", "COLUMNS", "LINES", "VIRTUAL_ENV", "CONDA_PREFIX", "PYENV_ROOT",
    "PYENV_VERSION", "GOPATH", "GOROOT", "CARGO_HOME", "RUSTUP_HOME", "JAVA_HOME",
    "NVM_DIR", "DEBIAN_FRONTEND", "CI",
)

# Names that announce a secret. Matched case-insensitively against the whole name.
SECRET_NAMES = (
    "*_TOKEN", "*_TOKEN_*", "TOKEN", "*TOKEN", "*_SECRET*", "SECRET*", "*_KEY", "*_KEY_*",
    "*KEY_ID", "*PASSWORD*", "*PASSPHRASE*", "*PASSWD*", "*_PASS", "*_PWD", "*CREDENTIAL*", "*_AUTH",
    "*AUTH_*", "*_COOKIE*", "*SESSION*", "AWS_*", "GH_*", "GITHUB_*", "GITLAB_*", "NPM_*",
    "PYPI_*", "TWINE_*", "DOCKER_*", "AZURE_*", "GOOGLE_*", "GCLOUD_*", "OPENAI_*",
    "ANTHROPIC_*", "HF_*", "HUGGING*", "SSH_AUTH_SOCK", "SSH_AGENT_PID", "GPG_AGENT_INFO",
    "DBUS_SESSION_BUS_ADDRESS", "GUARD_ALLOW_PROTECTED", "XDG_RUNTIME_DIR", "*_DSN", "DATABASE_URL", "*_URI",
    "KUBECONFIG", "VAULT_*", "SLACK_*", "STRIPE_*", "SENTRY_*", "DIGITALOCEAN_*",
)

# Values that look like private keys or well-known token formats, whatever the name.
_SECRET_VALUE_HINTS = ("-----BEGIN", "_", "AKIA", "ASIA", "sk-", "glpat-", "xox", "AIza", "://")
_SECRET_VALUES = (
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
    r"|\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}"
    r"|\bgithub_pat_[A-Za-z0-9_]{40,}"
    r"|\bglpat-[A-Za-z0-9_-]{20,}"
    r"|\bxox[abposr]-[A-Za-z0-9-]{10,}"
    r"|\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"
    r"|\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}"
    r"|\bnpm_[A-Za-z0-9]{36}"
    r"|\bpypi-[A-Za-z0-9_-]{50,}"
    r"|\bhf_[A-Za-z0-9]{30,}"
    r"|\bAIza[0-9A-Za-z_-]{35}"
    r"|://[^/\s:@]+:[^/\s@]+@"  # a URL with a password in it
    r"|\bguard-surrogate-"
)


@dataclass(frozen=True)
class EnvDecision:
    env: dict[str, str]
    dropped_secret: tuple[str, ...]  # names only; values are never shown
    dropped_unlisted: tuple[str, ...]


def _matches(name: str, pattern: str) -> bool:
    """Shell-style match for patterns with '*' only at the ends (no regex: it is on the hot path)."""
    core = pattern.strip("*")
    if pattern.startswith("*") and pattern.endswith("*") and len(pattern) > 1:
        return core in name
    if pattern.startswith("*"):
        return name.endswith(core)
    if pattern.endswith("*"):
        return name.startswith(core)
    return name == pattern


_value_regex = None


def _value_looks_secret(value: str) -> bool:
    global _value_regex
    if not any(hint in value for hint in _SECRET_VALUE_HINTS):
        return False  # cheap pre-check: most values never pay for the regex
    if _value_regex is None:
        _value_regex = re.compile(_SECRET_VALUES)
    return bool(_value_regex.search(value))


def looks_secret(name: str, value: str) -> bool:
    upper = name.upper()
    return any(_matches(upper, p) for p in SECRET_NAMES) or _value_looks_secret(value)


def filter_env(
    host_env: dict[str, str],
    passed: list[str],
    overrides: dict[str, str],
    plugin_says_secret: Callable[[str, str], bool] = lambda n, v: False,
) -> EnvDecision:
    explicit = set(passed)
    env: dict[str, str] = {}
    secret: list[str] = []
    unlisted: list[str] = []
    for name, value in sorted(host_env.items()):
        if name in explicit:  # named in [env] pass: the (trusted) policy takes responsibility
            env[name] = value
        elif looks_secret(name, value) or plugin_says_secret(name, value):
            secret.append(name)
        elif not any(_matches(name, p) for p in DEFAULT_PASS):
            unlisted.append(name)
        else:
            env[name] = value
    env.update(overrides)
    return EnvDecision(env, tuple(secret), tuple(unlisted))
