#!/usr/bin/python3
"""Turn Google Benchmark JSON from bench/sim_bench (and bench/codec_bench) into tables and plots.

Usage:
  build/release/bench/sim_bench --benchmark_out=sim.json --benchmark_out_format=json
  tools/bench-table.py sim.json [codec.json ...] [--plot DIR]

Prints one Markdown table per benchmark family found:
  lookup_scaling  N, mean and p99 hops beside 1/2 log2 N, wall time per lookup
  sim_throughput  N, events per second, events per node per second, heap bytes per node
  encode/decode   message type, time per message
With --plot DIR, also writes (needs python3-matplotlib, as chordsim's plots do):
  DIR/lookup_hops.png      hops against log2 N, with the 1/2 log2 N line
  DIR/sim_scaling.png      wall time per lookup, events per second and memory per node
                           against N (log axes)
"""

import argparse
import json
import math
import os
import re
import sys


def load(paths):
    runs = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as file:
                data = json.load(file)
        except (OSError, ValueError) as error:
            sys.exit(f"bench-table: {path}: {error}")
        for run in data.get("benchmarks", []):
            if run.get("run_type", "iteration") != "iteration" or run.get("error_occurred"):
                continue
            runs.append(run)
    return runs


def family(run):
    return run["name"].split("/")[0]


def size(run):
    match = re.match(r"[^/]+/(\d+)", run["name"])
    return int(match.group(1)) if match else 0


def seconds(run, key):
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[run.get("time_unit", "ns")]
    return run[key] * scale


def lookup_table(runs):
    rows = sorted((r for r in runs if family(r) == "lookup_scaling"), key=size)
    if not rows:
        return []
    print("| N | log2 N | hops mean | hops p99 | 1/2 log2 N | wall per lookup |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        n = size(r)
        per_lookup_us = seconds(r, "real_time") / 1000 * 1e6  # a batch is 1,000 lookups
        print(f"| {n:,} | {math.log2(n):.0f} | {r['hops_mean']:.2f} | {r['hops_p99']:.0f} | "
              f"{r['half_log2_n']:.1f} | {per_lookup_us:.1f} us |")
    print()
    return rows


def throughput_table(runs):
    rows = sorted((r for r in runs if family(r) == "sim_throughput"), key=size)
    if not rows:
        return []
    print("| N | events/s | events per node per s | heap bytes per node |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {size(r):,} | {r['events_per_s'] / 1e6:.2f} M | {r['events_per_node_s']:.1f} | "
              f"{r['bytes_per_node']:,.0f} |")
    print()
    return rows


def codec_table(runs):
    by_type = {}
    for r in runs:
        if family(r) in ("encode", "decode", "encoded_size"):
            by_type.setdefault(size(r), {})[family(r)] = r
    if not by_type:
        return
    print("| type | message | encode | decode | encoded_size |")
    print("|---|---|---|---|---|")
    for index in sorted(by_type):
        cells = by_type[index]
        label = next(iter(cells.values())).get("label", "")
        times = [f"{seconds(cells[k], 'real_time') * 1e9:.1f} ns" if k in cells else ""
                 for k in ("encode", "decode", "encoded_size")]
        print(f"| {index} | {label} | " + " | ".join(times) + " |")
    print()


def plot(directory, lookups, throughput):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("bench-table: --plot needs matplotlib (Debian: python3-matplotlib)")
    os.makedirs(directory, exist_ok=True)
    if lookups:
        logs = [math.log2(size(r)) for r in lookups]
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(logs, [r["hops_mean"] for r in lookups], "o-", label="mean hops")
        ax.plot(logs, [r["hops_p99"] for r in lookups], "s--", label="p99 hops")
        ax.plot(logs, [x / 2 for x in logs], "k:", label="1/2 log2 N")
        ax.set_xlabel("log2 N")
        ax.set_ylabel("hops")
        ax.set_title("Lookup path length (fingers only)")
        ax.legend()
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(directory, "lookup_hops.png"), dpi=120)
        plt.close(fig)
    if lookups or throughput:
        fig, axes = plt.subplots(1, 3, figsize=(13, 4))
        if lookups:
            axes[0].loglog([size(r) for r in lookups],
                           [seconds(r, "real_time") / 1000 * 1e6 for r in lookups], "o-")
        axes[0].set_title("wall time per lookup (us)")
        if throughput:
            ns = [size(r) for r in throughput]
            axes[1].semilogx(ns, [r["events_per_s"] / 1e6 for r in throughput], "o-")
            axes[2].loglog(ns, [r["bytes_per_node"] for r in throughput], "o-")
            axes[2].axhline(2048, color="k", linestyle=":", label="2 KiB target")
            axes[2].legend()
        axes[1].set_title("events per second (M)")
        axes[2].set_title("heap bytes per node")
        for ax in axes:
            ax.set_xlabel("N")
            ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(directory, "sim_scaling.png"), dpi=120)
        plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="+", help="Google Benchmark JSON files")
    parser.add_argument("--plot", metavar="DIR", help="also write PNG plots into DIR")
    args = parser.parse_args()
    runs = load(args.json)
    if not runs:
        sys.exit("bench-table: no benchmark results in " + ", ".join(args.json))
    lookups = lookup_table(runs)
    throughput = throughput_table(runs)
    codec_table(runs)
    if args.plot:
        plot(args.plot, lookups, throughput)


if __name__ == "__main__":
    main()
