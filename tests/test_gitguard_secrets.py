"""Secret detection in staged diffs: formats, false positives, diff parsing, the stored tokens.

Token-shaped strings are built by concatenation so that this file itself does not look like
it holds secrets.
"""

from __future__ import annotations

import pytest

from guard.gitguard import precommit
from guard.gitguard.secrets import added_lines, known_secrets, scan_diff, scan_line
from test_gitguard_fixtures import env  # noqa: F401

TOKENS = {
    "GitHub token": "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5",
    "GitHub fine-grained": "github_pat_" + "11ABCDEFG0" * 7,
    "GitLab": "glpat-" + "xY9-zW8_vU7tS6rQ5pO4",
    "Slack token": "xoxb-" + "1234567890-1234567890123-AbCdEfGhIjKlMnOp",
    "AWS access key": "AKIA" + "Z7Q4LMN2PRS8TUV3",
    "OpenAI/Anthropic": "sk-" + "proj-" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv",
    "Anthropic": "sk-" + "ant-api03-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDc",
    "npm token": "npm_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    "Google API key": "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    "PyPI": "pypi-" + "AgEIcHlwaS5vcmc" + "A" * 60,
    "Stripe": "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "broker surrogate": "guard-" + "surrogate-" + "k2J9xQ0vM3nB7cL1",
}
HARMLESS = [
    "pip install scikit-learn sk-learn",
    "export npm_config_cache=/tmp/npm",
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",  # AWS's documented example
    "tokens start with ghp_ or glpat- or xoxb-",
    "PREFIX = 'guard-surrogate-'",
    "sk-" + "a" * 40,  # no digit: a separator line, not a key
    "ghp_" + "short",
    "-----BEGIN PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----",
]


@pytest.mark.parametrize("kind, token", TOKENS.items())
def test_token_formats_are_found_and_never_echoed(kind, token):
    [finding] = scan_line("f.py", 7, f'value = "{token}"', [])
    assert finding.describe().startswith("f.py:7: ")
    assert token not in finding.describe()


@pytest.mark.parametrize("line", HARMLESS)
def test_ordinary_text_is_not_a_secret(line):
    assert scan_line("f.py", 1, line, []) == []


@pytest.mark.parametrize("header", ["RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED ", "", "PGP "])
def test_private_key_blocks_are_found(header):
    suffix = " BLOCK" if header == "PGP " else ""
    line = f"-----BEGIN {header}PRIVATE KEY{suffix}-----"
    assert [f.what for f in scan_line("k", 1, line, [])] == ["private key block"]


def test_stored_secret_is_reported_by_host_and_short_values_are_not_searched():
    found = scan_line("a.txt", 3, "x = hunter2-but-longer y", [("git.example.com", "hunter2-but-longer"),
                                                               ("short.example", "abc")])
    assert [f.describe() for f in found] == ["a.txt:3: matches the stored token for git.example.com"]


def test_added_lines_follow_files_hunks_and_quoted_names():
    diff = (b'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,0 +5,2 @@\n+one\n+two\n'
            b'@@ -9 +12 @@\n-old\n+three\n'
            b'diff --git "a/t\\tab" "b/t\\tab"\nnew file mode 100644\n--- /dev/null\n+++ "b/t\\tab"\n'
            b'@@ -0,0 +1 @@\n+\\303\\251\n'
            b'diff --git a/gone b/gone\ndeleted file mode 100644\n--- a/gone\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n')
    assert list(added_lines(diff)) == [("x", 5, "one"), ("x", 6, "two"), ("x", 12, "three"),
                                       ("t\tab", 1, "\\303\\251")]


def test_an_added_line_starting_with_plus_plus_cannot_hide_the_next_lines():
    token = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
    diff = (b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -0,0 +1,2 @@\n+++ b/decoy\n+"
            + token.encode() + b"\n")
    assert [f.describe() for f in scan_diff(diff, [])] == ["x:2: looks like a GitHub token (ghp_/gho_/ghu_/ghs_/ghr_)"]


def test_known_secrets_reads_every_host_of_the_store(env, monkeypatch):
    import keyring

    from guard.broker.keyring_store import KeyringStore
    from guard.broker.store import Credential
    from keyring_fixtures import MemoryKeyring

    backend = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    KeyringStore(backend).set(Credential("github.com", "tok-" + "1" * 20))
    KeyringStore(backend).set(Credential("gitlab.example", "tok-" + "2" * 20))
    assert sorted(known_secrets()) == [("github.com", "tok-" + "1" * 20), ("gitlab.example", "tok-" + "2" * 20)]

    backend.locked = True  # a locked keyring may hold tokens: refuse rather than skip
    from guard.broker.store import StoreLocked

    with pytest.raises(StoreLocked):
        known_secrets()


def test_no_usable_store_is_a_notice_not_a_failure(env, monkeypatch):
    import keyring
    import keyring.backends.fail

    # PYTHON_KEYRING_BACKEND only decides keyring's first choice in this process; another test
    # may have chosen already, so select the fail backend explicitly (monkeypatch restores it).
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.backends.fail.Keyring())
    notices = []
    assert known_secrets(notices.append) == []
    assert "stored tokens are not searched for" in notices[0]


def test_protected_match_is_case_insensitive_and_works_at_depth():
    rules = [(".vscode", "why"), (".git/hooks", "why")]
    assert precommit.protected_match("a/b/.VSCode/tasks.json", rules)
    assert precommit.protected_match("x/.git/hooks/pre-commit", rules)
    assert precommit.protected_match("my.vscode/tasks.json", rules) is None
    assert precommit.protected_match(".git/hooksx", rules) is None
