"""guard explain [--json]: the effective policy, each rule with its layer, and the launch plan."""

from __future__ import annotations

import argparse
import json
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


_LISTS = (
    ("filesystem.allow_write", "allow_write"), ("filesystem.deny_write", "deny_write"),
    ("filesystem.deny_read", "deny_read"), ("filesystem.allow_read", "allow_read"),
    ("network.allow", "net_allow"), ("network.deny", "net_deny"), ("network.allow_local", "allow_local"),
    ("git.hosts", "git_hosts"), ("git.push", "git_push"), ("git.inject", "git_inject"), ("env.pass", "env_pass"),
)


def collect(cmd: list[str]) -> dict:
    from guard.errors import GuardError
    from guard.launch import plan_for
    from guard.plugins import Plugins
    from guard.policy import load_policy

    policy = load_policy()
    rules = []
    for key, attr in _LISTS:
        for rule in getattr(policy, attr):
            rules.append({"key": key, "value": rule.value, "origin": str(rule.origin), "layer": rule.origin.layer})
    for key in ("allow_force_push", "allow_delete"):
        setting = getattr(policy, key)
        rules.append({"key": f"git.{key}", "value": setting.value, "origin": str(setting.origin),
                      "layer": setting.origin.layer})
    for name, rule in policy.env_set:
        rules.append({"key": f"env.set.{name}", "value": rule.value, "origin": str(rule.origin),
                      "layer": rule.origin.layer})
    for platform, rule in policy.backend:
        rules.append({"key": f"backend.{platform}", "value": rule.value, "origin": str(rule.origin),
                      "layer": rule.origin.layer})
    report = {
        "workspace": str(policy.workspace),
        "layers": [{"layer": layer, "file": file} for layer, file in policy.layer_files],
        "repo_policy": str(policy.repo_file) if policy.repo_file else None,
        "repo_trusted": policy.repo_trusted,
        "rules": rules,
        "withheld": [{"key": w.key, "value": w.value if isinstance(w.value, str) else list(w.value),
                      "origin": str(w.origin)} for w in policy.withheld],
    }
    try:
        _backend, ctx, plan, env = plan_for(policy, cmd, Plugins.load())
    except GuardError as exc:
        report["backend_error"] = str(exc)
        return report
    report.update({
        "backend": plan.backend,
        "unenforced": plan.unenforced,
        "mounts": [{"kind": m.kind, "path": m.dest, "why": m.why} for m in plan.mounts],
        "protected": [{"path": str(p.path), "why": p.why} for p in ctx.protected],
        "denied_reads": sorted({str(d.path) for d in ctx.denied_reads}),
        "env_passed": sorted(env.env),
        "env_dropped_secret": list(env.dropped_secret),
        "env_dropped_unlisted": list(env.dropped_unlisted),
        "argv": plan.argv,
        "notes": plan.notes,
    })
    return report


def main(args: argparse.Namespace) -> int:
    report = collect(["true"])
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return 0
    out = []
    out.append(f"workspace: {report['workspace']}")
    for layer in report["layers"]:
        out.append(f"layer {layer['layer']:8} {layer['file']}")
    if report["repo_policy"]:
        out.append(f"sandbox.toml trusted: {'yes' if report['repo_trusted'] else 'NO (widening entries left out; run `guard trust`)'}")
    out.append("")
    out.append("rules (value <- where it came from):")
    for rule in report["rules"]:
        out.append(f"  {rule['key']:24} {rule['value']!s:32} <- {rule['origin']}")
    for item in report["withheld"]:
        out.append(f"  WITHHELD {item['key']:15} {item['value']!s:32} <- {item['origin']} (untrusted)")
    out.append("")
    if "backend_error" in report:
        out.append(f"backend: cannot run here: {report['backend_error']}")
    else:
        out.append(f"backend: {report['backend']}")
        for item in report["unenforced"] or []:
            out.append(f"  NOT ENFORCED HERE: {item}")
        for note in report["notes"] or []:
            out.append(f"  note: {note}")
        out.append("mounts (in order; later ones win):")
        for m in report["mounts"]:
            out.append(f"  {m['kind']:9} {m['path']}  # {m['why']}")
        out.append(f"environment passed: {', '.join(report['env_passed'])}")
        out.append(f"dropped as secret-looking: {', '.join(report['env_dropped_secret']) or '-'}")
        out.append(f"dropped as not listed ([env] pass adds names): {', '.join(report['env_dropped_unlisted']) or '-'}")
    print("\n".join(out))
    return 0
