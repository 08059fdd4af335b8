#!/usr/bin/env python3
"""Prints every throughput and memory figure with its ceiling and the ratio.

    cargo bench -p esl-bench --bench events --bench api
    cargo bench -p esl-proto --bench decode
    cargo build --release -p esl-bench --bins
    python3 bench/summary.py [--criterion DIR] [--bins DIR] [--repeat N] [--skip-bins]

Criterion figures come from DIR (default: $CARGO_TARGET_DIR/criterion or target/criterion),
each the median of its samples. The memory rows run the `blast` and `idle-sessions` binaries
from --bins (default: the release directory next to DIR), each in a fresh process, N times
(default 3), and keep the best run of each (the least disturbed by other load on the machine).
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys


def criterion_rates(root):
    """{(group, function): per-second rate} from criterion's estimates (median)."""
    rates = {}
    for bench in root.glob("**/new/benchmark.json"):
        meta = json.loads(bench.read_text())
        est = json.loads((bench.parent / "estimates.json").read_text())
        seconds = est["median"]["point_estimate"] / 1e9
        thr = meta.get("throughput") or {}
        if "Elements" in thr:
            rates[(meta["group_id"], meta["function_id"])] = thr["Elements"] / seconds
    return rates


def run(binary, *args):
    out = subprocess.run([str(binary), *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def best(runs, key, higher=True):
    return (max if higher else min)(runs, key=lambda r: r[key])


def table(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for n, r in enumerate(rows):
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths))))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def fmt_rate(x):
    return "—" if x is None else (f"{x / 1e6:.2f}M/s" if x >= 1e6 else f"{x / 1e3:.1f}k/s")


def ratio(a, b):
    return "—" if not a or not b else f"{a / b:.2f}"


def main():
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", "target"))
    p = argparse.ArgumentParser()
    p.add_argument("--criterion", type=pathlib.Path, default=target / "criterion")
    p.add_argument("--bins", type=pathlib.Path, default=target / "release")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--events", type=int, default=200_000)
    p.add_argument("--sessions", default="1000,5000,10000")
    p.add_argument("--skip-bins", action="store_true")
    a = p.parse_args()

    rows = [("figure", "measured", "ceiling", "ratio", "target")]
    rates = criterion_rates(a.criterion) if a.criterion.exists() else {}
    targets = {"plain": "≥ 0.30", "json": "≥ 0.25", "big": "≥ 0.80"}
    for fmt in ("plain", "json", "big"):
        group = f"events-{fmt}"
        ceiling = rates.get((group, "splitter-ceiling"))
        for adapter in ("tokio", "async-std", "smol", "blocking"):
            got = rates.get((group, adapter))
            if got is not None:
                rows.append((f"{fmt} events/s, {adapter} event stream", fmt_rate(got),
                             fmt_rate(ceiling), ratio(got, ceiling),
                             targets[fmt] if adapter == "tokio" else ""))
    for callers, target_text in (("1", "≥ 0.95"), ("64", "≥ 250k/s")):
        group = f"api-{callers}-callers"
        ceiling = rates.get((group, "bare-loop-ceiling"))
        for adapter in ("tokio", "smol", "blocking"):
            got = rates.get((group, adapter))
            if got is not None:
                rows.append((f"api calls/s, {callers} caller(s), {adapter}", fmt_rate(got),
                             fmt_rate(ceiling), ratio(got, ceiling),
                             target_text if adapter == "tokio" else ""))
    for fmt in ("plain", "json", "xml", "big-72KB"):
        got = rates.get((fmt, "decode"))
        ceiling = rates.get((fmt, "memchr-ceiling"))
        if got is not None:
            rows.append((f"{fmt} decode (esl-proto, criterion)", fmt_rate(got), fmt_rate(ceiling),
                         ratio(got, ceiling), "≥ 400k/s" if fmt == "xml" else ""))

    if not a.skip_bins:
        blast = a.bins / "blast"
        for fmt in ("plain", "json", "big"):
            n = str(a.events)
            split = [run(blast, "--reader", "splitter", "--format", fmt, "--events", n)
                     for _ in range(a.repeat)]
            client = [run(blast, "--reader", "tokio", "--format", fmt, "--events", n)
                      for _ in range(a.repeat)]
            s_rss, c_rss = best(split, "peak_rss_kib", False), best(client, "peak_rss_kib", False)
            rows.append((f"peak RSS, {n} {fmt} events, tokio (MiB)",
                         f"{c_rss['peak_rss_kib'] / 1024:.1f}", f"{s_rss['peak_rss_kib'] / 1024:.1f}",
                         ratio(c_rss["peak_rss_kib"], s_rss["peak_rss_kib"]),
                         "≤ 8 MiB" if fmt == "plain" else ""))
            s_fast, c_fast = best(split, "events_per_s"), best(client, "events_per_s")
            rows.append((f"{fmt} events/s in a fresh process, tokio",
                         fmt_rate(c_fast["events_per_s"]), fmt_rate(s_fast["events_per_s"]),
                         ratio(c_fast["events_per_s"], s_fast["events_per_s"]),
                         "≥ 0.80" if fmt == "big" else ""))
            rows.append((f"page faults per {fmt} event, fresh process, tokio",
                         f"{best(client, 'faults_per_event', False)['faults_per_event']:.2f}",
                         f"{best(split, 'faults_per_event', False)['faults_per_event']:.2f}", "", ""))
        for n in a.sessions.split(","):
            runs = [run(a.bins / "idle-sessions", "--sessions", n) for _ in range(a.repeat)]
            r = best(runs, "fresh_kib_per_session", False)
            l = best(runs, "reused_kib_per_session", False)
            rows.append((f"KiB per idle outbound session (tokio), {n}, fresh / long-running",
                         f"{r['fresh_kib_per_session']:.1f} / {l['reused_kib_per_session']:.1f}",
                         "—", "", "≤ 16 / ≤ 16"))
    table(rows)


if __name__ == "__main__":
    sys.exit(main())
