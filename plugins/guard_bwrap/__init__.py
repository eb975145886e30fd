"""Builtin plugin guard_bwrap."""
