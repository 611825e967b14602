#!/usr/bin/python3
"""Standard figures of a hopcap run file, grid mode or capacity mode.

Usage: tools/plot.py FILE.h5 [--out DIR] [--delta D] [--theta DEG]

Figures (PNG), each drawn only when the file holds the data for it:

  capacity_vs_dphi.png  capacity M* against the feature dimension D_Phi (log2 axis), with the
                        Chabauty-Shannon-Wyner and Kabatiansky-Levenshtein reference slopes
  delta_min_uhop.png    feature Delta_min before and after U-Hop+ against M, inside the
                        Proposition 3.1 band
  success_vs_M.png      retrieval success against M, one curve per beta, panels per sep/model
  metastable_sizes.png  distribution of metastable-state sizes per model
  uhop_traces.png       U-Hop+ loss and feature Delta_min per training step

Only points with status ok (1) count. The tool prints which figures it made and why it
skipped the others; it exits 1 if drawing a figure raised an error. Other scripts can call
make_figures() directly (tools/report.py does).
"""
import argparse
import itertools
import math
import os
import sys
import textwrap
import tomllib
import traceback
from dataclasses import dataclass, field
from pathlib import Path

# A sweep that is still running holds the HDF5 file lock; reading must not need it.
os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

STATUS_OK = 1
DEFAULT_GRID_DELTA = 0.01
DPI = 130
MAX_PANELS = 12
MAX_SERIES = 12

# Levenshtein's refinement of the KL bound holds up to this angle (degrees), with this rounded
# constant; the same values as include/hopcap/bounds.hpp.
LEVENSHTEIN_THETA_MAX_DEG = 62.9974
LEVENSHTEIN_CONSTANT = 0.0990

AXIS_SYMBOLS = {
    "d": "d",
    "M": "M",
    "Dphi": r"$D_\Phi$",
    "beta": r"$\beta$",
    "sep": "sep",
    "query": "query",
    "model": "model",
    "memories": "memories",
    "replica": "replica",
}
# Axes that label a panel when they take more than one value (the figure's own x axis and
# series axes are removed from this list per figure).
CONTEXT_AXES = ("d", "query", "memories")


# ---- spherical-code rates (bits per dimension, o(1) terms dropped) -----------------------------


def csw_rate(theta):
    """Chabauty-Shannon-Wyner lower bound on (1/n) log2 A(n, theta): -log2 sin theta, 0 < theta <= pi/2."""
    return -np.log2(np.sin(theta))


def kl_rate(theta):
    """Kabatiansky-Levenshtein form ((1+s)/(2s)) log2((1+s)/(2s)) - ((1-s)/(2s)) log2((1-s)/(2s)), s = sin theta."""
    s = np.sin(theta)
    a = (1 + s) / (2 * s)
    b = (1 - s) / (2 * s)
    # b log2 b -> 0 as theta -> pi/2
    b_term = np.where(b > 0, b * np.log2(np.where(b > 0, b, 1.0)), 0.0)
    return a * np.log2(a) - b_term


def levenshtein_rate(theta):
    """Levenshtein's refinement -1/2 log2(1 - cos theta) - 0.0990, valid for theta <= 62.9974 deg."""
    return -0.5 * np.log2(1 - np.cos(theta)) - LEVENSHTEIN_CONSTANT


def kl_combined_rate(theta):
    """The KL upper bound on the rate: the Levenshtein refinement up to 62.9974 deg, the KL form above."""
    theta = np.asarray(theta, dtype=float)
    return np.where(theta <= math.radians(LEVENSHTEIN_THETA_MAX_DEG), levenshtein_rate(theta), kl_rate(theta))


# ---- reading ----------------------------------------------------------------------------------


def open_run(path):
    """The run file as an xarray Dataset held in memory (fill values decoded to NaN)."""
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()


def file_mode(ds):
    """'grid' or 'capacity'; files written before the attribute existed are grid files."""
    return str(ds.attrs.get("mode", "grid"))


def run_config(ds):
    """The effective config stored in the file, parsed; {} when absent or unreadable."""
    try:
        return tomllib.loads(str(ds.attrs.get("config", "")))
    except tomllib.TOMLDecodeError:
        return {}


def default_delta(mode, config):
    """A capacity file was searched at its own delta; grid files have none, so 0.01."""
    if mode == "capacity":
        return float(config.get("capacity", {}).get("delta", DEFAULT_GRID_DELTA))
    return DEFAULT_GRID_DELTA


def grid_dims(ds):
    return tuple(ds["status"].dims)


def ok_only(ds, name):
    """The variable with every point whose status is not ok set to NaN."""
    return ds[name].where(ds["status"] == STATUS_OK)


def scalar(value):
    return value.item() if hasattr(value, "item") else value


def format_value(value):
    value = scalar(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def describe(selection):
    return ", ".join(f"{AXIS_SYMBOLS.get(k, k)}={format_value(v)}" for k, v in selection.items())


def differing(selections, dims):
    """The dims whose values differ between the given selections (what a label must show)."""
    return [d for d in dims if len({format_value(s[d]) for s in selections if d in s}) > 1]


def combinations(da, dims):
    """(selection, sub-array) for each combination of values of `dims` where da has data."""
    dims = [d for d in dims if d in da.dims]
    for index in itertools.product(*(range(da.sizes[d]) for d in dims)):
        sub = da.isel(dict(zip(dims, index)))
        if np.isfinite(sub.values).any():
            yield {d: scalar(da[d].values[i]) for d, i in zip(dims, index)}, sub


def keep_one_mhm_dphi(da, status_dims):
    """The MHM does not depend on D_Phi: hopcap fills every Dphi of an MHM row with the same
    values. Keeps only the first Dphi with data for the MHM, so that pooling over D_Phi counts
    each MHM result once."""
    if "model" not in da.dims or "Dphi" not in da.dims or da.sizes["Dphi"] < 2:
        return da
    valid = da.notnull()
    extra = [d for d in valid.dims if d not in status_dims]
    if extra:
        valid = valid.any(extra)
    first_valid = valid & (valid.cumsum("Dphi") == 1)
    is_mhm = da["model"] == "mhm"
    return da.where(~is_mhm | first_valid)


def pooled_success(ds):
    """Grid files: success rate per point pooled over the replicas that completed (weighted by
    their query counts), the way the capacity search pools them."""
    rate = ok_only(ds, "success_rate")
    if "replica" not in rate.dims:
        return rate
    queries = ok_only(ds, "queries").where(rate.notnull())
    return (rate * queries).sum("replica", min_count=1) / queries.sum("replica", min_count=1)


def grid_capacity(pooled, delta):
    """Grid files: the largest M on the grid whose pooled success is >= 1 - delta.

    Returns (capacity, bound) with the capacity file's conventions: bound 0 bracketed by a
    failing grid M above it, 1 the largest M with data passed (capacity is a lower bound), -1
    even the smallest M failed (capacity = that M - 1, an upper bound)."""
    has_data = pooled.notnull()
    any_data = has_data.any("M")
    m = pooled["M"].astype(float)
    largest_pass = m.where(pooled >= 1.0 - delta).max("M")
    largest_probed = m.where(has_data).max("M")
    smallest_probed = m.where(has_data).min("M")
    bound = xr.where(largest_pass.isnull(), -1.0, xr.where(largest_pass >= largest_probed, 1.0, 0.0))
    capacity = largest_pass.fillna(smallest_probed - 1)
    return capacity.where(any_data), bound.where(any_data)


# ---- figure plumbing --------------------------------------------------------------------------


class FigureSkipped(Exception):
    """The file lacks the data for a figure; the message says what is missing."""


@dataclass
class FigureResult:
    name: str
    path: Path | None = None
    title: str = ""
    caption: str = ""
    skipped: str = ""  # why the figure was not made
    error: str = ""  # an unexpected failure while drawing it
    notes: list = field(default_factory=list)


@dataclass
class RunContext:
    ds: xr.Dataset
    mode: str
    config: dict
    delta: float
    theta_deg: float | None
    notes: list = field(default_factory=list)


def panel_grid(count, width=4.6, height=3.4, columns=3):
    columns = min(count, columns)
    rows = math.ceil(count / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows), squeeze=False)
    flat = axes.ravel()
    for ax in flat[count:]:
        ax.set_visible(False)
    return fig, flat[:count]


def limit(items, maximum, what, notes):
    items = list(items)
    if len(items) > maximum:
        notes.append(f"{len(items)} {what}, only the first {maximum} drawn")
        return items[:maximum]
    return items


# (marker, line style) pairs for the curves that share a colour.
CURVE_STYLES = (("o", "-"), ("s", "--"), ("^", "-."), ("D", ":"), ("v", "-"), ("P", "--"), ("X", "-."), ("*", ":"))


class SharedLegend:
    """One legend under the panels: a series keeps its colour in every panel and is listed once."""

    def __init__(self):
        self.colors = {}
        self.entries = {}

    def color(self, label):
        if label not in self.colors:
            self.colors[label] = f"C{len(self.colors) % 10}"
        return self.colors[label]

    def add(self, handle, label):
        if isinstance(handle, list):
            handle = handle[0]
        self.entries.setdefault(label, handle)

    def proxy(self, label, **line_style):
        self.add(matplotlib.lines.Line2D([], [], **line_style), label)


def save_figure(fig, path, title, caption, legend=None):
    """Title on top; below the panels the shared legend, then the wrapped caption; then the PNG."""
    fig.suptitle(title, fontsize=12)
    width, height = fig.get_size_inches()
    lines = textwrap.wrap(caption, width=int(width * 15))
    caption_height = 0.14 * len(lines) + 0.1
    legend_height = 0.0
    columns = 1
    if legend is not None and legend.entries:
        columns = max(1, min(len(legend.entries), int(width // 3.3)))
        legend_height = 0.2 * math.ceil(len(legend.entries) / columns) + 0.15
    total = height + caption_height + legend_height
    fig.set_size_inches(width, total)
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=8, ha="left", va="bottom")
    if legend_height:
        fig.legend(list(legend.entries.values()), list(legend.entries.keys()), loc="lower center",
                   bbox_to_anchor=(0.5, caption_height / total), ncol=columns, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, (caption_height + legend_height) / total, 1, 1.0 - 0.35 / total))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def require(condition, reason):
    if not condition:
        raise FigureSkipped(reason)


def require_variables(ds, names):
    missing = [n for n in names if n not in ds]
    require(not missing, "the file has no " + ", ".join(missing))


def require_ok_points(ds, name):
    require(np.isfinite(ok_only(ds, name).values).any(), f"no point with status ok has a value of {name}")


# ---- capacity against the feature dimension ---------------------------------------------------


def capacity_data(context):
    """(capacity, bound, theory) over the file's axes without M and replica."""
    ds = context.ds
    if context.mode == "capacity":
        require_variables(ds, ["capacity", "capacity_bound"])
        require_ok_points(ds, "capacity")
        theory = ok_only(ds, "capacity_prop31") if "capacity_prop31" in ds else None
        return ok_only(ds, "capacity"), ok_only(ds, "capacity_bound"), theory
    require_variables(ds, ["success_rate", "queries"])
    require("M" in ds.dims, "the file has no M axis")
    require_ok_points(ds, "success_rate")
    capacity, bound = grid_capacity(pooled_success(ds), context.delta)
    theory = None
    if "theoretical_capacity" in ds:
        # Independent of M (the Prop 3.1 separation at the capacity), so any M will do.
        dims = [d for d in ("M", "replica") if d in ds.dims]
        theory = ok_only(ds, "theoretical_capacity").max(dims)
    return capacity, bound, theory


def reference_angle(context, capacity, bound):
    """The angle theta of the reference slopes, in degrees, and how it was chosen."""
    if context.theta_deg is not None:
        return context.theta_deg, f"θ = {context.theta_deg:g}° (set with --theta)"
    ds = context.ds
    if context.mode == "grid" and "feature_min_angle_deg" in ds:
        angle = ok_only(ds, "feature_min_angle_deg")
        at_capacity = angle.where(ds["M"] == capacity).min([d for d in ("M", "replica") if d in angle.dims])
        khm = at_capacity.where((at_capacity["model"] != "mhm") & (bound >= 0))
        values = khm.values[np.isfinite(khm.values)]
        if values.size:
            theta = float(np.median(values))
            return theta, (f"θ = {theta:.1f}°, the median over the KHM capacity points of the smallest angle "
                           "between two features at M = M*")
    return 60.0, ("θ = 60° (kissing configuration; this file records no feature angle at the capacity, "
                  "choose another with --theta)")


def plot_capacity_vs_dphi(context, path):
    ds = context.ds
    require("Dphi" in ds.dims, "the file has no Dphi axis")
    require("model" in ds.dims, "the file has no model axis")
    capacity, bound, theory = capacity_data(context)
    khm_capacity = capacity.where(capacity["model"] != "mhm")
    dphi_with_data = int(khm_capacity.notnull().any([d for d in khm_capacity.dims if d != "Dphi"]).sum())
    require(dphi_with_data >= 2, "needs KHM capacities at two D_Phi values or more "
                                 f"(found {dphi_with_data}; the MHM ignores D_Phi)")

    series_dims = ["model", "beta"]
    panel_dims = [d for d in capacity.dims if d not in series_dims + ["Dphi"]]
    panels = limit(combinations(capacity, panel_dims), MAX_PANELS, "panels", context.notes)
    shown_panel_dims = differing([p for p, _ in panels], panel_dims)
    theta_deg, theta_text = reference_angle(context, capacity, bound)
    theta = math.radians(theta_deg)
    exponential = 0 < theta_deg < 90
    legend = SharedLegend()

    fig, axes = panel_grid(len(panels))
    for ax, (panel_selection, panel) in zip(axes, panels):
        panel_bound = bound.sel(panel_selection)
        panel_theory = theory.sel(panel_selection) if theory is not None else None
        series = limit(combinations(panel, series_dims), MAX_SERIES, "series in a panel", context.notes)
        anchors = []
        for selection, values in series:
            dphi = values["Dphi"].values.astype(float)
            y = values.values.astype(float)
            b = panel_bound.sel(selection).values
            mhm = selection.get("model") == "mhm"
            label = describe(selection) + (" (uses d, flat in D_Φ)" if mhm else "")
            color = legend.color(label)
            finite = np.isfinite(y) & (y > 0)
            legend.add(ax.plot(dphi[finite], y[finite], "--" if mhm else "-", color=color), label)
            for code, marker in ((0, "o"), (1, "^"), (-1, "v")):
                chosen = finite & (b == code)
                ax.plot(dphi[chosen], y[chosen], marker, color=color, linestyle="none",
                        markerfacecolor=color if code == 0 else "white")
            if panel_theory is not None and not mhm:
                t = panel_theory.sel(selection).values.astype(float)
                shown = np.isfinite(t) & (t > 0)
                if shown.any():
                    ax.plot(dphi[shown], t[shown], ":", color=color, linewidth=1)
            if not mhm and finite.any():
                first = np.argmax(finite)
                anchors.append((dphi[first], y[first], b[first] >= 0))
        # Anchor the slopes on measured capacities, not on points that failed at the smallest M.
        if any(a[2] for a in anchors):
            anchors = [a for a in anchors if a[2]]
        if exponential and anchors:
            d0 = min(a[0] for a in anchors)
            y0 = float(np.exp(np.mean([np.log(a[1]) for a in anchors if a[0] == d0])))
            d_values = np.array([d0, float(panel["Dphi"].max())])
            for rate, name, style in ((float(csw_rate(theta)), "CSW lower", (0, (6, 3))),
                                      (float(kl_combined_rate(theta)), "KL upper", (0, (2, 2)))):
                label = f"{name} slope at θ = {theta_deg:.1f}°: {rate:.3f} bit per unit of D_Φ"
                legend.add(ax.plot(d_values, y0 * 2.0 ** (rate * (d_values - d0)), color="0.35", linestyle=style,
                                   linewidth=1.2), label)
        ax.set_yscale("log", base=2)
        ax.set_xlabel(r"feature dimension $D_\Phi$")
        ax.set_ylabel("capacity M* (memories, log₂ scale)")
        ax.set_title(describe({d: panel_selection[d] for d in shown_panel_dims}) or "capacity", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    legend.proxy("bracketed capacity (a larger M probed failed)", marker="o", color="0.3", linestyle="none")
    legend.proxy("success held at the largest M probed (M* is a lower bound)", marker="^", color="0.3",
                 linestyle="none", markerfacecolor="white")
    legend.proxy("success failed at the smallest M probed (M* < that M)", marker="v", color="0.3", linestyle="none",
                 markerfacecolor="white")
    if theory is not None:
        legend.proxy("dotted: Prop 3.1 theoretical capacity (series colour)", color="0.3", linestyle=":")

    source = ("the result of hopcap's capacity search (replicas pooled)" if context.mode == "capacity"
              else "the largest grid M with replica-pooled success rate ≥ 1 − δ")
    slopes = (f"Grey reference slopes through the smallest-D_Φ KHM capacity: log₂ M grows like R(θ)·D_Φ with "
              f"R_CSW = −log₂ sin θ (Chabauty–Shannon–Wyner: codes this large exist) and R_KL "
              f"(Kabatiansky–Levenshtein, Levenshtein's refinement up to 62.9974°: no code is larger); "
              f"{theta_text}." if exponential else
              f"No reference slopes: {theta_text}, and at θ ≥ 90° a spherical code grows at most linearly in the "
              "dimension (Rankin).")
    caption = (f"M* is {source}, δ = {context.delta:g}. Dotted: the theoretical capacity of the Prop 3.1 optimal "
               f"separation under the well-separation condition. " + slopes)
    title = "Memory capacity against feature dimension"
    save_figure(fig, path, title, caption, legend)
    return title, caption


# ---- Delta_min before and after U-Hop+ --------------------------------------------------------


def plot_delta_min_uhop(context, path):
    ds = context.ds
    require(context.mode == "grid", "capacity files hold no U-Hop+ separation data")
    require_variables(ds, ["uhop_delta_min_before", "uhop_delta_min_after", "prop31_lower", "prop31_upper"])
    require("M" in ds.dims, "the file has no M axis")
    before = ok_only(ds, "uhop_delta_min_before")
    after = ok_only(ds, "uhop_delta_min_after")
    require(np.isfinite(after.values).any(), "no point with status ok ran U-Hop+ (model khm_uhop)")
    trained = after.notnull()
    lower = ok_only(ds, "prop31_lower").where(trained)
    upper = ok_only(ds, "prop31_upper").where(trained)

    # U-Hop+ never sees beta or sep: those, and the replicas, are pooled (mean, min-max bars).
    panel_dims = [d for d in ("model", "Dphi", "d", "memories") if d in after.dims]
    pooled_dims = [d for d in after.dims if d not in panel_dims + ["M"]]
    panels = limit(combinations(after, panel_dims), MAX_PANELS, "panels", context.notes)
    shown = differing([p for p, _ in panels], panel_dims)
    legend = SharedLegend()
    fig, axes = panel_grid(len(panels))
    for ax, (selection, _) in zip(axes, panels):
        m = after["M"].values.astype(float)
        lo = lower.sel(selection).mean(pooled_dims).values
        hi = upper.sel(selection).mean(pooled_dims).values
        band = np.isfinite(lo) & np.isfinite(hi)
        legend.add(ax.fill_between(m[band], lo[band], np.minimum(hi[band], 2.0), color="tab:green", alpha=0.18),
                   "Prop 3.1 band for the optimal code (upper end clipped at 2)")
        ax.plot(m[band], lo[band], color="tab:green", linewidth=0.8)
        ax.plot(m[band], np.minimum(hi[band], 2.0), color="tab:green", linewidth=0.8)
        for values, label, marker, style in ((before, "before U-Hop+ (initial map)", "o", "--"),
                                             (after, "after U-Hop+ (learned map)", "s", "-")):
            sub = values.sel(selection)
            mean = sub.mean(pooled_dims).values
            low, high = sub.min(pooled_dims).values, sub.max(pooled_dims).values
            have = np.isfinite(mean)
            legend.add(ax.errorbar(m[have], mean[have], yerr=[mean[have] - low[have], high[have] - mean[have]],
                                   marker=marker, linestyle=style, capsize=3, color=legend.color(label),
                                   markerfacecolor="white" if marker == "o" else None), label)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("number of memories M")
        ax.set_ylabel(r"feature $\Delta^\Phi_{\min}$ (dimensionless)")
        ax.set_title(describe({d: selection[d] for d in shown}) or describe(selection), fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    caption = ("Smallest separation of the normalised features, 1 − largest cosine between two features, of the "
               "initial (random) map and of the map learned by U-Hop+, against the number of memories. Markers: "
               f"mean over {', '.join(pooled_dims) or 'nothing'}; bars: min to max. Shaded: Proposition 3.1 bounds "
               "on Δ_min of the optimal M-point spherical code on the sphere of dimension D_Φ − 1; Δ ≤ 2 always, "
               "so the upper bound is clipped there.")
    title = "Feature separation before and after U-Hop+"
    save_figure(fig, path, title, caption, legend)
    return title, caption


# ---- success rate against M -------------------------------------------------------------------


def success_curves(context):
    """(success over the axes without replica, with M as a dim) or probe curves for capacity files.

    Returns a list of panels: (panel selection, [(series selection, M values, success values)])."""
    ds = context.ds
    status_dims = grid_dims(ds)
    if context.mode == "capacity":
        require_variables(ds, ["probe_M", "probe_success"])
        probe_m = keep_one_mhm_dphi(ok_only(ds, "probe_M"), status_dims)
        require(np.isfinite(probe_m.values).any(), "no point with status ok has probes")
        probe_success = ok_only(ds, "probe_success").where(probe_m.notnull())
        point_dims = [d for d in probe_m.dims if d != "capacity_probe"]
    else:
        require_variables(ds, ["success_rate", "queries"])
        require("M" in ds.dims and ds.sizes["M"] >= 2, "needs at least two M values")
        require_ok_points(ds, "success_rate")
        success = keep_one_mhm_dphi(pooled_success(ds), status_dims)
        point_dims = [d for d in success.dims if d != "M"]
    panel_dims = ["sep", "model"] + [d for d in CONTEXT_AXES if d in point_dims]
    series_dims = [d for d in point_dims if d not in panel_dims]
    reference = probe_m if context.mode == "capacity" else success
    panels = []
    for panel_selection, panel in limit(combinations(reference, panel_dims), MAX_PANELS, "panels", context.notes):
        curves = []
        series = limit(combinations(panel, series_dims), MAX_SERIES, "series in a panel", context.notes)
        for selection, values in series:
            full = {**panel_selection, **selection}
            if context.mode == "capacity":
                m = values.values.astype(float)
                s = probe_success.sel(full).values.astype(float)
                keep = np.isfinite(m) & np.isfinite(s)
                order = np.argsort(m[keep])
                m, s = m[keep][order], s[keep][order]
            else:
                m = values["M"].values.astype(float)
                s = values.values.astype(float)
                keep = np.isfinite(s)
                m, s = m[keep], s[keep]
            if m.size:
                curves.append((selection, m, s))
        if curves:
            panels.append((panel_selection, curves))
    require(panels, "no success rates of points with status ok")
    return panels, panel_dims, series_dims


def plot_success_vs_m(context, path):
    panels, panel_dims, series_dims = success_curves(context)
    shown_panel_dims = [d for d in panel_dims if d in ("sep", "model")] + differing(
        [p for p, _ in panels], [d for d in panel_dims if d not in ("sep", "model")])
    shown = differing([c[0] for _, curves in panels for c in curves], series_dims)
    # Colour says beta; marker and line style say the other series axes (D_Phi, ...).
    style_dims = [d for d in shown if d != "beta"]
    legend = SharedLegend()
    styles = {}
    fig, axes = panel_grid(len(panels))
    for ax, (panel_selection, curves) in zip(axes, panels):
        mhm = panel_selection.get("model") == "mhm"
        for selection, m, s in curves:
            color_label = describe({"beta": selection["beta"]}) if "beta" in selection else "success"
            style_label = describe({d: selection[d] for d in style_dims if not (mhm and d == "Dphi")})
            marker, line = styles.setdefault(style_label, CURVE_STYLES[len(styles) % len(CURVE_STYLES)])
            color = legend.color(color_label)
            ax.plot(m, s, marker=marker, linestyle=line, markersize=4, color=color)
            legend.proxy(color_label, color=color)
            if style_label:
                legend.proxy(style_label, color="0.3", marker=marker, linestyle=line, markersize=4)
        legend.add(ax.axhline(1.0 - context.delta, color="0.4", linestyle=":", linewidth=1),
                   f"capacity threshold 1 − δ = {1 - context.delta:g}")
        ax.set_xscale("log", base=2)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("number of memories M")
        ax.set_ylabel("retrieval success rate (fraction of queries)")
        ax.set_title(describe({d: panel_selection[d] for d in shown_panel_dims if d in panel_selection}), fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    if context.mode == "capacity":
        source = ("The probes of each capacity search (replicas pooled), sorted by M; the search doubles M, then "
                  "bisects, so the M values differ between curves.")
    else:
        source = "Success rate at each grid M, pooled over the replicas that completed (weighted by their queries)."
    caption = (f"{source} Success: the final state's largest score is on the target memory and its distance to the "
               f"target is at most ε. Dotted: the capacity threshold 1 − δ. The MHM ignores D_Φ and appears once.")
    title = "Retrieval success against the number of memories"
    save_figure(fig, path, title, caption, legend)
    return title, caption


# ---- metastable-state sizes -------------------------------------------------------------------


def plot_metastable_sizes(context, path):
    ds = context.ds
    require(context.mode == "grid", "capacity files hold no metastable-state histograms")
    require_variables(ds, ["metastable_histogram"])
    histogram = keep_one_mhm_dphi(ok_only(ds, "metastable_histogram"), grid_dims(ds))
    require(np.nansum(histogram.values) > 0, "no point with status ok has metastable-state counts")
    size_dim = [d for d in histogram.dims if d not in grid_dims(ds)][0]
    # Query models change the picture (random queries are the paper's setting): never pooled.
    panel_dims = [d for d in ("sep", "beta") if d in histogram.dims]
    if "query" in histogram.dims and histogram.sizes["query"] > 1:
        panel_dims.append("query")
    pooled_dims = [d for d in grid_dims(ds) if d not in panel_dims + ["model"]]
    counts = histogram.sum(pooled_dims, min_count=1)
    panels = limit(combinations(counts, panel_dims), MAX_PANELS, "panels", context.notes)
    sizes = ds[size_dim].values
    last = int(sizes[-1])
    largest_seen = int(np.max(np.nonzero(np.nan_to_num(counts.values).sum(axis=tuple(range(counts.ndim - 1))))[0]))
    shown_sizes = sizes[: largest_seen + 1]
    legend = SharedLegend()
    fig, axes = panel_grid(len(panels))
    for ax, (panel_selection, panel) in zip(axes, panels):
        models = list(combinations(panel, ["model"])) if "model" in panel.dims else [({}, panel)]
        width = 0.8 / max(len(models), 1)
        totals = []
        for k, (selection, values) in enumerate(models):
            label = describe(selection) or "all"
            c = np.nan_to_num(values.values[: largest_seen + 1])
            total = np.nansum(values.values)
            totals.append(f"{format_value(selection.get('model', 'all'))}: {int(total)}")
            legend.add(ax.bar(shown_sizes + (k - (len(models) - 1) / 2) * width, 100.0 * c / total, width=width,
                              color=legend.color(label)), label)
        ax.text(0.98, 0.96, "queries\n" + "\n".join(totals), transform=ax.transAxes, ha="right", va="top", fontsize=7)
        ax.set_xlabel("metastable-state size (memories)")
        ax.set_ylabel("share of queries (%)")
        step = max(1, math.ceil(len(shown_sizes) / 12))
        ticks = list(shown_sizes[::step])
        if ticks[-1] != shown_sizes[-1]:
            ticks = ticks[:-1] if shown_sizes[-1] - ticks[-1] < step else ticks
            ticks.append(shown_sizes[-1])
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"≥{s}" if s == last else str(s) for s in ticks])
        ax.set_title(describe(panel_selection), fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
    caption = (f"Distribution of the size of the final state's support, pooled over {', '.join(pooled_dims)}. Size: "
               "the number of memories whose separation weight exceeds 0.01 (softmax) or 0 (sparse maps); size 1 is "
               f"a clean retrieval, larger sizes are metastable mixtures. The last bin counts sizes ≥ {last}.")
    title = "Metastable-state sizes"
    save_figure(fig, path, title, caption, legend)
    return title, caption


# ---- U-Hop+ training curves -------------------------------------------------------------------


def plot_uhop_traces(context, path):
    ds = context.ds
    require(context.mode == "grid", "capacity files hold no U-Hop+ traces")
    require_variables(ds, ["uhop_loss_trace", "uhop_delta_min_trace"])
    loss = ok_only(ds, "uhop_loss_trace")
    delta = ok_only(ds, "uhop_delta_min_trace")
    require(np.isfinite(loss.values).any(), "no point with status ok has a U-Hop+ trace (model khm_uhop)")
    step_dim = [d for d in loss.dims if d not in grid_dims(ds)][0]
    # The map depends on the memories, D_Phi and the seeds, not on beta or sep: one row per
    # (D_Phi, d, ...) with one curve per M, the mean over the other axes and the replicas.
    row_dims = [d for d in ("model", "Dphi", "d", "memories") if d in loss.dims]
    series_dims = ["M"] if "M" in loss.dims else []
    pooled_dims = [d for d in grid_dims(ds) if d not in row_dims + series_dims]
    mean_loss = loss.mean(pooled_dims)
    mean_delta = delta.mean(pooled_dims)
    rows = limit(combinations(mean_loss, row_dims), MAX_PANELS // 2, "rows of U-Hop+ curves", context.notes)
    shown_row_dims = differing([r for r, _ in rows], row_dims)
    uhop = context.config.get("uhop", {})
    legend = SharedLegend()
    fig, axes = panel_grid(2 * len(rows), width=5.2, height=3.0, columns=2)
    for row, (row_selection, row_loss) in enumerate(rows):
        ax_loss, ax_delta = axes[2 * row], axes[2 * row + 1]
        row_delta = mean_delta.sel(row_selection)
        for selection, values in limit(combinations(row_loss, series_dims), MAX_SERIES, "U-Hop+ curves in a row",
                                       context.notes):
            label = describe(selection) or "U-Hop+"
            color = legend.color(label)
            steps = values[step_dim].values
            legend.add(ax_loss.plot(steps, values.values, color=color), label)
            ax_delta.plot(steps, row_delta.sel(selection).values, color=color)
        where = describe({d: row_selection[d] for d in shown_row_dims})
        ax_loss.set_title(f"separation loss{', ' + where if where else ''}", fontsize=10)
        ax_delta.set_title(f"smallest feature separation{', ' + where if where else ''}", fontsize=10)
        ax_loss.set_ylabel(f"U-Hop+ loss ({uhop.get('loss', 'as configured')}, dimensionless)")
        ax_delta.set_ylabel(r"feature $\Delta^\Phi_{\min}$ (dimensionless)")
        for ax in (ax_loss, ax_delta):
            ax.set_xlabel("U-Hop+ step")
            ax.grid(True, alpha=0.3)
    settings = ", ".join(f"{k} = {uhop[k]}" for k in ("optimizer", "lr", "tau", "tau_min", "iters") if k in uhop)
    caption = (f"U-Hop+ training of the kept restart, recorded before each step: the loss and the smallest "
               f"separation of the normalised features (1 − largest cosine between two features). Mean over "
               f"{', '.join(pooled_dims) or 'nothing'}{'; ' + settings if settings else ''}.")
    title = "U-Hop+ training curves"
    save_figure(fig, path, title, caption, legend)
    return title, caption


FIGURES = (
    ("capacity_vs_dphi", plot_capacity_vs_dphi),
    ("delta_min_uhop", plot_delta_min_uhop),
    ("success_vs_M", plot_success_vs_m),
    ("metastable_sizes", plot_metastable_sizes),
    ("uhop_traces", plot_uhop_traces),
)
FIGURE_NAMES = tuple(name for name, _ in FIGURES)


def make_figures(path, out_dir, delta=None, theta_deg=None):
    """Draws every figure the file has data for into out_dir; returns one FigureResult each."""
    ds = open_run(path)
    mode = file_mode(ds)
    config = run_config(ds)
    if delta is None:
        delta = default_delta(mode, config)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    any_ok = bool((ds["status"] == STATUS_OK).any())
    for name, draw in FIGURES:
        result = FigureResult(name)
        context = RunContext(ds, mode, config, delta, theta_deg)
        target = out_dir / f"{name}.png"
        try:
            if not any_ok:
                raise FigureSkipped("no point has status ok")
            result.title, result.caption = draw(context, target)
            result.path = target
        except FigureSkipped as skipped:
            result.skipped = str(skipped)
        except Exception as error:  # one broken figure must not cost the others
            plt.close("all")
            result.error = f"{type(error).__name__}: {error}"
            traceback.print_exc(file=sys.stderr)
        result.notes = context.notes
        results.append(result)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="a results file written by hopcap run")
    parser.add_argument("--out", help="folder for the PNGs (default: FILE's name without .h5, plus _figures)")
    parser.add_argument("--delta", type=float, default=None,
                        help="capacity threshold: success >= 1 - delta (default: the file's capacity.delta for "
                             f"capacity files, {DEFAULT_GRID_DELTA} for grid files)")
    parser.add_argument("--theta", type=float, default=None,
                        help="angle in degrees for the CSW and KL reference slopes (default: the median smallest "
                             "feature angle at capacity in grid files, 60 in capacity files)")
    args = parser.parse_args(argv)
    source = Path(args.file)
    out_dir = Path(args.out) if args.out else source.with_name(source.stem + "_figures")
    results = make_figures(source, out_dir, args.delta, args.theta)
    for r in results:
        if r.path:
            print(f"made     {r.path}" + "".join(f" (note: {n})" for n in r.notes))
        elif r.skipped:
            print(f"skipped  {r.name}: {r.skipped}")
        else:
            print(f"failed   {r.name}: {r.error}")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
