# Two front doors: `make demo` and `make test`. Both work on a fresh machine (as root they
# install the system packages guard needs; otherwise they say which are missing).

# Debian's /usr/bin/python3 is reachable by every user; the default python3 here may live in
# root's home, which an unprivileged test user cannot enter.
PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed
# guard is installed as users get it (not editable: setuptools' editable finder costs ~20 ms
# on every `guard run`), so any source change reinstalls it.
SOURCES := $(shell find guard plugins -name '*.py' 2>/dev/null) pyproject.toml

.PHONY: demo test system-deps venv bench clean

system-deps:
	@sh .ci/system-deps

$(STAMP): $(SOURCES)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet '.[test]'
	$(VENV)/bin/pip install --quiet --no-deps --force-reinstall .  # same version, new code
	rm -rf build
	touch $(STAMP)

venv: system-deps $(STAMP)

demo: venv
	sh demo/demo.sh

# The Secret Service tests must run, not skip, wherever make test runs.
test: venv
	GUARD_REQUIRE_SECRET_SERVICE=1 $(VENV)/bin/python -m pytest -q

bench: venv
	$(VENV)/bin/python bench/startup.py

clean:
	rm -rf $(VENV) build *.egg-info
