"""Builtin plugin guard_integrations."""
