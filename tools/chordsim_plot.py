#!/usr/bin/python3
"""Plot the results of one chordsim run.

Reads summary.json, timeseries.csv, hops.csv, latency.csv and events.csv from a chordsim
output directory and writes three PNG files next to them:

  hops.png      hop-count PDF of successful lookups, with 1/2*log2 N and the measured mean
  latency.png   lookup latency histogram (log x axis), with p50 and p99 marked
  timeline.png  failed lookups, ring correctness and live nodes over virtual time, with
                every fault event from events.csv drawn as a dotted vertical line

Usage:
  build/release/tools/chordsim scenarios/churn.yaml --out results/churn --quiet
  tools/chordsim_plot.py results/churn

Needs only the Python standard library and matplotlib (Debian: python3-matplotlib).
"""

import argparse
import csv
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (must come after matplotlib.use)
from matplotlib import ticker, transforms  # noqa: E402

PROG = os.path.basename(sys.argv[0])
TIMELINE_MINUTES_ABOVE_S = 30 * 60  # use minutes on the time axis for longer runs
LABEL_STEP_PT = 14  # vertical distance between staggered event labels
TIMESERIES_REQUIRED = [
    "time_s",
    "live_nodes",
    "lookups",
    "lookup_failed_fraction",
    "ring_correct_fraction",
]
TIMESERIES_OPTIONAL = [
    "members",
    "ring_ideal",
    "successor_correct_fraction",
    "lookups_failed",
    "lookups_wrong",
]

plt.rcParams.update(
    {
        "font.size": 11,
        "axes.titlesize": 12,
        "axes.grid": True,
        "grid.alpha": 0.35,
        "savefig.dpi": 100,
    }
)


class InputError(Exception):
    """A missing or malformed input file; reported as a one-line error."""


# ---------------------------------------------------------------------------------------------
# Input


def load_summary(run_dir):
    path = os.path.join(run_dir, "summary.json")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path} is not valid JSON: {e}")
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object at top level")
    return data


def get(summary, dotted_key, default=None):
    """summary['a']['b'] for dotted_key 'a.b', or default when any part is missing."""
    node = summary
    for part in dotted_key.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def get_number(summary, dotted_key, default=None):
    """Like get(), but the value must be a number (or missing)."""
    value = get(summary, dotted_key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"summary.json: {dotted_key} is not a number: {value!r}")
    return value


def parse_number(text, path, line, column):
    """A float from a CSV cell; None for an empty cell."""
    text = text.strip()
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{path}:{line}: column {column!r}: not a number: {text!r}")


def read_csv(run_dir, name, required, optional=()):
    """Rows of run_dir/name as dicts of floats (None for empty cells), looked up by name.

    Columns in `required` must be in the header; `optional` ones are read when present.
    Any other columns are ignored, so new columns can be added to the files freely.
    """
    path = os.path.join(run_dir, name)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader, [])]
            missing = [c for c in required if c not in header]
            if missing:
                raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
            wanted = [c for c in list(required) + list(optional) if c in header]
            index = {c: header.index(c) for c in wanted}
            rows = []
            for row in reader:
                if not row or all(not cell.strip() for cell in row):
                    continue
                if len(row) < len(header):
                    raise InputError(f"{path}:{reader.line_num}: expected {len(header)} fields")
                rows.append(
                    {c: parse_number(row[i], path, reader.line_num, c) for c, i in index.items()}
                )
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}")
    except (csv.Error, UnicodeDecodeError) as e:
        raise InputError(f"{path}: malformed CSV: {e}")
    return rows


def read_events(run_dir):
    """(time_s, label) pairs from events.csv; the label is free text and may contain commas."""
    path = os.path.join(run_dir, "events.csv")
    events = []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader, [])]
            if header[:2] != ["time_s", "event"]:
                raise InputError(f"{path}: expected header 'time_s,event', got {header!r}")
            for row in reader:
                if not row or all(not cell.strip() for cell in row):
                    continue
                t = parse_number(row[0], path, reader.line_num, "time_s")
                if t is None:
                    raise InputError(f"{path}:{reader.line_num}: empty time_s")
                events.append((t, ",".join(row[1:]).strip()))
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}")
    except (csv.Error, UnicodeDecodeError) as e:
        raise InputError(f"{path}: malformed CSV: {e}")
    return sorted(events)


# ---------------------------------------------------------------------------------------------
# Plots


def run_title(summary):
    name = get(summary, "scenario.name", "chordsim")
    seed = get(summary, "scenario.seed")
    return name if seed is None else f"{name}, seed {seed}"


def node_count(summary):
    fallback = get_number(summary, "scenario.resolved.nodes.initial")
    return get_number(summary, "nodes.initial", fallback)


def n_label(n):
    return "N = ?" if n is None else f"N = {n:g}"


def scenario_name(summary):
    return str(get(summary, "scenario.name", "chordsim"))


def save(fig, run_dir, name):
    path = os.path.join(run_dir, name)
    try:
        fig.savefig(path)
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror}")
    finally:
        plt.close(fig)
    print(f"wrote {path}")


def load_inputs(run_dir):
    """Read and check every input file before any plot is written."""
    if not os.path.isdir(run_dir):
        raise InputError(f"{run_dir}: no such directory")
    latency_columns = ["latency_ms_low", "latency_ms_high", "count"]
    inputs = {
        "summary": load_summary(run_dir),
        "hops": read_csv(run_dir, "hops.csv", ["hops", "count"]),
        "latency": read_csv(run_dir, "latency.csv", latency_columns),
        "timeseries": read_csv(run_dir, "timeseries.csv", TIMESERIES_REQUIRED, TIMESERIES_OPTIONAL),
        "events": read_events(run_dir),
    }
    inputs["hops"] = [r for r in inputs["hops"] if r["hops"] is not None and r["count"]]
    inputs["latency"] = [r for r in inputs["latency"] if r["count"]]
    if any(r["latency_ms_low"] is None or r["latency_ms_high"] is None for r in inputs["latency"]):
        raise InputError(f"{os.path.join(run_dir, 'latency.csv')}: empty bucket bound")
    rows = [r for r in inputs["timeseries"] if r["time_s"] is not None]
    inputs["timeseries"] = sorted(rows, key=lambda r: r["time_s"])
    if not inputs["timeseries"]:
        raise InputError(f"{os.path.join(run_dir, 'timeseries.csv')}: no data")
    return inputs


def plot_hops(run_dir, summary, rows):
    total = sum(r["count"] for r in rows)
    hops = [r["hops"] for r in rows]
    pdf = [r["count"] / total for r in rows]

    fig, ax = plt.subplots(figsize=(8, 5))
    ax.bar(hops, pdf, width=0.8, color="tab:blue", alpha=0.75, label="successful lookups")
    n = node_count(summary)
    half_log2_n = get_number(summary, "lookups.half_log2_n")
    if half_log2_n is None and n:
        half_log2_n = 0.5 * math.log2(n)
    if half_log2_n is not None:
        ax.axvline(half_log2_n, color="black", linestyle="--", linewidth=1.5)
        ax.plot([], [], color="black", linestyle="--", label=f"½·log2 N = {half_log2_n:.2f}")
    model = get_number(summary, "lookups.hops_model")
    if model is not None and half_log2_n is not None and abs(model - half_log2_n) > 1e-9:
        r = get(summary, "scenario.resolved.chord.successor_list_length", "r")
        ax.axvline(model, color="tab:green", linestyle="-.", linewidth=1.5)
        ax.plot([], [], color="tab:green", linestyle="-.",
                label=f"½·log2 N − ½·log2 r (r = {r}) = {model:.2f}")
    mean = get_number(summary, "lookups.hops_mean")
    if mean is None:
        mean = sum(h * p for h, p in zip(hops, pdf))
    ax.axvline(mean, color="tab:red", linewidth=1.5, label=f"measured mean = {mean:.2f}")

    ax.set_xlabel("hops per lookup")
    ax.set_ylabel("fraction of lookups")
    ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=20, integer=True))
    ax.grid(axis="x", visible=False)
    ax.set_title(f"{scenario_name(summary)}: hop count ({n_label(n)})")
    ax.legend()
    fig.tight_layout()
    save(fig, run_dir, "hops.png")


def plot_latency(run_dir, summary, rows):
    total = sum(r["count"] for r in rows)
    # A log axis cannot show 0: draw a bucket that starts at 0 from half its upper edge.
    lows = [r["latency_ms_low"] or r["latency_ms_high"] / 2 for r in rows]
    highs = [r["latency_ms_high"] for r in rows]
    pct = [100.0 * r["count"] / total for r in rows]

    fig, ax = plt.subplots(figsize=(8, 5))
    widths = [h - lo for lo, h in zip(lows, highs)]
    ax.bar(lows, pct, width=widths, align="edge", color="tab:blue", alpha=0.75, label="lookups")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(ticker.FuncFormatter(minor_latency_label))
    marks = [("p50", "latency_ms_p50", "--"), ("p99", "latency_ms_p99", ":")]
    for label, key, style in marks:
        value = get_number(summary, f"lookups.{key}")
        if value is not None:
            label = f"{label} = {value:g} ms"
            ax.axvline(value, color="tab:red", linestyle=style, linewidth=1.8, label=label)
    mean = get_number(summary, "lookups.latency_ms_mean")
    if mean is not None:
        ax.axvline(mean, color="black", linewidth=1.2, label=f"mean = {mean:.1f} ms")
    ax.set_xlabel("lookup latency (ms, log scale)")
    ax.set_ylabel("% of lookups per bucket")
    ax.set_title(f"{scenario_name(summary)}: lookup latency")
    ax.legend()
    fig.tight_layout()
    save(fig, run_dir, "latency.png")


def minor_latency_label(x, _pos):
    """Label the 2x and 5x minor ticks of a log axis (e.g. 20, 50, 200, 500)."""
    mantissa = x / 10 ** math.floor(math.log10(x) + 1e-9)
    return f"{x:g}" if round(mantissa) in (2, 5) and abs(mantissa - round(mantissa)) < 1e-6 else ""


def time_scale(rows, events, summary):
    """(divisor, unit) for the time axis: minutes when the run is longer than 30 minutes."""
    end = max([r["time_s"] for r in rows] + [t for t, _ in events])
    end = max(end, get_number(summary, "virtual_duration_s", 0))
    return (60.0, "min") if end > TIMELINE_MINUTES_ABOVE_S else (1.0, "s")


def failed_percent(row):
    """Failed + wrong-owner lookups of one window in %, or None for windows without lookups."""
    if not row["lookups"]:
        return None
    fraction = row["lookup_failed_fraction"]
    if fraction is None and row.get("lookups_failed") is not None:
        fraction = (row["lookups_failed"] + (row.get("lookups_wrong") or 0)) / row["lookups"]
    return None if fraction is None else 100.0 * fraction


def panel_failures(ax, rows, scale):
    points = [(r["time_s"] / scale, failed_percent(r)) for r in rows]
    points = [(t, p) for t, p in points if p is not None]
    if points:
        # A row counts the lookups of the window that ends at time_s.
        ax.plot(*zip(*points), color="tab:red", linewidth=1.3, drawstyle="steps-pre")
    else:
        ax.text(0.5, 0.5, "no lookups", transform=ax.transAxes, ha="center", color="gray")
    # At least 0-1 %, so that a little noise does not look like an outage.
    ax.set_ylim(0, max([1.0] + [1.1 * p for _, p in points]))
    ax.set_ylabel("failed lookups\n(% per window)")


def ideal_spans(rows):
    """Merged (start_s, end_s) spans where the ring was ideal; a sample holds until the next."""
    spans = []
    for i, row in enumerate(rows):
        if not row.get("ring_ideal"):
            continue
        start = row["time_s"]
        end = rows[i + 1]["time_s"] if i + 1 < len(rows) else start
        if spans and spans[-1][1] == start:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def panel_ring(ax, rows, scale):
    for i, (start, end) in enumerate(ideal_spans(rows)):
        label = "ring ideal" if i == 0 else None
        ax.axvspan(start / scale, end / scale, color="tab:green", alpha=0.15, label=label)
    columns = [
        ("ring_correct_fraction", "ring correct", "tab:blue", "-"),
        ("successor_correct_fraction", "successor correct", "tab:purple", "--"),
    ]
    lowest = 100.0
    for column, label, color, style in columns:
        points = [(r["time_s"] / scale, 100 * r[column]) for r in rows if r.get(column) is not None]
        if points:
            # Sampled at time_s; the state holds until the next sample.
            ax.plot(*zip(*points), color=color, linestyle=style, linewidth=1.3, label=label,
                    drawstyle="steps-post")
            lowest = min([lowest] + [p for _, p in points])
    ax.set_ylim(max(0.0, min(90.0, lowest - 5)), 101)
    ax.set_ylabel("ring correctness\n(% of nodes)")
    ax.legend(loc="lower right", fontsize=9, framealpha=0.9)


def panel_nodes(ax, rows, scale):
    times = [r["time_s"] / scale for r in rows]
    live = [r["live_nodes"] for r in rows]
    ax.plot(
        times, live, color="tab:gray", linewidth=1.5, label="live nodes", drawstyle="steps-post"
    )
    members = [r.get("members") for r in rows]
    if any(m is not None and m != n for m, n in zip(members, live)):
        ax.plot(times, members, color="tab:orange", linestyle="--", label="members",
                drawstyle="steps-post")
    ax.set_ylim(bottom=0)
    ax.set_ylabel("nodes")
    ax.legend(loc="lower right", fontsize=9, framealpha=0.9)


def event_label(ax, x, label, level, align):
    """One event label above ax, at data x, on stagger level `level`, with a dotted leader."""
    blend = transforms.blended_transform_factory(ax.transData, ax.transAxes)
    leader = dict(arrowstyle="-", linestyle=":", shrinkA=0, shrinkB=0)
    leader["relpos"] = (0, 0) if align == "left" else (1, 0)
    return ax.annotate(
        label,
        xy=(x, 1.0),
        xycoords=blend,
        xytext=(0, 4 + LABEL_STEP_PT * level),
        textcoords="offset points",
        fontsize=9,
        ha=align,
        va="bottom",
        arrowprops=leader,
        # Lower labels are drawn on top, so that the leaders of higher ones pass behind them.
        bbox=dict(boxstyle="square,pad=0.1", facecolor="white", edgecolor="none"),
        zorder=10 - level / 100,
        annotation_clip=False,
    )


def draw_events(fig, axes, events, scale):
    """Dotted line per event across all panels, labelled above the top panel.

    Labels are stacked on as many levels as needed so that close events do not overlap; a
    label that would run off the right edge is put left of its line. Returns the levels used.
    """
    for ax in axes:
        for t, _ in events:
            ax.axvline(t / scale, color="black", linestyle=":", linewidth=1.2)
    renderer = fig.canvas.get_renderer()
    placed = []  # (level, window extent) of every label drawn so far
    for t, label in events:
        for level in range(len(events)):
            text = event_label(axes[0], t / scale, label, level, "left")
            extent = text.get_window_extent(renderer)
            if extent.x1 > fig.bbox.x1:
                text.remove()
                text = event_label(axes[0], t / scale, label, level, "right")
                extent = text.get_window_extent(renderer)
            extent.x1 += 6  # keep a small gap between neighbours
            if not any(lv == level and extent.overlaps(e) for lv, e in placed):
                placed.append((level, extent))
                break
            text.remove()
    return 1 + max((lv for lv, _ in placed), default=-1)


def plot_timeline(run_dir, summary, rows, events):
    scale, unit = time_scale(rows, events, summary)

    fig, axes = plt.subplots(3, 1, sharex=True, figsize=(10, 8))
    # Fixed margins, so that label placement in draw_events measures final x positions.
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.07, top=0.9, hspace=0.1)
    panel_failures(axes[0], rows, scale)
    panel_ring(axes[1], rows, scale)
    panel_nodes(axes[2], rows, scale)
    end = max([rows[-1]["time_s"]] + [t for t, _ in events])
    axes[2].set_xlim(0, max(end, get_number(summary, "virtual_duration_s", 0)) / scale)
    axes[2].set_xlabel(f"virtual time ({unit})")
    levels = draw_events(fig, axes, events, scale)
    # Room above the top panel: title plus one 14 pt line per label level (800 px figure).
    fig.subplots_adjust(top=0.93 - levels * LABEL_STEP_PT / 72 * 100 / 800)
    fig.align_ylabels(axes)
    fig.suptitle(f"{run_title(summary)}, {n_label(node_count(summary))}: timeline", fontsize=13)
    save(fig, run_dir, "timeline.png")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dir", help="chordsim output directory (written with --out)")
    args = parser.parse_args()
    try:
        inputs = load_inputs(args.dir)
        summary = inputs["summary"]
        # A run without completed lookups (none asked, or all failed) has no histograms.
        if inputs["hops"]:
            plot_hops(args.dir, summary, inputs["hops"])
        if inputs["latency"]:
            plot_latency(args.dir, summary, inputs["latency"])
        if not inputs["hops"] or not inputs["latency"]:
            print(f"{PROG}: no lookup completed: hops.png and latency.png not drawn")
        plot_timeline(args.dir, summary, inputs["timeseries"], inputs["events"])
    except InputError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
