"""Find secrets in the lines a commit adds, without ever printing one.

Three kinds of evidence, strongest first:

- the exact values held in the credential store (``known_secrets``): reported as "matches the
  stored token for HOST", never shown;
- the broker's surrogates (``guard-surrogate-...``): useless outside the proxy, but their
  presence means something copied broker output into the repository;
- private-key blocks and token formats whose prefixes are distinctive enough that a match is
  almost never an accident (``ghp_``, ``glpat-``, ``AKIA``...). Only these pattern findings can
  be waved through, by writing ``guard:allow-secret`` on the same line (for documentation
  examples); a stored token or a private key cannot.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Callable, Iterable

ALLOW_MARKER = "guard:allow-secret"
# Shorter stored values would match ordinary text; they are counted and named, not searched.
MIN_KNOWN_LENGTH = 8


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    what: str  # never contains the secret itself

    def describe(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


# (name, pattern). Each pattern needs a distinctive prefix and a minimum length so that
# identifiers such as "sk-learn" or "npm_config" do not match.
TOKEN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern)) for name, pattern in (
        ("GitHub token (ghp_/gho_/ghu_/ghs_/ghr_)", r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"),
        ("GitHub fine-grained token (github_pat_)", r"\bgithub_pat_[A-Za-z0-9_]{60,255}\b"),
        ("GitLab token (glpat-)", r"\bglpat-[A-Za-z0-9_-]{20,}"),
        ("Slack token (xox?-)", r"\bxox[abposr]-[A-Za-z0-9-]{20,}"),
        ("Slack webhook URL", r"https://hooks\.slack\.com/services/T[A-Za-z0-9]+/B[A-Za-z0-9]+/[A-Za-z0-9]{16,}"),
        # AWS documents AKIAIOSFODNN7EXAMPLE; anything ending in EXAMPLE is left alone.
        ("AWS access key id (AKIA/ASIA)", r"\b(?:AKIA|ASIA)(?![0-9A-Z]{9}EXAMPLE)[0-9A-Z]{16}\b"),
        ("OpenAI/Anthropic-style API key (sk-)", r"\bsk-(?:proj-|ant-[a-z0-9]+-|svcacct-|admin-)?(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{32,}"),
        ("Stripe secret key (sk_live_/rk_live_)", r"\b[rs]k_live_[A-Za-z0-9]{24,}"),
        ("npm token (npm_)", r"\bnpm_[A-Za-z0-9]{36}\b"),
        ("PyPI token (pypi-)", r"\bpypi-AgE[A-Za-z0-9_-]{50,}"),
        ("Google API key (AIza)", r"\bAIza[0-9A-Za-z_-]{35}\b"),
        ("Hugging Face token (hf_)", r"\bhf_[A-Za-z]{34,}\b"),
    )
)
PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
SURROGATE = re.compile(r"guard-surrogate-[A-Za-z0-9_.-]{8,}")


def known_secrets(warn: Callable[[str], None] | None = None) -> list[tuple[str, str]]:
    """(host, secret) for every credential in the user's store (``guard creds``).

    No broker installed, or no usable store on this machine (no keyring backend at all): a
    notice and []; nothing can have been stored there. A locked store raises (``StoreLocked``):
    tokens may well be in it, so the caller refuses rather than skip the search.
    """
    warn = warn or (lambda text: print(text, file=sys.stderr))
    try:
        from guard.broker.store import StoreUnavailable, open_store
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("guard.broker"):
            raise
        warn("guard: notice: no credential broker in this guard; stored tokens are not searched for")
        return []
    try:
        store = open_store()
        pairs = []
        for host in store.hosts():
            credential = store.get(host)
            if credential is not None:
                pairs.append((host, credential.secret))
        return pairs
    except StoreUnavailable as exc:
        warn(f"guard: notice: no usable credential store ({exc}); stored tokens are not searched for")
        return []


def scan_line(path: str, number: int, line: str, known: Iterable[tuple[str, str]]) -> list[Finding]:
    found = [Finding(path, number, f"matches the stored token for {host}")
             for host, secret in known if len(secret) >= MIN_KNOWN_LENGTH and secret in line]
    if PRIVATE_KEY.search(line):
        found.append(Finding(path, number, "private key block"))
    if ALLOW_MARKER in line:
        return found
    if SURROGATE.search(line):
        found.append(Finding(path, number, "a guard broker surrogate (guard-surrogate-...)"))
    for name, pattern in TOKEN_PATTERNS:
        if pattern.search(line):
            found.append(Finding(path, number, f"looks like a {name}"))
    return found


def added_lines(diff: bytes) -> Iterable[tuple[str, int, str]]:
    """(path, line number in the new file, text) for each line a ``git diff -U0`` adds.

    File headers are read only between ``diff --git`` and the first hunk, so an added line
    whose text starts with "++ " cannot pose as a header and hide the lines after it.
    """
    path, number, in_header = "", 0, False
    for raw in diff.split(b"\n"):
        if raw.startswith(b"diff --git "):
            path, in_header = "", True
        elif in_header and raw.startswith(b"+++ "):
            name = raw[4:].rstrip(b"\t")
            path = "" if name == b"/dev/null" else _unquote(name)[2:]  # drop "b/"
        elif raw.startswith(b"@@ ") and path:
            in_header = False
            match = re.match(rb"@@ -\S+ \+(\d+)", raw)
            number = int(match.group(1)) if match else 0
        elif not in_header and raw.startswith(b"+") and path:
            yield path, number, raw[1:].decode("utf-8", errors="replace")
            number += 1


_ESCAPES = {ord("a"): 7, ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("v"): 11, ord("f"): 12,
            ord("r"): 13, ord('"'): 34, ord("\\"): 92}


def _unquote(raw: bytes) -> str:
    """git's C-style quoting of unusual file names (``"b/tab\\there"``, octal bytes)."""
    if not (len(raw) >= 2 and raw.startswith(b'"') and raw.endswith(b'"')):
        return raw.decode("utf-8", errors="replace")
    out, i, end = bytearray(), 1, len(raw) - 1
    while i < end:
        if raw[i] == 92 and i + 1 < end:
            octal = raw[i + 1:i + 4]
            if len(octal) == 3 and all(48 <= c <= 55 for c in octal):
                out.append(int(octal, 8))
                i += 4
                continue
            out.append(_ESCAPES.get(raw[i + 1], raw[i + 1]))
            i += 2
            continue
        out.append(raw[i])
        i += 1
    return out.decode("utf-8", errors="replace")


def scan_diff(diff: bytes, known: list[tuple[str, str]]) -> list[Finding]:
    return [f for path, number, line in added_lines(diff) for f in scan_line(path, number, line, known)]
