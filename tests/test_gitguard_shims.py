"""The shim scripts and the `guard hook` dispatcher."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

from guard import cli
from guard.gitguard.install import HOOKS, shim_text
from test_gitguard_fixtures import env, guard, repo  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", HOOKS)
def test_hooks_folder_holds_the_same_shims_install_writes(name):
    shipped = ROOT / "hooks" / name
    assert shipped.read_text() == shim_text(name, None)
    assert shipped.stat().st_mode & 0o111


@pytest.mark.parametrize("name, status", [("pre-commit", 1), ("pre-push", 1), ("post-checkout", 0)])
def test_shim_without_any_guard_fails_closed_only_for_blocking_hooks(tmp_path, name, status):
    shim = tmp_path / name
    shim.write_text(shim_text(name, str(tmp_path / "uninstalled" / "guard")))
    shim.chmod(0o755)
    result = subprocess.run([str(shim)], capture_output=True, text=True, env={"PATH": "/nonexistent"})
    assert result.returncode == status
    assert "guard not found at" in result.stderr


def test_shim_path_with_shell_metacharacters_is_quoted(tmp_path):
    marker = tmp_path / "pwned"
    evil = f"/nonexistent/$(touch {marker})/guard"
    shim = tmp_path / "pre-commit"
    shim.write_text(shim_text("pre-commit", evil))
    shim.chmod(0o755)
    subprocess.run([str(shim)], capture_output=True, env={"PATH": "/nonexistent"})
    assert not marker.exists()


def test_hook_help_documents_the_explicit_switch(repo):
    result = guard(repo, "hook", "--help")
    assert result.returncode == 0
    assert "GUARD_ALLOW_PROTECTED=1" in result.stdout


def test_claude_pretool_is_dispatched_to_the_integration(monkeypatch, capsys):
    seen = {}

    def main(stdin, stdout, stderr):
        seen["streams"] = (stdin, stdout, stderr)
        return 7

    fake = types.ModuleType("guard.integrations.claude_pretool")
    fake.main = main
    monkeypatch.setitem(sys.modules, "guard.integrations.claude_pretool", fake)
    monkeypatch.setitem(sys.modules, "guard.integrations", types.ModuleType("guard.integrations"))
    assert cli.main(["hook", "claude-pretool"]) == 7
    assert seen["streams"] == (sys.stdin, sys.stdout, sys.stderr)


def test_claude_pretool_missing_integration_blocks_the_tool_call(monkeypatch, capsys):
    # agents run the tool call on any failure other than exit 2: a broken hook must block
    monkeypatch.setitem(sys.modules, "guard.integrations.claude_pretool", None)
    assert cli.main(["hook", "claude-pretool"]) == 2
    assert "guard.integrations.claude_pretool" in capsys.readouterr().err


def test_unknown_hook_name_is_a_usage_error(repo):
    result = guard(repo, "hook", "pre-rebase")
    assert result.returncode == 2
