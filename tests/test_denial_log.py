"""The denial log: what the proxy appends, and what ``guard log`` shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from guard import denials
from guard.denials import Denial, DenialLog


def entry(host="evil.example", **over) -> Denial:
    fields = dict(host=host, port=443, via="connect", rule=f'no [network] allow entry matches "{host}"',
                  fix=f"add \"{host}\" to [network] allow in /w/sandbox.toml (line 7), or run: guard allow {host}",
                  workspace="/w", command=["curl", f"https://{host}/"])
    fields.update(over)
    return Denial.now(**fields)


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "guard" / "denials.jsonl"


def guard(*args, env=None):
    return subprocess.run([sys.executable, "-m", "guard", *args], capture_output=True, text=True,
                          env=env or os.environ.copy(), timeout=30)


def test_log_lives_in_the_user_state_folder_with_private_permissions(state):
    DenialLog().append(entry())
    assert state.is_file()
    assert state.stat().st_mode & 0o777 == 0o600
    assert state.parent.stat().st_mode & 0o077 == 0


def test_each_denial_is_one_json_line_with_every_field(state):
    log = DenialLog()
    log.append(entry("a.example"))
    log.append(entry("b.example", via="socks5", fix=None))
    lines = state.read_text().splitlines()
    assert len(lines) == 2
    record = json.loads(lines[1])
    assert set(record) == set(denials.FIELDS)
    assert record["host"] == "b.example" and record["via"] == "socks5" and record["fix"] is None
    assert record["time"].endswith("Z")


def test_damaged_lines_are_skipped_not_fatal(state):
    log = DenialLog()
    log.append(entry("a.example"))
    with open(state, "a") as f:
        f.write("{not json\n[1,2]\n")
    log.append(entry("b.example"))
    assert [d.host for d in log.read()] == ["a.example", "b.example"]


def test_log_is_rotated_once_past_its_cap(state, monkeypatch):
    monkeypatch.setattr(denials, "MAX_BYTES", 2000)
    log = DenialLog()
    for i in range(40):
        log.append(entry(f"h{i}.example"))
    rotated = state.with_name("denials.jsonl.1")
    assert rotated.is_file() and rotated.stat().st_size < 2000 + 1000
    assert state.stat().st_size <= 2000 + 1000
    assert log.read()[-1].host == "h39.example"  # the newest entries are kept


def test_concurrent_writers_never_interleave_lines(state):
    def write(n):
        log = DenialLog()
        for i in range(100):
            log.append(entry(f"t{n}-{i}.example", rule="x" * 500))
    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = state.read_text().splitlines()
    assert len(lines) == 400
    assert all(json.loads(line)["rule"] == "x" * 500 for line in lines)


def test_guard_log_shows_rule_and_fix(state):
    DenialLog().append(entry())
    result = guard("log", env=os.environ.copy())
    assert result.returncode == 0, result.stderr
    assert "evil.example:443" in result.stdout and "via connect" in result.stdout
    assert 'rule: no [network] allow entry matches "evil.example"' in result.stdout
    assert "to allow it: add \"evil.example\" to [network] allow in /w/sandbox.toml (line 7)" in result.stdout


def test_guard_log_json_is_the_stored_records(state):
    DenialLog().append(entry("a.example"))
    DenialLog().append(entry("b.example"))
    result = guard("log", "--json")
    assert [json.loads(line)["host"] for line in result.stdout.splitlines()] == ["a.example", "b.example"]


def test_guard_log_with_no_denials_says_so(state):
    result = guard("log")
    assert result.returncode == 0 and result.stdout == ""
    assert "no denials recorded" in result.stderr


def test_guard_log_follow_prints_new_denials(state):
    DenialLog().append(entry("old.example"))
    proc = subprocess.Popen([sys.executable, "-m", "guard", "log", "--follow", "--json"],
                            stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert json.loads(proc.stdout.readline())["host"] == "old.example"
        DenialLog().append(entry("new.example"))
        assert json.loads(proc.stdout.readline())["host"] == "new.example"
    finally:
        proc.kill()
        proc.wait()


def test_follow_survives_rotation(state, monkeypatch):
    log = DenialLog()
    log.append(entry("before.example"))
    _, start = log.snapshot()
    seen, stop = [], threading.Event()

    def follow():
        for denial in log.follow(start, interval=0.05, stop=stop.is_set):
            seen.append(denial.host)
    thread = threading.Thread(target=follow)
    thread.start()
    monkeypatch.setattr(denials, "MAX_BYTES", 10)
    log.append(entry("rotates.example"))  # file > cap: the next append rotates
    log.append(entry("after.example"))
    deadline = time.monotonic() + 5
    while "after.example" not in seen and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join()
    assert "after.example" in seen and "before.example" not in seen
