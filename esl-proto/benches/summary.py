#!/usr/bin/env python3
"""Prints the decode benchmark as a table: MB/s, events/s, and decode/ceiling ratios.

Run after `cargo bench -p esl-proto --bench decode`; reads target/criterion/.
"""
import json, pathlib, sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
rows = {}
for bench in sorted(root.glob("**/new/benchmark.json")):
    meta = json.loads(bench.read_text())
    est = json.loads((bench.parent / "estimates.json").read_text())
    seconds = est["mean"]["point_estimate"] / 1e9
    group, function = meta["group_id"], meta["function_id"]
    thr = meta.get("throughput") or {}
    if "Bytes" in thr:
        rows.setdefault((group, function), {})["MB/s"] = thr["Bytes"] / seconds / 1e6
    if "Elements" in thr:
        rows.setdefault((group, function), {})["events/s"] = thr["Elements"] / seconds
print(f"{'group':16} {'pass':28} {'MB/s':>10} {'per second':>12} {'vs ceiling':>11}")
for (group, function), r in sorted(rows.items()):
    ceilings = [v for (g, f), v in rows.items() if g == group and "ceiling" in f]
    key = "MB/s" if "MB/s" in r else "events/s"
    ceiling = next((c[key] for c in ceilings if key in c), None)
    ratio = r.get(key, 0) / ceiling if ceiling else 0
    print(f"{group:16} {function:28} {r.get('MB/s', 0):10.0f} {r.get('events/s', 0):12.0f} {ratio:11.2f}")
