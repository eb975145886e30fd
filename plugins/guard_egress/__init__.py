"""Builtin plugin guard_egress."""
