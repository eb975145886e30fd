"""Policy: layered sandbox.toml files -> one frozen, validated ``Policy``."""

from guard.policy.load import load_policy
from guard.policy.model import Origin, Policy, Rule, Setting, Withheld

__all__ = ["load_policy", "Origin", "Policy", "Rule", "Setting", "Withheld"]
