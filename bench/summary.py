#!/usr/bin/env python3
"""Prints every throughput and memory figure with its ceiling and the ratio.

    cargo bench -p esl-bench --bench events --bench api
    cargo bench -p esl-proto --bench decode
    cargo build --release -p esl-bench --bins
    python3 bench/summary.py [--criterion DIR] [--bins DIR] [--repeat N]
                             [--baseline-criterion DIR] [--baseline-bins DIR]

Criterion figures come from DIR (default $CARGO_TARGET_DIR/criterion), each the median of its
samples, its ceiling measured in the same run.

The fresh-process figures run the `blast` and `idle-sessions` binaries of --bins (default the
release directory), each in a new process with the stand-in switch in another: events/s of
each adapter against the bare splitter, peak resident memory, page faults per event, resident
memory per idle outbound session. Every reader runs in N rounds (default 5), each round
running the splitter and every reader one after the other, so that client and ceiling meet
the same load; a reader's ratio is taken within each round, and the median of the rounds is
reported (on a machine shared with other work a single run can be off by half; the best run
of each, taken separately, compared a lucky reader with a lucky ceiling).

With --baseline-bins (and --baseline-criterion), a second build (the code before a change)
runs interleaved with the first, and the table has its figures side by side.
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
    if root is None or not root.exists():
        return rates
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


def rate(x):
    if x is None:
        return "—"
    return f"{x / 1e6:.2f}M/s" if x >= 1e6 else f"{x / 1e3:.1f}k/s"


def ratio(a, b):
    return "—" if not a or not b else f"{a / b:.2f}"


class Table:
    def __init__(self, baseline):
        self.baseline = baseline
        head = ["figure", "measured", "ceiling", "ratio"]
        if baseline:
            head += ["before", "ceiling", "ratio"]
        self.rows = [head + ["target"]]

    def add(self, figure, now, before=None, target=""):
        """`now` and `before`: (measured, ceiling, ratio) as text."""
        row = [figure, *now]
        if self.baseline:
            row += list(before or ("—", "—", "—"))
        self.rows.append(row + [target])

    def print(self):
        widths = [max(len(str(r[i])) for r in self.rows) for i in range(len(self.rows[0]))]
        for n, r in enumerate(self.rows):
            print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                            for i, (c, w) in enumerate(zip(r, widths))))
            if n == 0:
                print("  ".join("-" * w for w in widths))


def criterion_rows(table, now, before):
    def row(group, function, ceiling_function, figure, target=""):
        cells = []
        for rates in (now, before):
            got, ceiling = rates.get((group, function)), rates.get((group, ceiling_function))
            cells.append((rate(got), rate(ceiling), ratio(got, ceiling)))
        if now.get((group, function)) or before.get((group, function)):
            table.add(figure, cells[0], cells[1], target)

    targets = {"plain": "≥ 0.30", "json": "≥ 0.25", "big": "≥ 0.80"}
    for fmt in ("plain", "json", "big"):
        for adapter in ("tokio", "async-std", "smol", "blocking"):
            row(f"events-{fmt}", adapter, "splitter-ceiling",
                f"criterion: {fmt} events/s, {adapter}",
                targets[fmt] if adapter == "tokio" else "")
    for callers, target in (("1", "≥ 0.95"), ("64", "≥ 250k/s")):
        for adapter in ("tokio", "smol", "blocking"):
            row(f"api-{callers}-callers", adapter, "bare-loop-ceiling",
                f"criterion: api calls/s, {callers} caller(s), {adapter}",
                target if adapter == "tokio" else "")
    for fmt in ("plain", "json", "xml", "big-72KB"):
        row(fmt, "decode", "memchr-ceiling", f"criterion: {fmt} decode (esl-proto)",
            "≥ 400k/s" if fmt == "xml" else "")


def fresh_rows(table, builds, repeat, events, big_events, sessions):
    """builds: [bins dir, baseline bins dir or None]."""
    readers = ["tokio", "async-std", "smol", "blocking"]
    for fmt in ("plain", "json", "big"):
        n = str(big_events if fmt == "big" else events)
        runs = {}  # (build index, reader) -> [results]
        for _ in range(repeat):
            for b, bins in enumerate(builds):
                if bins is None:
                    continue
                for reader in ["splitter"] + readers:
                    result = run(bins / "blast", "--reader", reader, "--format", fmt, "--events", n)
                    runs.setdefault((b, reader), []).append(result)

        def median(values):
            values = sorted(v for v in values if v is not None)
            return values[len(values) // 2] if values else None

        def typical(b, reader, key):
            return median(r[key] for r in runs.get((b, reader), []))

        def typical_ratio(b, reader):
            pairs = zip(runs.get((b, reader), []), runs.get((b, "splitter"), []))
            return median(r["events_per_s"] / s["events_per_s"] for r, s in pairs)

        for reader in readers:
            cells = []
            for b in range(2):
                got = typical(b, reader, "events_per_s")
                ceiling = typical(b, "splitter", "events_per_s")
                share = typical_ratio(b, reader)
                cells.append((rate(got), rate(ceiling), f"{share:.2f}" if share else "—"))
            target = {"plain": "≥ 0.30", "json": "≥ 0.25", "big": "≥ 0.80"}[fmt]
            table.add(f"{fmt} events/s, {reader}, fresh process, median of {repeat}", cells[0],
                      cells[1], target if reader == "tokio" else "")
        for reader in ("tokio", "blocking"):
            cells = []
            for b in range(2):
                got = max((r["peak_rss_kib"] for r in runs.get((b, reader), [])), default=None)
                ceiling = typical(b, "splitter", "peak_rss_kib")
                cells.append((f"{got / 1024:.1f} MiB" if got else "—",
                              f"{ceiling / 1024:.1f} MiB" if ceiling else "—", ratio(got, ceiling)))
            table.add(f"peak RSS receiving {n} {fmt} events, {reader}, highest of {repeat}",
                      cells[0], cells[1], "≤ 8 MiB" if fmt == "plain" else "")
            cells = []
            for b in range(2):
                got, ceiling = typical(b, reader, "faults_per_event"), typical(b, "splitter", "faults_per_event")
                cells.append((f"{got:.2f}" if got is not None else "—",
                              f"{ceiling:.2f}" if ceiling is not None else "—", ""))
            table.add(f"page faults per {fmt} event, {reader}, fresh process", cells[0], cells[1])
    for adapter in ("tokio", "blocking"):
        for count in sessions.split(","):
            runs = {}
            for _ in range(repeat):
                for b, bins in enumerate(builds):
                    if bins is not None:
                        runs.setdefault(b, []).append(run(
                            bins / "idle-sessions", "--adapter", adapter, "--sessions", count))
            cells = []
            for b in range(2):
                got = runs.get(b)
                if not got:
                    cells.append(("—", "—", ""))
                    continue
                fresh = sorted(r["fresh_kib_per_session"] for r in got)[len(got) // 2]
                reused = sorted(r["reused_kib_per_session"] for r in got)[len(got) // 2]
                cells.append((f"{fresh:.1f} / {reused:.1f} KiB", "—", ""))
            table.add(f"idle outbound session ({adapter}), {count} sessions, fresh / long-running,"
                      f" median of {repeat}", cells[0], cells[1], "≤ 16 / ≤ 16 KiB")


def main():
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", "target"))
    p = argparse.ArgumentParser()
    p.add_argument("--criterion", type=pathlib.Path, default=target / "criterion")
    p.add_argument("--bins", type=pathlib.Path, default=target / "release")
    p.add_argument("--baseline-criterion", type=pathlib.Path)
    p.add_argument("--baseline-bins", type=pathlib.Path)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--events", type=int, default=200_000)
    p.add_argument("--big-events", type=int, default=30_000,
                   help="72 KB events per blast (200,000 of them is 14 GB through loopback)")
    p.add_argument("--sessions", default="1000,5000,10000")
    p.add_argument("--skip-bins", action="store_true")
    a = p.parse_args()

    table = Table(a.baseline_bins is not None or a.baseline_criterion is not None)
    criterion_rows(table, criterion_rates(a.criterion), criterion_rates(a.baseline_criterion))
    if not a.skip_bins:
        fresh_rows(table, [a.bins, a.baseline_bins], a.repeat, a.events, a.big_events, a.sessions)
    table.print()


if __name__ == "__main__":
    sys.exit(main())
