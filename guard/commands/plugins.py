"""guard plugins: installed plugins, their versions and the hooks each implements."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true")


def main(args: argparse.Namespace) -> int:
    from guard.plugins import Plugins

    plugins = Plugins.load()
    if args.json:
        import json
        from dataclasses import asdict

        print(json.dumps({"plugins": [asdict(i) for i in plugins.infos], "disabled": plugins.disabled}, indent=2))
        return 0
    for info in plugins.infos:
        print(f"{info.name:14} {info.distribution} {info.version}  ({info.module})")
        print(f"{'':14} hooks: {', '.join(info.hooks) or '-'}")
    for name in plugins.disabled:
        print(f"{name:14} disabled by GUARD_DISABLE_PLUGINS")
    return 0
