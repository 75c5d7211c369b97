#!/usr/bin/python3
"""Collect the summary.json files of a chordsim parameter sweep into one CSV and one plot.

Each argument is a chordsim output directory or a summary.json path. Every summary is
flattened to dotted keys (list items by index: events.0.at_s); -x names the swept parameter and -y (repeatable)
the results to plot. A key that is not found is also tried as `scenario.resolved.KEY`, so
`-x chord.successor_list_length` means `scenario.resolved.chord.successor_list_length`.

Writes PREFIX.csv (columns: run, the x key, the y keys, then every other key, rows sorted by
x) and PREFIX.png (each y against x). For y = lookups.hops_mean against a node count, the
plot adds the 1/2*log2 N line and the p50..p99 band, on a log2 x axis.

Usage:
  for n in 64 256 1024 4096; do build/release/tools/chordsim scenarios/path-length.yaml \\
      --set nodes.initial=$n --out results/sweep/n$n --quiet; done
  tools/chordsim_sweep.py -x nodes.initial -y lookups.hops_mean -o results/sweep/path-length \\
      results/sweep/n*

Needs only the Python standard library and matplotlib (Debian: python3-matplotlib).
"""

import argparse
import csv
import difflib
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (must come after matplotlib.use)
from matplotlib import ticker  # noqa: E402

PROG = os.path.basename(sys.argv[0])
RESOLVED_PREFIX = "scenario.resolved."
DEFAULT_Y = "lookups.hops_mean"

plt.rcParams.update({"font.size": 11, "axes.grid": True, "grid.alpha": 0.35, "savefig.dpi": 100})


class InputError(Exception):
    """Bad command line or input file; reported as a one-line error."""


# ---------------------------------------------------------------------------------------------
# Input


def flatten(node, prefix="", out=None):
    """{'a': {'b': 1}, 'c': [{'d': 2}]} -> {'a.b': 1, 'c.0.d': 2}: list items by index."""
    out = {} if out is None else out
    items = enumerate(node) if isinstance(node, list) else node.items()
    for key, value in items:
        name = f"{prefix}{key}"
        if isinstance(value, (dict, list)):
            flatten(value, f"{name}.", out)
        else:
            out[name] = value
    return out


def load_run(arg):
    """(run directory, flattened summary) for a directory or a summary.json path."""
    if os.path.isdir(arg):
        run, path = arg, os.path.join(arg, "summary.json")
    else:
        run, path = os.path.dirname(arg) or ".", arg
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path} is not valid JSON: {e}")
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object at top level")
    return os.path.normpath(run), flatten(data)


def resolve_key(key, runs):
    """The dotted key as found in at least one summary, trying scenario.resolved.KEY too."""
    for candidate in (key, RESOLVED_PREFIX + key):
        if any(candidate in flat for _, flat in runs):
            return candidate
    known = sorted({k for _, flat in runs for k in flat})
    short = {k[len(RESOLVED_PREFIX) :]: k for k in known if k.startswith(RESOLVED_PREFIX)}
    close = difflib.get_close_matches(key, known + list(short), n=5, cutoff=0.5)
    last = key.split(".")[-1]
    close = [k if k in known else short[k] for k in close]
    close += [k for k in known if k.split(".")[-1] == last]
    close = list(dict.fromkeys(close))  # drop duplicates, keep order
    hint = f"; close matches: {', '.join(close[:5])}" if close else ""
    raise InputError(f"key {key!r} not found in any summary{hint}")


def as_number(value, key, run):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{run}: {key} is not a number: {value!r}")
    return value


def sorted_by_x(runs, x_key):
    missing = [run for run, flat in runs if x_key not in flat]
    if missing:
        raise InputError(f"{x_key} missing in {', '.join(missing[:3])}")
    return sorted(runs, key=lambda r: (as_number(r[1][x_key], x_key, r[0]), r[0]))


# ---------------------------------------------------------------------------------------------
# Output


def cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_csv(path, runs, x_key, y_keys):
    first = [x_key] + [y for y in y_keys if y != x_key]
    rest = sorted({k for _, flat in runs for k in flat} - set(first))
    try:
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["run"] + first + rest)
            for run, flat in runs:
                writer.writerow([run] + [cell(flat.get(k)) for k in first + rest])
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror}")
    print(f"wrote {path}")


def short_name(key):
    return key[len(RESOLVED_PREFIX) :] if key.startswith(RESOLVED_PREFIX) else key


def is_node_count(key):
    return key.endswith("initial") or key.endswith("nodes")


def series(runs, x_key, y_key):
    """(xs, ys) for the runs that have a numeric y."""
    points = [(flat[x_key], flat.get(y_key)) for _, flat in runs]
    points = [(x, y) for x, y in points if isinstance(y, (int, float)) and not isinstance(y, bool)]
    return [x for x, _ in points], [y for _, y in points]


def plot_hops_extras(ax, runs, x_key, y_key, color):
    """p50 markers and a p50..p99 band around hops_mean, when the summaries have them."""
    stem = y_key[: -len("mean")]
    xs, p50 = series(runs, x_key, stem + "p50")
    xs99, p99 = series(runs, x_key, stem + "p99")
    if xs and xs == xs99:
        ax.fill_between(xs, p50, p99, color=color, alpha=0.12, label="p50 – p99 band")
        style = dict(linestyle="none", marker="D", markerfacecolor="white", zorder=3)
        ax.plot(xs, p50, color=color, label="p50", **style)
    elif xs99:
        ax.plot(xs99, p99, linestyle="none", marker="v", color=color, label="p99")


def plot_half_log2(ax, runs, x_key):
    xs = sorted({flat[x_key] for _, flat in runs if flat[x_key] > 0})
    if xs:
        ys = [0.5 * math.log2(x) for x in xs]
        ax.plot(xs, ys, color="black", linestyle="--", label="½·log2 N")


def y_label(y_keys):
    if all("hops" in key.split(".")[-1] for key in y_keys):
        return "hops per lookup"
    return short_name(y_keys[0]) if len(y_keys) == 1 else "value"


def plot_sweep(path, runs, x_key, y_keys):
    node_axis = is_node_count(x_key) and all(flat[x_key] > 0 for _, flat in runs)
    fig, ax = plt.subplots(figsize=(9, 6))
    for i, y_key in enumerate(y_keys):
        color = f"C{i}"
        xs, ys = series(runs, x_key, y_key)
        ax.plot(xs, ys, marker="o", color=color, label=short_name(y_key))
        if y_key.endswith("hops_mean"):
            plot_hops_extras(ax, runs, x_key, y_key, color)
    if node_axis and any(y.endswith("hops_mean") for y in y_keys):
        plot_half_log2(ax, runs, x_key)
        xs = sorted({flat[x_key] for _, flat in runs if flat[x_key] > 0})
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_locator(ticker.FixedLocator(xs))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _: f"{x:g}"))
        ax.xaxis.set_minor_locator(ticker.NullLocator())
        ax.set_ylim(bottom=0)
    x_label = short_name(x_key) + (" (log2 scale)" if ax.get_xscale() == "log" else "")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label(y_keys))
    names = sorted({str(flat["scenario.name"]) for _, flat in runs if "scenario.name" in flat})
    title = f"{', '.join(names) or 'chordsim'}: sweep of {short_name(x_key)}"
    ax.set_title(f"{title} ({len(runs)} runs)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    try:
        fig.savefig(path)
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror}")
    finally:
        plt.close(fig)
    print(f"wrote {path}")


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-x", required=True, metavar="KEY", help="swept parameter (dotted key)")
    parser.add_argument(
        "-y",
        action="append",
        metavar="KEY",
        help=f"result to plot against x; repeatable (default: {DEFAULT_Y})",
    )
    parser.add_argument(
        "-o",
        default="sweep",
        metavar="PREFIX",
        help="write PREFIX.csv and PREFIX.png (default: sweep)",
    )
    parser.add_argument(
        "inputs", nargs="*", metavar="DIR_OR_JSON", help="chordsim output dir or summary.json"
    )
    return parser.parse_args()


def main():
    args = parse_args()
    try:
        if not args.inputs:
            raise InputError("no inputs: give chordsim output directories or summary.json files")
        runs = [load_run(arg) for arg in args.inputs]
        x_key = resolve_key(args.x, runs)
        y_keys = []
        for y in args.y or [DEFAULT_Y]:
            key = resolve_key(y, runs)
            if key not in y_keys:
                y_keys.append(key)
        runs = sorted_by_x(runs, x_key)
        for y_key in y_keys:
            if not series(runs, x_key, y_key)[0]:
                raise InputError(f"{y_key} has no numeric value in any summary")
        if len({flat[x_key] for _, flat in runs}) < len(runs):
            print(f"{PROG}: warning: several runs share a value of {x_key}", file=sys.stderr)
        out_dir = os.path.dirname(args.o)
        if out_dir and not os.path.isdir(out_dir):
            raise InputError(f"output directory {out_dir} does not exist")
        write_csv(args.o + ".csv", runs, x_key, y_keys)
        plot_sweep(args.o + ".png", runs, x_key, y_keys)
    except InputError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
