"""The tasks guard offers for a repository when nobody listed any: found in its build files.

Only file names and top-level entries are read (``package.json`` scripts, Makefile targets,
the presence of ``pyproject.toml``, ``Cargo.toml``, ``go.mod``); nothing is executed. The
result is deterministic, so generated files are byte-stable.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

MAX_NPM_SCRIPTS = 20
MAKE_TARGETS = ("all", "build", "test", "check", "lint")


@dataclass(frozen=True)
class ProjectTask:
    label: str
    argv: tuple[str, ...]

    @property
    def group(self) -> str | None:
        last = " ".join(self.argv[1:])
        if "test" in last or "pytest" in last or last == "check":
            return "test"
        if "build" in last or last == "all":
            return "build"
        return None


def detect(workspace: Path) -> list[ProjectTask]:
    tasks: list[ProjectTask] = []
    tasks += _npm(workspace / "package.json")
    tasks += _make(workspace)
    if any((workspace / name).is_file() for name in ("pyproject.toml", "setup.py", "setup.cfg", "pytest.ini", "tox.ini")):
        tasks.append(ProjectTask("pytest", ("python", "-m", "pytest")))
    if (workspace / "Cargo.toml").is_file():
        tasks += [ProjectTask("cargo build", ("cargo", "build")), ProjectTask("cargo test", ("cargo", "test"))]
    if (workspace / "go.mod").is_file():
        tasks += [ProjectTask("go build", ("go", "build", "./...")), ProjectTask("go test", ("go", "test", "./..."))]
    return tasks


def _npm(path: Path) -> list[ProjectTask]:
    try:
        scripts = json.loads(path.read_text(encoding="utf-8")).get("scripts", {})
    except (OSError, ValueError, AttributeError):
        return []  # no or unreadable package.json: offer nothing rather than guess
    if not isinstance(scripts, dict):
        return []
    names = [n for n in scripts if isinstance(n, str) and n.strip()][:MAX_NPM_SCRIPTS]
    return [ProjectTask(f"npm run {name}", ("npm", "run", name)) for name in names]


def _make(workspace: Path) -> list[ProjectTask]:
    for name in ("GNUmakefile", "makefile", "Makefile"):
        path = workspace / name
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                return []
            defined = set(re.findall(r"^([A-Za-z][\w.-]*)\s*:(?!=)", text, re.MULTILINE))
            return [ProjectTask(f"make {t}", ("make", t)) for t in MAKE_TARGETS if t in defined]
    return []
