"""Secret-looking variables never enter; [env] pass/set apply only once trusted; explain names them."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.bwrap

GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKEKEY99"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEFAKEFAKEFAKE\n-----END RSA PRIVATE KEY-----"
PGP_KEY = "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBFAKEPGP\n-----END PGP PRIVATE KEY BLOCK-----"

SECRETS = {
    "GITHUB_TOKEN": GITHUB_TOKEN,
    "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
    "AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKE1234",
    "DEPLOY_MATERIAL": PRIVATE_KEY,  # a name that says nothing; the value is the secret
    "GH_TOKEN": "gho_" + "x" * 36,
    "NPM_TOKEN": "npm_" + "y" * 36,
    "DATABASE_URL": "postgres://app:hunter2@db.internal/app",
}


def leaked(value: str, env: dict[str, str]) -> bool:
    """Any line of the secret (armour lines aside) in any value inside."""
    lines = [line for line in value.splitlines() if not line.startswith("-----")]
    return any(line in inside for line in lines for inside in env.values())


def inside_env(sandbox, **kwargs) -> dict[str, str]:
    result = sandbox.run("run", "--", "/usr/bin/python3", "-c",
                         "import os, json; print(json.dumps(dict(os.environ)))", **kwargs)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_secret_variable_does_not_enter(sandbox, name):
    env = inside_env(sandbox, env=SECRETS)
    assert name not in env
    assert not leaked(SECRETS[name], env)


@pytest.mark.parametrize("value", [PRIVATE_KEY, PGP_KEY, GITHUB_TOKEN, "https://user:hunter2@example.com/x"],
                         ids=["rsa-key", "pgp-key", "github-token", "url-with-password"])
def test_secret_value_under_a_harmless_default_name_does_not_enter(sandbox, value):
    """CI and EDITOR pass by default; a secret that ended up in them must still stay out."""
    env = inside_env(sandbox, env={"CI": value, "EDITOR": value})
    assert not leaked(value, env)


def test_env_output_shows_no_secret(sandbox):
    result = sandbox.run("run", "--", "env", env=SECRETS)
    assert result.returncode == 0, result.stderr
    for value in SECRETS.values():
        for line in value.splitlines():
            if not line.startswith("-----"):  # the armour lines are not secret
                assert line not in result.stdout


def test_default_variables_pass_and_unlisted_ones_do_not(sandbox):
    env = inside_env(sandbox, env={"TERM": "xterm-256color", "LC_ALL": "C.UTF-8", "RANDOM_SETTING": "1",
                                   "LD_PRELOAD": "/tmp/evil.so", "PYTHONPATH": "/tmp/evil"})
    assert env["TERM"] == "xterm-256color" and env["LC_ALL"] == "C.UTF-8"
    assert env["HOME"] == str(sandbox.home)
    for name in ("RANDOM_SETTING", "LD_PRELOAD", "PYTHONPATH"):
        assert name not in env


def test_env_pass_and_set_are_withheld_until_trusted(sandbox):
    sandbox.policy('[env]\npass = ["MY_SETTING", "GITHUB_TOKEN"]\nset = { TOOL_MODE = "sandboxed" }\n')
    host = {"MY_SETTING": "visible", "GITHUB_TOKEN": GITHUB_TOKEN}
    result = sandbox.run("run", "--", "env", env=host)
    assert result.returncode == 0, result.stderr
    assert "MY_SETTING" not in result.stdout and "TOOL_MODE" not in result.stdout
    assert GITHUB_TOKEN not in result.stdout
    assert "untrusted" in result.stderr and "MY_SETTING" in result.stderr and "TOOL_MODE" in result.stderr

    sandbox.trust()
    env = inside_env(sandbox, env=host)
    assert env["MY_SETTING"] == "visible"
    assert env["TOOL_MODE"] == "sandboxed"
    assert env["GITHUB_TOKEN"] == GITHUB_TOKEN  # named explicitly in a trusted policy: let in


def test_changed_policy_is_untrusted_again(sandbox):
    sandbox.policy('[env]\npass = ["MY_SETTING"]\n')
    sandbox.trust()
    assert inside_env(sandbox, env={"MY_SETTING": "v"}).get("MY_SETTING") == "v"
    sandbox.policy('[env]\npass = ["MY_SETTING", "OTHER"]\n')
    assert "MY_SETTING" not in inside_env(sandbox, env={"MY_SETTING": "v"})


def test_sandbox_cannot_trust_its_own_policy(sandbox):
    sandbox.policy('[env]\npass = ["MY_SETTING"]\n')
    sandbox.run("run", "--", sandbox.identity.python, "-m", "guard", "trust", "--yes")
    assert "MY_SETTING" not in inside_env(sandbox, env={"MY_SETTING": "v"})


def test_untrusted_policy_withholds_widening_and_applies_tightening(sandbox):
    sandbox.write(".env", "TOKEN=FAKEDOTENV11\n")
    sandbox.policy('[filesystem]\nallow_write = ["~/.cache/pip"]\ndeny_read = [".env"]\n')
    sandbox.makedirs(sandbox.home / ".cache/pip")
    result = sandbox.sh('cat .env; echo x > "$HOME/.cache/pip/new"')
    assert "allow_write" in result.stderr and "~/.cache/pip" in result.stderr  # named in a warning
    assert "FAKEDOTENV11" not in result.stdout
    assert not (sandbox.home / ".cache/pip/new").exists()

    sandbox.trust()
    result = sandbox.sh('echo x > "$HOME/.cache/pip/new"')
    assert result.returncode == 0, result.stderr
    assert (sandbox.home / ".cache/pip/new").exists()


def test_explain_lists_dropped_variables_by_name_and_the_mounts(sandbox):
    result = sandbox.run("explain", env=SECRETS)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for name in SECRETS:
        assert name in out
    for value in (GITHUB_TOKEN, AWS_SECRET, "MIIEFAKE", "hunter2"):
        assert value not in out  # names only, never values
    assert str(sandbox.workspace) in out
    assert str(sandbox.workspace / ".git/hooks") in out
    assert str(sandbox.home / ".ssh") in out

    report = json.loads(sandbox.run("explain", "--json", env=SECRETS).stdout)
    assert set(SECRETS) <= set(report["env_dropped_secret"])
    mounts = {(m["kind"], m["path"]) for m in report["mounts"]}
    assert ("bind", str(sandbox.workspace)) in mounts
    assert any(path == str(sandbox.workspace / "sandbox.toml") for _kind, path in mounts)
    assert any(path == str(sandbox.home / ".ssh") for _kind, path in mounts)
