"""guard allow / deny edit sandbox.toml in place: comments and layout survive."""

from __future__ import annotations

import subprocess
import sys

ORIGINAL = """# team policy: reviewed in PR #12
version = 1

[network]
allow = [
    "pypi.org",   # packages
]
deny = ["gist.github.com"]  # no pastebins

[env]
pass = ["CI"]
"""


def guard(tmp_path, *argv):
    env = {"HOME": str(tmp_path / "home"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "guard", *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True)


def test_allow_keeps_comments_and_says_trust_is_needed(tmp_path):
    file = tmp_path / "sandbox.toml"
    file.write_text(ORIGINAL)
    result = guard(tmp_path, "allow", "files.pythonhosted.org")
    assert result.returncode == 0, result.stderr
    assert "guard trust" in result.stdout
    text = file.read_text()
    assert "# team policy: reviewed in PR #12" in text and "# packages" in text and "# no pastebins" in text
    assert '"files.pythonhosted.org"' in text
    assert guard(tmp_path, "allow", "files.pythonhosted.org").stdout.strip().endswith("nothing to change")


def test_deny_removes_the_allow_and_keeps_a_trusted_file_trusted(tmp_path):
    file = tmp_path / "sandbox.toml"
    file.write_text(ORIGINAL)
    assert guard(tmp_path, "trust").returncode == 0
    assert guard(tmp_path, "deny", "pypi.org").returncode == 0
    text = file.read_text()
    assert '"pypi.org"' in text.split("deny")[1] and "pypi.org" not in text.split("deny")[0].split("allow")[1]
    explain = guard(tmp_path, "explain", "--json")
    import json

    assert json.loads(explain.stdout)["repo_trusted"] is True


def test_invalid_domain_is_refused_and_file_unchanged(tmp_path):
    file = tmp_path / "sandbox.toml"
    file.write_text(ORIGINAL)
    result = guard(tmp_path, "allow", "*.com")
    assert result.returncode == 2 and "top-level" in result.stderr
    assert file.read_text() == ORIGINAL
