"""VS Code: guarded tasks in ``.vscode/tasks.json`` and a "guarded shell" terminal profile.

Decisions, and where they come from:

- Tasks are ``"type": "process"`` with ``"command": "guard"`` and ``"args": ["run", "--", ...]``:
  a process task runs its argv without a shell (VS Code docs, "Tasks" > "Custom tasks":
  ``process`` vs ``shell``), so nothing in the task can escape ``guard run``.
- Guard's tasks are tagged by a ``"detail"`` that starts with ``guard-managed``. ``detail`` is
  part of VS Code's task schema (shown under the label in "Run Task"), so the tag raises no
  schema warning, unlike an unknown ``"guard": true`` property. Only tagged tasks are ever
  rewritten or removed; the user's tasks and comments keep their bytes (``jsonc_edit``).
- ``"problemMatcher": []`` stops VS Code from asking which matcher to use on every run.
- The profile lives in ``.vscode/settings.json`` under ``terminal.integrated.profiles.linux``
  and ``.osx`` (VS Code docs, "Terminal Profiles"); its key ``guarded shell`` is the tag. It is
  not made the default profile: that choice stays the user's.
- A task with ``"runOptions": {"runOn": "folderOpen"}`` (VS Code docs, "Tasks" > "Run
  behavior") runs when the folder opens, outside any sandbox, with whatever command the last
  push put there. Every run flags each one loudly.
"""

from __future__ import annotations

import json
from pathlib import Path

from guard.integrations.agent_hooks import install_warnings
from guard.integrations.jsonc import Node, line_col
from guard.integrations.jsonc_edit import JsoncDocument
from guard.integrations.plan import FileChange, Plan, read_text, target
from guard.integrations.project_tasks import ProjectTask, detect

TASKS = ".vscode/tasks.json"
SETTINGS = ".vscode/settings.json"
TAG = "guard-managed"
LABEL_PREFIX = "guard: "
PROFILE_NAME = "guarded shell"
PROFILES = {
    "terminal.integrated.profiles.linux": {"path": "guard", "args": ["run", "--", "bash"], "icon": "shield"},
    "terminal.integrated.profiles.osx": {"path": "guard", "args": ["run", "--", "zsh"], "icon": "shield"},
}
NEW_TASKS = """\
// `guard editor vscode` keeps the tasks whose "detail" starts with "guard-managed" up to date.
// Your own tasks and comments are left exactly as they are.
{
  "version": "2.0.0",
  "tasks": []
}
"""


def task_entry(task: ProjectTask) -> dict:
    entry = {
        "label": LABEL_PREFIX + task.label,
        "detail": f"{TAG}: runs `{' '.join(task.argv)}` inside the guard sandbox",
        "type": "process",
        "command": "guard",
        "args": ["run", "--", *task.argv],
        "options": {"cwd": "${workspaceFolder}"},
        "problemMatcher": [],
    }
    if task.group:
        entry["group"] = task.group
    return entry


def guard_label(item: object) -> str | None:
    """The label of a guard-managed task; None for everything else (the user's)."""
    if isinstance(item, dict) and str(item.get("detail", "")).startswith(TAG):
        return str(item.get("label", ""))
    return None


def plan(workspace: Path) -> Plan:
    result = Plan(warnings=install_warnings(workspace))  # the tasks start guard outside the sandbox
    tasks_path, settings_path = target(workspace, TASKS), target(workspace, SETTINGS)
    old = read_text(tasks_path)
    doc = JsoncDocument(NEW_TASKS if old is None else old, TASKS)
    version = doc.node(("version",))
    if version is None:
        doc.set_member((), "version", "2.0.0")
    elif version.to_python() != "2.0.0":
        raise doc.error(version, f'tasks.json version {version.to_python()!r}: guard writes "2.0.0" tasks')
    doc.ensure(("tasks",), "array", [])
    user_labels = {item.get("label") for item in doc.value(("tasks",)) if guard_label(item) is None
                   and isinstance(item, dict)}
    desired = []
    for task in detect(workspace):
        entry = task_entry(task)
        if entry["label"] in user_labels:
            result.warnings.append(f"{TASKS}: you already have a task labelled {entry['label']!r}; "
                                   "guard left it alone and did not add its own")
            continue
        desired.append((entry["label"], entry))
    doc.sync_items(("tasks",), desired, guard_label)
    result.warnings += folder_open_warnings(doc)
    result.files.append(FileChange(tasks_path, TASKS, old, doc.text))

    old_settings = read_text(settings_path)
    settings = JsoncDocument(old_settings or "", SETTINGS)
    for key, profile in PROFILES.items():
        settings.ensure((key,), "object", {})
        settings.set_member((key,), PROFILE_NAME, profile)
    result.files.append(FileChange(settings_path, SETTINGS, old_settings, settings.text))
    if not desired:
        result.notes.append("no build files found (package.json, Makefile, pyproject.toml, Cargo.toml, go.mod): "
                            "no guard tasks were added; the terminal profile still was")
    result.notes.append(f'pick the "{PROFILE_NAME}" terminal profile to get a shell inside the sandbox')
    return result


def folder_open_warnings(doc: JsoncDocument) -> list[str]:
    warnings = []
    tasks: Node = doc.node(("tasks",))
    for item in tasks.children:
        value = item.to_python()
        if not isinstance(value, dict):
            continue
        run_options = value.get("runOptions")
        if isinstance(run_options, dict) and run_options.get("runOn") == "folderOpen":
            line, col = line_col(doc.text, item.start)
            warnings.append(
                f"WARNING: {TASKS}:{line}:{col}: task {value.get('label', '(no label)')!r} runs when the folder "
                f'is opened ("runOptions": {{"runOn": "folderOpen"}}), outside any sandbox, with whatever '
                "command the last pushed change put there. Remove runOn, or run it through `guard run --`."
            )
    return warnings


def list_json(workspace: Path) -> str:
    """The tasks guard knows, for the editor extension: ``[{"label", "command": [argv]}]``.

    The guard-managed tasks of ``.vscode/tasks.json`` when there are any, else the tasks
    ``guard editor vscode`` would add. Reads only; never writes.
    """
    listed = []
    text = read_text(target(workspace, TASKS))
    if text is not None:
        items = JsoncDocument(text, TASKS).value(("tasks",), [])
        for item in items if isinstance(items, list) else []:
            label = guard_label(item)
            args = item.get("args") if label is not None else None
            if label and isinstance(args, list) and args[:2] == ["run", "--"] and len(args) > 2 \
                    and all(isinstance(a, str) for a in args):
                listed.append({"label": label, "command": args[2:]})
    if not listed:
        listed = [{"label": LABEL_PREFIX + t.label, "command": list(t.argv)} for t in detect(workspace)]
    return json.dumps(listed, indent=2)
