"""Plugins load through the entry-point group; they can be disabled, traced and listed."""

from __future__ import annotations

import json
import subprocess
import sys


def guard(tmp_path, *argv, **env):
    base = {"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "guard", *argv], cwd=tmp_path, capture_output=True,
                          text=True, env={**base, **env})


def test_builtin_plugins_register_through_entry_points(tmp_path):
    result = guard(tmp_path, "plugins", "--json")
    data = json.loads(result.stdout)
    by_name = {p["name"]: p for p in data["plugins"]}
    assert {"bwrap", "egress", "integrations"} <= set(by_name)
    assert "guard_backends" in by_name["bwrap"]["hooks"]
    assert "guard_egress_decision" in by_name["egress"]["hooks"]


def test_disabled_backend_plugin_makes_run_refuse_instead_of_running_unsandboxed(tmp_path):
    marker = tmp_path / "ran"
    (tmp_path / "ws").mkdir()
    result = subprocess.run([sys.executable, "-m", "guard", "run", "--", "touch", str(marker)],
                            cwd=tmp_path / "ws", capture_output=True, text=True,
                            env={"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"),
                                 "PATH": "/usr/bin:/bin", "GUARD_DISABLE_PLUGINS": "bwrap,landlock,seatbelt"})
    assert result.returncode == 125
    assert "no sandbox backend" in result.stderr
    assert not marker.exists()
    listed = json.loads(guard(tmp_path, "plugins", "--json", GUARD_DISABLE_PLUGINS="bwrap").stdout)
    assert listed["disabled"] == ["bwrap"]


def test_trace_prints_every_hook_call(tmp_path):
    result = guard(tmp_path, "doctor", GUARD_TRACE_PLUGINS="1")
    assert "guard-trace: guard_doctor_checks" in result.stderr
    assert "guard-trace: guard_backends" in result.stderr


def test_a_broken_plugin_is_reported_not_skipped(tmp_path):
    dist = tmp_path / "site" / "evil_plugin-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: evil-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[guard]\nbroken = does_not_exist_anywhere\n")
    result = guard(tmp_path, "plugins", PYTHONPATH=str(tmp_path / "site"))
    assert result.returncode == 125
    assert "plugin 'broken'" in result.stderr and "GUARD_DISABLE_PLUGINS=broken" in result.stderr
