#!/usr/bin/python3
"""Markdown report of a hopcap run file, grid mode or capacity mode.

Usage: tools/report.py FILE.h5 [--out REPORT.md] [--figures DIR] [--no-plot] [--delta D] [--theta DEG]

Sections: provenance (version, git state, command line, ranks, threads, libraries, hosts,
times, timings), the axes, point counts by status with the failure messages, result tables,
and links to the figures of tools/plot.py. By default the report goes next to FILE as
FILE_report.md and the figures into FILE_figures/ (the folder tools/plot.py uses); with
--no-plot the report links the PNGs already in the figures folder instead of drawing them.
Only points with status ok (1) enter the tables.
"""
import argparse
import os
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.dont_write_bytecode = True  # keep tools/ free of __pycache__
import plot  # noqa: E402  (tools/plot.py: reading, pooling and the figures)

import numpy as np  # noqa: E402

STATUS_NAMES = {0: "not_run", 1: "ok", 2: "failed", 3: "skipped"}
MAX_TABLE_ROWS = 2000
MAX_FAILURE_MESSAGES = 50

# Global attributes, in the order the report lists them (docs/output-format.md).
PROVENANCE = (
    ("title", "title"),
    ("mode", "file kind"),
    ("hopcap_version", "hopcap version"),
    ("git_sha", "git commit"),
    ("git_dirty", "uncommitted changes in the build"),
    ("command_line", "command line"),
    ("mpi_ranks", "MPI ranks"),
    ("group_size", "ranks per group"),
    ("omp_threads_per_rank", "OpenMP threads per rank"),
    ("omp_threads_chosen_by", "threads chosen by"),
    ("blas", "BLAS"),
    ("blas_threading", "BLAS threading"),
    ("mpi_library", "MPI library"),
    ("hdf5_library", "HDF5 library"),
    ("hosts", "hosts"),
    ("start_time", "start (UTC)"),
    ("end_time", "end (UTC)"),
    ("configurations_run", "configurations run"),
    ("configurations_failed", "configurations failed"),
    ("gflops_counted", "GFLOP counted"),
    ("timings", "timings (s)"),
    ("seeds", "seeds"),
    ("hopcap_format_version", "file layout version"),
    ("Conventions", "conventions"),
)
# Written when a run ends; their absence means the run was killed or is still going.
FINAL_ATTRIBUTES = {"end_time", "timings", "configurations_run", "configurations_failed", "gflops_counted"}


def cell(value):
    """Text that is safe inside a Markdown table cell."""
    text = str(value).replace("\r", " ").replace("\n", " ").strip()
    return text.replace("|", "\\|") or " "


def table(header, rows):
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def number(value, digits=3):
    if value is None or not np.isfinite(value):
        return "–"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.{digits}g}" if abs(value) >= 1e4 or abs(value) < 1e-3 else f"{value:.{digits}f}"


def spread(values, style=".3f"):
    """'mean' or 'mean (min–max)' of the finite values; '–' if none."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return "–"
    mean, low, high = values.mean(), values.min(), values.max()
    if np.isclose(low, high, rtol=1e-12, atol=0):
        return f"{mean:{style}}"
    return f"{mean:{style}} ({low:{style}}–{high:{style}})"


def capacity_text(capacity, bound):
    """M* with its bound: '≥M' (held at the largest M), '≤M' (failed at the smallest M)."""
    if capacity is None or not np.isfinite(capacity):
        return "–"
    prefix = {1: "≥", -1: "≤"}.get(int(bound), "") if np.isfinite(bound) else ""
    return f"{prefix}{int(capacity)}"


# ---- sections ---------------------------------------------------------------------------------


def provenance_section(ds):
    rows = []
    for key, meaning in PROVENANCE:
        if key in ds.attrs:
            value = ds.attrs[key]
            if key == "timings":
                value = "see the timings table"
            rows.append((f"`{key}`", meaning, value))
        elif key in FINAL_ATTRIBUTES:
            rows.append((f"`{key}`", meaning, "absent: written when a run ends (killed, or still running)"))
        elif key == "mode":
            rows.append((f"`{key}`", meaning, "absent: read as grid (files written before the attribute existed)"))
        else:
            rows.append((f"`{key}`", meaning, "absent"))
    lines = ["## Provenance", ""] + table(("attribute", "meaning", "value"), rows) + [""]
    timings = str(ds.attrs.get("timings", ""))
    phases = re.findall(r"(\w+) min (\S+) mean (\S+) max (\S+?)(?:;|$)", timings)
    if phases:
        lines += ["### Timings", "", "Seconds per rank, reduced over the ranks.", ""]
        lines += table(("phase", "min", "mean", "max"), phases) + [""]
    elif timings:
        lines += ["### Timings", "", f"`{timings}`", ""]
    config = str(ds.attrs.get("config", ""))
    if config:
        lines += ["<details><summary>Effective configuration (feed it back to <code>hopcap run</code> to repeat "
                  "the run)</summary>", "", "```toml", config.rstrip(), "```", "", "</details>", ""]
    return lines


def axes_section(ds):
    rows = []
    for axis in plot.grid_dims(ds):
        values = [plot.format_value(v) for v in ds[axis].values]
        shown = ", ".join(values) if len(values) <= 20 else ", ".join(values[:20]) + f", … ({len(values)} values)"
        rows.append((f"`{axis}`", ds[axis].attrs.get("long_name", ""), len(values), shown))
    return ["## Axes", ""] + table(("axis", "meaning", "size", "values"), rows) + [""]


def point_description(ds, index):
    return ", ".join(f"{axis}={plot.format_value(ds[axis].values[i])}" for axis, i in zip(plot.grid_dims(ds), index))


def status_section(ds):
    status = ds["status"].values
    counts = Counter(int(v) for v in status.ravel())
    rows = [(name, counts.get(code, 0)) for code, name in STATUS_NAMES.items()]
    rows.append(("total", status.size))
    lines = ["## Points by status", ""] + table(("status", "points"), rows) + [""]
    failed = np.argwhere(status == 2)
    if len(failed):
        messages = ds["message"].values if "message" in ds else None
        grouped = {}
        for index in failed:
            text = messages[tuple(index)] if messages is not None else ""
            text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
            grouped.setdefault(text.rstrip("\0") or "(no message)", []).append(tuple(index))
        rows = [(message, len(points), point_description(ds, points[0]))
                for message, points in sorted(grouped.items(), key=lambda item: -len(item[1]))]
        lines += ["### Failures", ""]
        if len(rows) > MAX_FAILURE_MESSAGES:
            lines += [f"The {MAX_FAILURE_MESSAGES} most frequent of {len(rows)} distinct messages.", ""]
        lines += table(("message", "points", "first point"), rows[:MAX_FAILURE_MESSAGES]) + [""]
    return lines


def capped(rows, what):
    if len(rows) > MAX_TABLE_ROWS:
        return rows[:MAX_TABLE_ROWS], [f"Only the first {MAX_TABLE_ROWS} of {len(rows)} {what} are listed.", ""]
    return rows, []


def differing_axes(ds, candidates):
    return [a for a in candidates if a in ds.dims and ds.sizes[a] > 1]


def success_table(ds):
    """Grid files: one row per (M, model, sep) with an ok point; one column per beta."""
    status_dims = plot.grid_dims(ds)
    success = plot.keep_one_mhm_dphi(plot.pooled_success(ds), status_dims)
    ok = ds["status"] == plot.STATUS_OK
    row_dims = [d for d in ("M", "model", "sep") if d in success.dims]
    betas = ds["beta"].values if "beta" in success.dims else [None]
    rows = []
    for selection, block in plot.combinations(success, row_dims):
        points = int(ok.sel(selection).sum())
        columns = [spread(block.sel(beta=b).values if b is not None else block.values) for b in betas]
        rows.append([plot.format_value(selection[d]) for d in row_dims] + [points] + columns)
    if not rows:
        return []
    header = list(row_dims) + ["ok points"] + [f"β = {plot.format_value(b)}" if b is not None else "success"
                                                for b in betas]
    averaged = [d for d in success.dims if d not in row_dims + ["beta"] and success.sizes[d] > 1]
    over = (f"; mean (min–max) over {', '.join(averaged)} (the MHM, which ignores D_Φ, counted once)" if averaged
            else "")
    rows, note = capped(rows, "rows")
    return (["### Success rate per M, model and separation", "",
             f"Fraction of queries retrieved, pooled over the replicas{over}.", ""] + note + table(header, rows) + [""])


def capacity_pivot(ds, capacity, bound, heading, explanation):
    """One row per (model, sep, beta, ...) with a capacity; one column per D_Phi."""
    row_dims = [d for d in ("model", "sep", "beta") if d in capacity.dims] + differing_axes(
        ds, [d for d in plot.CONTEXT_AXES if d in capacity.dims])
    dphis = ds["Dphi"].values if "Dphi" in capacity.dims else [None]
    rows = []
    for selection, block in plot.combinations(capacity, row_dims):
        block_bound = bound.sel(selection)
        cells = []
        for dphi in dphis:
            value = block.sel(Dphi=dphi) if dphi is not None else block
            b = block_bound.sel(Dphi=dphi) if dphi is not None else block_bound
            # Any axis left over (one value each, since the differing ones are row axes): first finite.
            value, b = value.values.ravel(), b.values.ravel()
            finite = np.flatnonzero(np.isfinite(value))
            cells.append(capacity_text(value[finite[0]], b[finite[0]]) if finite.size else "–")
        rows.append([plot.format_value(selection[d]) for d in row_dims] + cells)
    if not rows:
        return []
    header = list(row_dims) + [f"D_Φ = {plot.format_value(d)}" if d is not None else "M*" for d in dphis]
    rows, note = capped(rows, "rows")
    return [heading, "", explanation, ""] + note + table(header, rows) + [""]


def grid_tables(ds, delta):
    lines = []
    if "success_rate" in ds and "queries" in ds and "M" in ds.dims:
        lines += success_table(ds)
        capacity, bound = plot.grid_capacity(plot.pooled_success(ds), delta)
        lines += capacity_pivot(
            ds, capacity, bound, "### Capacity per D_Φ",
            f"Largest grid M whose replica-pooled success rate is ≥ 1 − δ, δ = {delta:g}. `≥M`: success held at "
            "the largest M with data; `≤M`: success failed already at the smallest M (M is that M − 1). The MHM "
            "ignores D_Φ: its row repeats one value.")
    if "theoretical_capacity" in ds:
        theory = plot.ok_only(ds, "theoretical_capacity")
        rows = []
        row_dims = [d for d in ("model", "beta") if d in theory.dims] + differing_axes(ds, ["d"])
        dphis = ds["Dphi"].values if "Dphi" in theory.dims else [None]
        for selection, block in plot.combinations(theory, row_dims):
            cells = []
            for dphi in dphis:
                values = (block.sel(Dphi=dphi) if dphi is not None else block).values
                values = values[np.isfinite(values)]
                cells.append(number(values.max()) if values.size else "–")
            rows.append([plot.format_value(selection[d]) for d in row_dims] + cells)
        if rows:
            header = list(row_dims) + [f"D_Φ = {plot.format_value(d)}" if d is not None else "capacity" for d in dphis]
            lines += ["### Theoretical capacity", "",
                      "Largest M the well-separation condition allows at the Proposition 3.1 optimal separation "
                      "(dimension D_Φ for KHMs, d for the MHM).", ""] + table(header, rows) + [""]
    if "uhop_delta_min_after" in ds:
        after = plot.ok_only(ds, "uhop_delta_min_after")
        before = plot.ok_only(ds, "uhop_delta_min_before")
        lower = plot.ok_only(ds, "prop31_lower").where(after.notnull())
        upper = plot.ok_only(ds, "prop31_upper").where(after.notnull())
        candidates = [d for d in ("M", "Dphi", "model", "d", "memories") if d in after.dims]
        selections = [selection for selection, _ in plot.combinations(after, candidates)]
        # M and D_Phi always; the model, d and memories only where they differ between rows.
        row_dims = [d for d in candidates if d in ("M", "Dphi") or d in plot.differing(selections, [d])]
        rows = []
        for selection, block in plot.combinations(after, row_dims):
            rows.append([plot.format_value(selection[d]) for d in row_dims] + [
                spread(before.sel(selection).values, ".3g"), spread(block.values, ".3g"),
                spread(lower.sel(selection).values, ".3g"), spread(upper.sel(selection).values, ".3g")])
        if rows:
            rows, note = capped(rows, "rows")
            lines += ["### U-Hop+ feature separation", "",
                      "Feature Δ_min = 1 − largest cosine between two normalised features, of the initial and of "
                      "the learned map; mean (min–max) over the other axes and the replicas. Prop 3.1 bounds the Δ_min "
                      "of the optimal M-point code in dimension D_Φ.", ""] + note + table(
                row_dims + ["Δ_min before", "Δ_min after", "Prop 3.1 lower", "Prop 3.1 upper"], rows) + [""]
    return lines


def capacity_tables(ds, delta):
    lines = []
    if "capacity" not in ds:
        return lines
    capacity = plot.ok_only(ds, "capacity")
    bound = plot.ok_only(ds, "capacity_bound")
    lines += capacity_pivot(
        ds, capacity, bound, "### Capacity per D_Φ",
        f"Largest M with retrieval success ≥ 1 − δ (δ = {delta:g}, replicas pooled) from the capacity search. "
        "`≥M`: success held at capacity.M_max; `≤M`: success failed already at capacity.M_min.")
    status_dims = plot.grid_dims(ds)
    point_axes = [d for d in ("model", "sep", "beta", "Dphi") if d in status_dims] + differing_axes(
        ds, [d for d in plot.CONTEXT_AXES if d in status_dims])
    columns = (("success_at_capacity", "success at M*"), ("success_above_capacity", "success above M*"),
               ("capacity_prop31", "Prop 3.1 capacity"), ("capacity_provable", "provable M"),
               ("probes", "probes"), ("seconds", "seconds"))
    columns = [(name, title) for name, title in columns if name in ds]
    ok_points = np.argwhere(ds["status"].values == plot.STATUS_OK)
    rows = []
    for index in ok_points:
        selection = dict(zip(status_dims, index))
        row = [plot.format_value(ds[a].values[selection[a]]) for a in point_axes]
        at = tuple(index)
        row.append(capacity_text(ds["capacity"].values[at], ds["capacity_bound"].values[at]))
        row += [number(ds[name].values[at]) for name, _ in columns]
        rows.append(row)
    if rows:
        rows, note = capped(rows, "points")
        lines += ["### Capacity per point", "",
                  "One row per point with status ok. Provable M: the largest probed M at which the well-separation "
                  "condition proves every memory of every replica stored.", ""] + note + table(
            point_axes + ["M*"] + [title for _, title in columns], rows) + [""]
    return lines


def figures_section(report_dir, results):
    lines = ["## Figures", ""]
    made = [r for r in results if r.path]
    for r in made:
        link = os.path.relpath(r.path, report_dir)
        lines += [f"### {r.title or r.name}", "", f"![{r.title or r.name}]({link})", ""]
        if r.caption:
            lines += ["*" + r.caption.replace("*", "\\*") + "*", ""]
        for note in r.notes:
            lines += [f"Note: {note}.", ""]
    others = [r for r in results if not r.path]
    if others:
        lines += ["Not drawn:", ""]
        lines += [f"- `{r.name}`: {r.skipped or 'failed, ' + r.error}" for r in others] + [""]
    if not made and not others:
        lines += ["No figures.", ""]
    return lines


def existing_figures(figures_dir):
    """FigureResults for the PNGs already in figures_dir (tools/plot.py's names first)."""
    results = []
    known = set()
    for name in plot.FIGURE_NAMES:
        path = figures_dir / f"{name}.png"
        known.add(path.name)
        results.append(plot.FigureResult(name, path=path) if path.is_file()
                       else plot.FigureResult(name, skipped=f"no {path.name} in {figures_dir}"))
    for path in sorted(figures_dir.glob("*.png")):
        if path.name not in known:
            results.append(plot.FigureResult(path.stem, path=path))
    return results


def build_report(source, report_path, figures_dir, draw=True, delta=None, theta_deg=None):
    ds = plot.open_run(source)
    mode = plot.file_mode(ds)
    config = plot.run_config(ds)
    if delta is None:
        delta = plot.default_delta(mode, config)
    if draw:
        results = plot.make_figures(source, figures_dir, delta, theta_deg)
    else:
        results = existing_figures(figures_dir)
    kind = "a capacity search per point" if mode == "capacity" else "the Cartesian product of the axes"
    lines = [f"# hopcap run report: {Path(source).name}", "",
             f"File `{source}`, {mode} mode ({kind}). Only points with status ok enter the tables and figures.", ""]
    lines += provenance_section(ds)
    lines += axes_section(ds)
    lines += status_section(ds)
    lines += ["## Results", ""]
    tables = capacity_tables(ds, delta) if mode == "capacity" else grid_tables(ds, delta)
    lines += tables or ["No point with status ok.", ""]
    report_dir = Path(report_path).parent if report_path else Path.cwd()
    lines += figures_section(report_dir, results)
    return "\n".join(lines), results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="a results file written by hopcap run")
    parser.add_argument("--out", help="the Markdown report ('-' for standard output; "
                                      "default: FILE_report.md next to FILE)")
    parser.add_argument("--figures", help="folder of the figures (default: FILE_figures next to FILE)")
    parser.add_argument("--no-plot", action="store_true", help="link the PNGs already in the figures folder")
    parser.add_argument("--delta", type=float, default=None, help="capacity threshold, as in tools/plot.py")
    parser.add_argument("--theta", type=float, default=None, help="angle of the reference slopes, as in tools/plot.py")
    args = parser.parse_args(argv)
    source = Path(args.file)
    to_stdout = args.out == "-"
    report_path = None if to_stdout else Path(args.out) if args.out else source.with_name(source.stem + "_report.md")
    figures_dir = Path(args.figures) if args.figures else source.with_name(source.stem + "_figures")
    text, results = build_report(source, report_path, figures_dir, not args.no_plot, args.delta, args.theta)
    if to_stdout:
        sys.stdout.write(text)
    else:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(text, encoding="utf-8")
        made = sum(1 for r in results if r.path)
        print(f"report   {report_path} ({made} figure(s) linked from {figures_dir})")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
