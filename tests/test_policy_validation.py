"""A broken sandbox.toml is refused with FILE:LINE:COL and exit 2; nothing runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from guard.errors import PolicyError
from guard.policy.layer import parse_layer


def refuse(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        parse_layer(text, "sandbox.toml", "repo")
    return info.value


@pytest.mark.parametrize("text, line, needle", [
    ("[network]\nallow = []\n", 1, "missing 'version"),
    ("version = 2\n", 1, "newer than this guard"),
    ("version = '1'\n", 1, "must be an integer"),
    ("version = 1\n[network]\nallow = ['*']\n", 3, "wildcards"),
    ("version = 1\n[network]\nallow = ['*.com']\n", 3, "top-level"),
    ("version = 1\n[network]\nallow = ['a.*.com']\n", 3, "wildcards"),
    ("version = 1\n[network]\nallow = ['example.com:70000']\n", 3, "out of range"),
    ("version = 1\n[network]\nallow = ['example.com:0']\n", 3, "out of range"),
    ("version = 1\n[network]\nallow = ['::1']\n", 3, "need brackets"),
    ("version = 1\n[network]\nallow = ['[fe80::1%eth0]']\n", 3, "zone ids"),
    ("version = 1\n[network]\nallow_local = ['127.0.0.1']\n", 3, "host:port or a CIDR"),
    ("version = 1\n[network]\nallow = ['https://example.com/']\n", 3, "not a URL"),
    ("version = 1\n[network]\nalow = ['example.com']\n", 3, "unknown key 'alow'"),
    ("version = 1\n[netwrk]\nallow = []\n", 2, "unknown table"),
    ("version = 1\n[filesystem]\ndeny_write = 'data'\n", 3, "must be an array"),
    ("version = 1\n[filesystem]\ndeny_write = ['data/[raw']\n", 3, "unclosed"),
    ("version = 1\n[filesystem]\ndeny_write = ['data/ra**w']\n", 3, "whole path component"),
    ("version = 1\n[git]\nallow_delete = 'yes'\n", 3, "true or false"),
    ("version = 1\n[git]\npush = ['main..x']\n", 3, "invalid branch"),
    ("version = 1\n[env]\npass = ['BAD-NAME']\n", 3, "invalid environment variable"),
    ("version = 1\n[env]\nset = { A = 1 }\n", 3, "must be a string"),
    ("version = 1\n[network\n", 2, "invalid TOML"),
])
def test_invalid_policy_names_line_and_reason(text, line, needle):
    error = refuse(text)
    assert needle in error.reason
    assert error.line == line
    assert str(error).startswith(f"sandbox.toml:{line}:")


def test_error_points_at_the_offending_array_element():
    error = refuse('version = 1\n[network]\nallow = [\n  "pypi.org",\n  "*",\n]\n')
    assert (error.line, error.col) == (5, 3)


def test_valid_policy_normalizes_and_keeps_positions():
    layer = parse_layer('version = 1\n[network]\nallow = ["PyPI.org.", "*.Example.com:443"]\n',
                        "sandbox.toml", "repo")
    entries = layer.entries[("network", "allow")]
    assert [value for value, _ in entries] == ["PyPI.org.", "*.Example.com:443"]
    assert entries[1][1].line == 3 and entries[1][1].col > entries[0][1].col


def test_cli_refuses_invalid_policy_with_exit_2_and_runs_nothing(tmp_path):
    (tmp_path / "sandbox.toml").write_text("version = 1\n[network]\nallow = ['*']\n")
    marker = tmp_path / "ran"
    env = {"HOME": str(tmp_path / "home"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "guard", "run", "--", "touch", str(marker)],
                            cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert f"{tmp_path / 'sandbox.toml'}:3:10:" in result.stderr
    assert not marker.exists()


@pytest.mark.parametrize("argv", [["run"], ["allow"], ["nonsense"], ["explain", "--bogus"]])
def test_usage_errors_exit_2(argv, tmp_path):
    result = subprocess.run([sys.executable, "-m", "guard", *argv], cwd=tmp_path,
                            capture_output=True, text=True,
                            env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
                                 "XDG_STATE_HOME": str(tmp_path / "s")})
    assert result.returncode == 2, result.stderr


def test_every_command_has_help():
    from guard.cli import COMMANDS

    for name in COMMANDS:
        result = subprocess.run([sys.executable, "-m", "guard", name, "--help"], capture_output=True, text=True)
        assert result.returncode == 0, (name, result.stderr)
        assert "usage: guard" in result.stdout
