"""guard: a workspace boundary for AI coding agents.

Data flows one way: policy files -> a frozen ``Policy`` -> a backend's ``LaunchPlan``
-> a process. See SPEC.md for the contract.
"""

__version__ = "0.1.0"
