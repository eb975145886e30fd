"""Builtin plugin guard_landlock (in progress)."""
