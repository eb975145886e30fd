"""Argument parsing only. Each command lives in a module exposing ``configure(parser)`` and
``main(args) -> int``; only the chosen command's module is imported, which keeps
``guard run`` fast and lets each command own its options.
"""

from __future__ import annotations

import importlib
import sys

from guard.errors import EXIT_GUARD_FAILED, EXIT_USAGE, GuardError

# name -> (module, one-line help). Order is the order shown by --help.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("guard.commands.run", "run a command inside the sandbox"),
    "explain": ("guard.commands.explain", "show the effective policy and the launch plan"),
    "doctor": ("guard.commands.doctor", "check this machine and print fixes"),
    "trust": ("guard.commands.trust", "approve the current sandbox.toml content"),
    "untrust": ("guard.commands.untrust", "revoke approval of sandbox.toml"),
    "allow": ("guard.commands.allow", "allow a domain in sandbox.toml (in place)"),
    "deny": ("guard.commands.deny", "deny a domain in sandbox.toml (in place)"),
    "log": ("guard.commands.log", "show denied network requests"),
    "creds": ("guard.commands.creds", "manage tokens in the OS keyring"),
    "credential": ("guard.commands.credential", "git credential helper over the same store"),
    "hooks": ("guard.commands.hooks", "install git hooks"),
    "hook": ("guard.commands.hook", "run one hook (called by the installed shims)"),
    "policy": ("guard.commands.policy", "review policy changes (guard policy diff)"),
    "editor": ("guard.commands.editor", "generate editor integration files"),
    "agent": ("guard.commands.agent", "generate coding-agent configuration"),
    "plugins": ("guard.commands.plugins", "list installed plugins and their hooks"),
}


def build_parser(only: str | None = None):
    import argparse

    from guard import __version__

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # exit 2 with the usage, as SPEC section 3 says
            self.print_usage(sys.stderr)
            self.exit(EXIT_USAGE, f"guard: error: {message}\n")

    parser = _Parser(prog="guard", description="A workspace boundary for AI coding agents.")
    parser.add_argument("--version", action="version", version=f"guard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_text) in COMMANDS.items():
        if only == "run" and name != "run":
            continue  # the hot path: `guard run` does not pay for every other parser
        command = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or name == only:
            importlib.import_module(module).configure(command)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] == ["run", "--"] and len(argv) > 2:  # the hot path: a cached plan, no parsing
        from guard.commands.run import fast_main

        try:
            status = fast_main(argv[2:])
        except GuardError as exc:
            print(exc.render(), file=sys.stderr)
            return exc.exit_status
        if status is not None:
            return status
    chosen = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(chosen if chosen in COMMANDS else None)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return importlib.import_module(COMMANDS[args.command][0]).main(args)
    except GuardError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # guard itself failed: say so, never look like CMD's status
        import traceback

        traceback.print_exc()
        print(f"guard: internal error: {exc}", file=sys.stderr)
        return EXIT_GUARD_FAILED
