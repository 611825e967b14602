"""Markdown report of a results file, grid mode or capacity mode.

Sections: provenance (version, git state, command line, ranks, threads, libraries, hosts,
times, timings), the axes, point counts by status with the failure messages, result tables,
and the figures of `make_figures` with their captions (PNG shown, PDF linked). Only points
with status ok enter the tables. Figures are those drawn for this report, or, without drawing,
those whose record in the figures folder says they were drawn from this very run.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from .capacity import capacity as capacity_of, grid_capacity, keep_one_mhm_dphi, over_replicas, pooled_success
from .figure_set import drawn_figures, make_figures
from .plotting import CONTEXT_AXES, combinations, differing, format_value
from .run import STATUS_NAMES, STATUS_OK, default_delta, failures, file_mode, grid_dims, ok, open_run, status_counts

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
    for axis in grid_dims(ds):
        values = [format_value(v) for v in ds[axis].values]
        shown = ", ".join(values) if len(values) <= 20 else ", ".join(values[:20]) + f", … ({len(values)} values)"
        rows.append((f"`{axis}`", ds[axis].attrs.get("long_name", ""), len(values), shown))
    return ["## Axes", ""] + table(("axis", "meaning", "size", "values"), rows) + [""]


def status_section(ds):
    counts = status_counts(ds)
    rows = [(name, counts[name]) for name in STATUS_NAMES.values()]
    rows.append(("total", int(ds["status"].size)))
    lines = ["## Points by status", ""] + table(("status", "points"), rows) + [""]
    failed = failures(ds)
    if failed:
        rows = [(message, count, ", ".join(f"{k}={format_value(v)}" for k, v in first.items()))
                for message, count, first in failed]
        lines += ["### Failures", ""]
        if len(rows) > MAX_FAILURE_MESSAGES:
            lines += [f"The {MAX_FAILURE_MESSAGES} most frequent of {len(rows)} distinct messages.", ""]
        lines += table(("message", "points", "first point"), rows[:MAX_FAILURE_MESSAGES]) + [""]
    return lines


def _ok_only(ds, name):
    return ds[name].where(ok(ds))


def capped(rows, what):
    if len(rows) > MAX_TABLE_ROWS:
        return rows[:MAX_TABLE_ROWS], [f"Only the first {MAX_TABLE_ROWS} of {len(rows)} {what} are listed.", ""]
    return rows, []


def differing_axes(ds, candidates):
    return [a for a in candidates if a in ds.dims and ds.sizes[a] > 1]


def success_table(ds):
    """Grid files: one row per (M, model, sep) with an ok point; one column per beta."""
    status_dims = grid_dims(ds)
    success = keep_one_mhm_dphi(pooled_success(ds), status_dims)
    ok = ds["status"] == STATUS_OK
    row_dims = [d for d in ("M", "model", "sep") if d in success.dims]
    betas = ds["beta"].values if "beta" in success.dims else [None]
    rows = []
    for selection, block in combinations(success, row_dims):
        points = int(ok.sel(selection).sum())
        columns = [spread(block.sel(beta=b).values if b is not None else block.values) for b in betas]
        rows.append([format_value(selection[d]) for d in row_dims] + [points] + columns)
    if not rows:
        return []
    header = list(row_dims) + ["ok points"] + [f"β = {format_value(b)}" if b is not None else "success"
                                                for b in betas]
    averaged = [d for d in success.dims if d not in row_dims + ["beta"] and success.sizes[d] > 1]
    over = (f"; mean (min–max) over {', '.join(averaged)} (the MHM, which ignores D_Φ, counted once)" if averaged
            else "")
    rows, note = capped(rows, "rows")
    return (["### Success rate per M, model and separation", "",
             f"Fraction of queries retrieved, pooled over the replicas{over}.", ""] + note + table(header, rows) + [""])


def capacity_pivot(ds, capacity, bound, heading, explanation, low=None, high=None):
    """One row per (model, sep, beta, ...) with a capacity; one column per D_Phi. With `low` and
    `high` (the spread over replicas), a cell whose spread is not one value reads 'M* (low–high)'."""
    row_dims = [d for d in ("model", "sep", "beta") if d in capacity.dims] + differing_axes(
        ds, [d for d in CONTEXT_AXES if d in capacity.dims])
    dphis = ds["Dphi"].values if "Dphi" in capacity.dims else [None]
    rows = []
    for selection, block in combinations(capacity, row_dims):
        block_bound = bound.sel(selection)
        cells = []
        for dphi in dphis:
            value = block.sel(Dphi=dphi) if dphi is not None else block
            b = block_bound.sel(Dphi=dphi) if dphi is not None else block_bound
            # Any axis left over (one value each, since the differing ones are row axes): first finite.
            value, b = value.values.ravel(), b.values.ravel()
            finite = np.flatnonzero(np.isfinite(value))
            if not finite.size:
                cells.append("–")
                continue
            cell = capacity_text(value[finite[0]], b[finite[0]])
            if low is not None and high is not None:
                pick = {**selection, **({"Dphi": dphi} if dphi is not None else {})}
                lo = low.sel(pick).values.ravel()[finite[0]]
                hi = high.sel(pick).values.ravel()[finite[0]]
                mean = value[finite[0]]
                prefix = {1: "≥", -1: "≤"}.get(int(b[finite[0]]), "") if np.isfinite(b[finite[0]]) else ""
                cell = f"{prefix}{mean:.3g} ({int(lo)}–{int(hi)})" if lo != hi else cell
            cells.append(cell)
        rows.append([format_value(selection[d]) for d in row_dims] + cells)
    if not rows:
        return []
    header = list(row_dims) + [f"D_Φ = {format_value(d)}" if d is not None else "M*" for d in dphis]
    rows, note = capped(rows, "rows")
    return [heading, "", explanation, ""] + note + table(header, rows) + [""]


def grid_tables(ds, delta):
    lines = []
    if "success_rate" in ds and "queries" in ds and "M" in ds.dims:
        lines += success_table(ds)
        capacity, bound = grid_capacity(pooled_success(ds), delta)
        lines += capacity_pivot(
            ds, capacity, bound, "### Capacity per D_Φ",
            f"Largest grid M whose replica-pooled success rate is ≥ 1 − δ, δ = {delta:g}. `≥M`: success held at "
            "the largest M with data; `≤M`: success failed already at the smallest M (M is that M − 1). The MHM "
            "ignores D_Φ: its row repeats one value.")
    if "theoretical_capacity" in ds:
        theory = _ok_only(ds, "theoretical_capacity")
        rows = []
        row_dims = [d for d in ("model", "beta") if d in theory.dims] + differing_axes(ds, ["d"])
        dphis = ds["Dphi"].values if "Dphi" in theory.dims else [None]
        for selection, block in combinations(theory, row_dims):
            cells = []
            for dphi in dphis:
                values = (block.sel(Dphi=dphi) if dphi is not None else block).values
                values = values[np.isfinite(values)]
                cells.append(number(values.max()) if values.size else "–")
            rows.append([format_value(selection[d]) for d in row_dims] + cells)
        if rows:
            header = list(row_dims) + [f"D_Φ = {format_value(d)}" if d is not None else "capacity" for d in dphis]
            lines += ["### Theoretical capacity", "",
                      "Largest M the well-separation condition allows at the Proposition 3.1 optimal separation "
                      "(dimension D_Φ for KHMs, d for the MHM).", ""] + table(header, rows) + [""]
    if "uhop_delta_min_after" in ds:
        after = _ok_only(ds, "uhop_delta_min_after")
        before = _ok_only(ds, "uhop_delta_min_before")
        lower = _ok_only(ds, "prop31_lower").where(after.notnull())
        upper = _ok_only(ds, "prop31_upper").where(after.notnull())
        candidates = [d for d in ("M", "Dphi", "model", "d", "memories") if d in after.dims]
        selections = [selection for selection, _ in combinations(after, candidates)]
        # M and D_Phi always; the model, d and memories only where they differ between rows.
        row_dims = [d for d in candidates if d in ("M", "Dphi") or d in differing(selections, [d])]
        rows = []
        for selection, block in combinations(after, row_dims):
            rows.append([format_value(selection[d]) for d in row_dims] + [
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
    if "replica" in ds.dims:
        # Searched per replica: the mean M* of the replicas, with their least and largest.
        reduced = over_replicas(capacity_of(ds, delta))
        lines += capacity_pivot(
            ds, reduced["capacity"], reduced["bound"], "### Capacity per D_Φ",
            f"Largest M with retrieval success ≥ 1 − δ (δ = {delta:g}) from the capacity search of each replica: "
            "the mean over the replicas, with the least and the largest in parentheses where they differ. `≥`: "
            "some replica held at capacity.M_max; `≤`: some replica failed already at capacity.M_min.",
            reduced["capacity_low"], reduced["capacity_high"])
    else:
        capacity = _ok_only(ds, "capacity")
        bound = _ok_only(ds, "capacity_bound")
        lines += capacity_pivot(
            ds, capacity, bound, "### Capacity per D_Φ",
            f"Largest M with retrieval success ≥ 1 − δ (δ = {delta:g}, replicas pooled) from the capacity search. "
            "`≥M`: success held at capacity.M_max; `≤M`: success failed already at capacity.M_min.")
    status_dims = grid_dims(ds)
    point_axes = [d for d in ("model", "sep", "beta", "Dphi") if d in status_dims] + differing_axes(
        ds, [d for d in CONTEXT_AXES if d in status_dims]) + (["replica"] if "replica" in status_dims else [])
    columns = (("success_at_capacity", "success at M*"), ("success_above_capacity", "success above M*"),
               ("capacity_prop31", "Prop 3.1 capacity"), ("capacity_provable", "provable M"),
               ("probes", "probes"), ("seconds", "seconds"))
    columns = [(name, title) for name, title in columns if name in ds]
    ok_points = np.argwhere(ds["status"].values == STATUS_OK)
    rows = []
    for index in ok_points:
        selection = dict(zip(status_dims, index))
        row = [format_value(ds[a].values[selection[a]]) for a in point_axes]
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
    made = [r for r in results if r.png]
    for r in made:
        link = os.path.relpath(r.png, report_dir)
        lines += [f"### {r.title or r.name}", "", f"![{r.title or r.name}]({link})", ""]
        if r.pdf:
            lines += [f"Vector version: [{r.pdf.name}]({os.path.relpath(r.pdf, report_dir)}).", ""]
        if r.caption:
            lines += ["*" + r.caption.strip().replace("*", "\\*") + "*", ""]
        for note in r.notes:
            lines += [f"Note: {note}.", ""]
    others = [r for r in results if not r.png]
    if others:
        lines += ["Not drawn:", ""]
        lines += [f"- `{r.name}`: {r.skipped or 'failed, ' + r.error}" for r in others] + [""]
    if not made and not others:
        lines += ["No figures.", ""]
    return lines


def build_report(source, report_path, figures_dir, draw=True, delta=None, theta_deg=None, binary=None):
    """(Markdown text, FigureResults). With `draw`, the figures are drawn into figures_dir for
    this report; without, only figures recorded there as drawn from this run are linked."""
    ds = open_run(source)
    mode = file_mode(ds)
    if delta is None:
        delta = default_delta(ds)
    if draw:
        results = make_figures(source, figures_dir, delta, theta_deg, binary)
    else:
        results = drawn_figures(source, figures_dir, delta, theta_deg)
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
