#!/usr/bin/env python3
"""Sums a torch profile (Chrome trace JSON, e.g. from `diffusion_bench MODEL --profile FILE`) per
operation: self time (the operation's own time, without the operations it called), total time and
calls, most self time first. The engine's fused kernels appear as rendermart::attention,
rendermart::group_norm, rendermart::layer_norm, rendermart::geglu and rendermart::exact_gelu.

  python3 bench/profile_summary.py FILE [--top N]
"""
import argparse
import collections
import json


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace")
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args()
    with open(args.trace) as f:
        events = [e for e in json.load(f) if e.get("ph") == "X"]
    # Events of one thread nest; an event's self time is its duration less its direct children's.
    events.sort(key=lambda e: (e["ts"], -e["dur"]))
    children = [0.0] * len(events)
    stack = []
    for i, e in enumerate(events):
        while stack and events[stack[-1]]["ts"] + events[stack[-1]]["dur"] <= e["ts"]:
            stack.pop()
        if stack:
            children[stack[-1]] += e["dur"]
        stack.append(i)
    self_us = collections.Counter()
    total_us = collections.Counter()
    calls = collections.Counter()
    for e, inner in zip(events, children):
        self_us[e["name"]] += e["dur"] - inner
        total_us[e["name"]] += e["dur"]
        calls[e["name"]] += 1
    span = max(e["ts"] + e["dur"] for e in events) - min(e["ts"] for e in events)
    print(f"span of the profile: {span / 1000:.1f} ms\n")
    print("| operation | self ms | total ms | calls |")
    print("|---|---|---|---|")
    for name, us in self_us.most_common(args.top):
        print(f"| {name} | {us / 1000:.1f} | {total_us[name] / 1000:.1f} | {calls[name]} |")


if __name__ == "__main__":
    main()
