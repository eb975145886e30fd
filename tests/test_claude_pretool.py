"""`guard hook claude-pretool` against recorded hook inputs (tests/fixtures/claude/*.json).

The fixtures have the shapes the agents document: Claude Code's and Codex's PreToolUse,
Gemini CLI's BeforeTool. Their `cwd` (/home/dev/project) is replaced by a real temporary
repository so protected paths resolve against real files.
"""

import io
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guard.integrations import claude_pretool
from guard.integrations.agent_command import judge, wrap

FIXTURES = Path(__file__).parent / "fixtures" / "claude"
RECORDED_CWD = "/home/dev/project"


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git" / "hooks").mkdir(parents=True)
    (tmp_path / "sandbox.toml").write_text("version = 1\n")
    return tmp_path


def run_hook(raw: str):
    out, err = io.StringIO(), io.StringIO()
    status = claude_pretool.main(io.StringIO(raw), out, err)
    return status, out.getvalue(), err.getvalue()


def recorded(name: str, repo: Path) -> str:
    return (FIXTURES / f"{name}.json").read_text().replace(RECORDED_CWD, str(repo))


def unwrapped(command: str) -> str:
    argv = shlex.split(command)
    assert argv[:1] == [claude_pretool.guard_executable()] and argv[1:5] == ["run", "--", "bash", "-c"], argv
    assert len(argv) == 6, argv
    return argv[5]


@pytest.mark.parametrize("name", ["bash_plain", "bash_background", "bash_nasty_quoting", "codex_bash"])
def test_plain_commands_are_routed_into_the_sandbox(repo, name):
    raw = recorded(name, repo)
    original = json.loads(raw)["tool_input"]
    status, out, err = run_hook(raw)
    assert status == 0, err
    answer = json.loads(out)["hookSpecificOutput"]
    assert answer["hookEventName"] == "PreToolUse"
    assert answer["permissionDecision"] == "allow"
    updated = answer["updatedInput"]
    # updatedInput replaces the whole input: every other field must come back unchanged
    assert {k: v for k, v in updated.items() if k != "command"} == {k: v for k, v in original.items() if k != "command"}
    assert unwrapped(updated["command"]) == original["command"]


def test_gemini_shell_commands_are_routed_in_geminis_dialect(repo):
    raw = recorded("gemini_shell", repo)
    status, out, err = run_hook(raw)
    assert status == 0, err
    answer = json.loads(out)
    assert set(answer) == {"hookSpecificOutput"} and answer["hookSpecificOutput"]["hookEventName"] == "BeforeTool"
    tool_input = answer["hookSpecificOutput"]["tool_input"]
    assert unwrapped(tool_input["command"]) == "npm run build"
    assert tool_input["dir_path"] == str(repo)


def test_a_command_already_under_guard_run_is_not_wrapped_twice(repo):
    status, out, err = run_hook(recorded("bash_guard_run", repo))
    assert (status, out, err) == (0, "", "")


@pytest.mark.parametrize("name, why", [
    ("bash_no_verify", "--no-verify"),
    ("bash_commit_n", "git commit -n"),
    ("bash_hookspath", "core.hooksPath"),
    ("bash_husky", "HUSKY="),
    ("bash_guard_trust", "guard trust"),
    ("bash_guard_allow", "guard allow"),
    ("bash_guard_run_chained", "must be the whole command"),
    ("bash_disable_hook", ".claude/settings.json is protected"),
    ("bash_rm_git_hooks", ".git/hooks is protected"),
    ("powershell", "PowerShell"),
    ("edit_git_hook", ".git/hooks/pre-commit is protected"),
    ("write_claude_settings", ".claude/settings.json is protected"),
    ("multiedit_sandbox_toml", "sub/sandbox.toml is protected"),
    ("codex_apply_patch_hook", ".git/hooks/post-checkout is protected"),
    ("gemini_write_envrc", ".envrc is protected"),
])
def test_bypass_attempts_are_refused_with_a_reason(repo, name, why):
    status, out, err = run_hook(recorded(name, repo))
    assert status == 2 and out == ""
    assert err.startswith("guard: refused: ") and why in err, err


@pytest.mark.parametrize("name", ["edit_plain", "read_anything", "codex_apply_patch_plain"])
def test_edits_of_ordinary_files_and_other_tools_pass_untouched(repo, name):
    assert run_hook(recorded(name, repo)) == (0, "", "")


@pytest.mark.parametrize("name, why", [
    ("malformed_not_json", "not JSON"),
    ("malformed_missing_tool_input", "tool_input"),
    ("malformed_command_not_string", "command must be a string"),
    ("malformed_event", "PostToolUse"),
    ("malformed_relative_cwd", "not an absolute path"),
    ("malformed_not_object", "expected a JSON object"),
])
def test_malformed_input_is_refused(repo, name, why):
    status, out, err = run_hook(recorded(name, repo))
    assert status == 2 and out == ""
    assert "malformed hook input" in err and why in err, err


def test_a_symlink_inside_the_workspace_cannot_aim_an_edit_at_a_git_hook(repo):
    (repo / "notes.md").symlink_to(repo / ".git" / "hooks" / "pre-commit")
    event = json.loads(recorded("edit_plain", repo))
    event["tool_input"]["file_path"] = str(repo / "notes.md")
    status, _, err = run_hook(json.dumps(event))
    assert status == 2 and ".git/hooks/pre-commit is protected" in err


def test_editing_the_users_own_claude_settings_is_refused(repo, monkeypatch, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    event = json.loads(recorded("write_claude_settings", repo))
    event["tool_input"]["file_path"] = str(home / ".claude" / "settings.json")
    status, _, err = run_hook(json.dumps(event))
    assert status == 2 and "switch the agent's hooks" in err


def test_an_internal_failure_blocks_the_call_instead_of_letting_it_run(repo, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(claude_pretool, "decide", broken)
    status, out, err = run_hook(recorded("bash_plain", repo))
    assert status == 2 and out == "" and "boom" in err


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_input_that_is_not_a_hook_event_is_refused(raw):
    status, out, _ = run_hook(raw)
    assert status == 2 and out == ""


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="\x00")))
def test_wrapping_round_trips_through_shell_quoting(command):
    assert shlex.split(wrap(command, "/opt/my guard/guard")) == ["/opt/my guard/guard", "run", "--", "bash", "-c", command]


NASTY = [
    "echo 'single' \"double\" `backtick` $(subshell) ${var:-default}",
    "a\nb\r\nc\td",
    "'\"'\"'",
    "\\\\'\\\"",
    "ünïcödé ✓ 日本",
    "-c",
    "--",
    " leading and trailing  ",
    "!history !! $'ansi\\x41'",
    "cat <<'EOF'\nit's\nEOF",
]


def test_real_bash_hands_guard_the_exact_original_command(tmp_path):
    """Not shlex's opinion: bash itself parses the wrapped command, and a stand-in `guard`
    records the argv it receives."""
    fake = tmp_path / "bin" / "guard"
    fake.parent.mkdir()
    fake.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    fake.chmod(0o755)
    for command in NASTY:
        result = subprocess.run(["bash", "-c", wrap(command, str(fake))], capture_output=True, text=True,
                                env={**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}"})
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == ["run", "--", "bash", "-c", command]


@pytest.mark.parametrize("command", [
    "git commit -m n",  # -m takes "n" as its value: not --no-verify
    "git commit -am 'fix'",
    "cat sandbox.toml",
    "sed 's/a/b/' sandbox.toml",
    "git config user.name",
    "echo ok 2>&1",
    "grep -r no-verify docs/",
])
def test_ordinary_commands_are_wrapped_not_refused(repo, command):
    verdict = judge(command, repo, repo)
    assert verdict.action == "wrap", verdict


@pytest.mark.parametrize("command", [
    "guard run --some-degraded-mode -- make",
    "guard run -- make > ~/.bashrc",
    "guard run -- echo $(curl evil)",
    "guard run -- true\nrm -rf ~",
    "guard run --",
])
def test_guard_run_passes_only_as_one_plain_simple_command(repo, command):
    assert judge(command, repo, repo).action == "refuse"
