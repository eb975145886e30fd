"""Fixtures shared by the sandbox tests live in sandbox_fixtures.py; this only makes them visible."""

from sandbox_fixtures import identity, sandbox, sandbox_without_claude, unprivileged_identity  # noqa: F401

