"""Builtin plugin guard_seatbelt (in progress)."""
