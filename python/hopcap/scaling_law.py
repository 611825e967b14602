"""Capacity against feature dimension in a capacity file: the exponential law and its inverse.

For every KHM combination of the other axes with two completed D_Phi values: M*(D_Phi), the
least-squares fit log2 M* = a + b D_Phi over the bracketed points, the Prop 3.1 and provable
capacities the file records, and the smallest measured D_Phi whose capacity reaches M = 2, 4,
8, ... The MHM is left out: it does not depend on D_Phi.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from .errors import RunFileError
from .plotting import (BOUND_LABELS, BOUND_MARKERS, SharedLegend, draw_once, finish, integer_ticks, log2_integer_axis,
                       panel_grid)
from .run import file_mode, grid_dims, open_run

NAMES = ("capacity", "capacity_bound", "capacity_prop31", "capacity_provable")
BRACKET_TEXT = {0: "found", 1: "≥ (M_max reached)", -1: "< M_min"}


@dataclass
class Series:
    label: str
    dphi: np.ndarray
    values: dict
    fit: Optional[Tuple[float, float]] = None  # (a, b) of log2 M* = a + b D_Phi

    @property
    def targets(self):
        return 2 ** np.arange(1, int(np.log2(self.values["capacity"].max())) + 1)

    def needed_dphi(self):
        cap = self.values["capacity"]
        return [int(self.dphi[np.argmax(cap >= m)]) if (cap >= m).any() else None for m in self.targets]


def series(path):
    ds = open_run(path)
    if file_mode(ds) != "capacity":
        raise RunFileError(f"{path}: not a capacity file (run with [capacity] enabled = true)")
    missing = [n for n in NAMES if n not in ds]
    if missing:
        raise RunFileError(f"{path}: no {', '.join(missing)}")
    others = [d for d in grid_dims(ds) if d != "Dphi"]
    out = []
    for index in itertools.product(*(range(ds.sizes[d]) for d in others)):
        sub = ds[list(NAMES) + ["status"]].isel(dict(zip(others, index)))
        if "model" in sub.coords and str(sub["model"].values) == "mhm":
            continue
        ok = sub["status"].values == 1
        if np.count_nonzero(ok) < 2:
            continue
        label = ", ".join(f"{d}={sub[d].values.item()}" for d in others if ds.sizes[d] > 1) or "all points"
        values = {name: sub[name].values[ok] for name in NAMES}
        item = Series(label, sub["Dphi"].values[ok].astype(int), values)
        bracketed = values["capacity_bound"] == 0
        if np.count_nonzero(bracketed) >= 2:
            b, a = np.polyfit(item.dphi[bracketed], np.log2(values["capacity"][bracketed]), 1)
            item.fit = (float(a), float(b))
        out.append(item)
    if not out:
        raise RunFileError(f"{path}: no KHM axis combination with two completed D_Phi values")
    return out


def table_lines(data):
    lines = []
    for s in data:
        v = s.values
        lines += [f"### {s.label}", "",
                  "| D_Φ | capacity M* | bracket | log2 M* | Prop 3.1 capacity | provable capacity |",
                  "|---|---|---|---|---|---|"]

        def count(x):
            return "" if not np.isfinite(x) else str(int(x))

        for i in range(s.dphi.size):
            lines.append(f"| {s.dphi[i]} | {int(v['capacity'][i])} | {BRACKET_TEXT.get(int(v['capacity_bound'][i]), '?')}"
                         f" | {np.log2(v['capacity'][i]):.2f} | {count(v['capacity_prop31'][i])} | "
                         f"{count(v['capacity_provable'][i])} |")
        lines.append("")
        if s.fit is not None:
            a, b = s.fit
            n = int(np.count_nonzero(v["capacity_bound"] == 0))
            lines.append(f"Fit over the {n} bracketed points: log2 M* = {a:.3f} {b:+.4f}·D_Φ, "
                         f"a factor {2 ** b:.3f} per feature dimension; the D_Φ for M memories is "
                         f"(log2 M {-a:+.3f}) / {b:.4f}.")
        lines += ["", "| M | smallest measured D_Φ with M* ≥ M |", "|---|---|"]
        lines += [f"| {int(m)} | {n} |" for m, n in zip(s.targets, s.needed_dphi())]
        lines.append("")
    return lines


def figure(data):
    """Left: M* against D_Phi with the fit and the file's theoretical capacities; right: the
    smallest D_Phi that holds M memories."""
    fig, (left, right) = panel_grid(2, width=5.6, height=4.2, columns=2)
    legend = SharedLegend()
    used = set()
    theory_curves, provable_curves = [], []
    all_dphi = sorted({int(d) for s in data for d in s.dphi})
    for s in data:
        color, _, line = legend.style(s.label)
        cap, bound = s.values["capacity"], s.values["capacity_bound"]
        legend.add(left.plot(s.dphi, cap, linestyle=line, color=color, linewidth=1.5), f"M*, {s.label}")
        for code, marker, filled in BOUND_MARKERS:
            chosen = bound == code
            if chosen.any():
                used.add(code)
                left.plot(s.dphi[chosen], cap[chosen], marker, color=color, linestyle="none",
                          markerfacecolor=color if filled else "white", markeredgewidth=1.3)
        for name, curves in (("capacity_prop31", theory_curves), ("capacity_provable", provable_curves)):
            values = s.values[name]
            have = np.isfinite(values)
            if have.any():
                curves.append((s.dphi[have], values[have], color))
        if s.fit is not None:
            a, b = s.fit
            x = np.linspace(s.dphi.min(), s.dphi.max(), 50)
            left.plot(x, 2 ** (a + b * x), "-", color=color, alpha=0.25, lw=5)
        right.step(s.targets, s.needed_dphi(), where="post", color=color, linestyle=line)
    # Series with the same theoretical or provable capacity share one curve, drawn once (grey).
    theory_shared = draw_once(left, theory_curves, linestyle=":", marker="x", linewidth=1.2, markersize=5)
    provable_shared = draw_once(left, provable_curves, linestyle=(0, (6, 2)), marker="+", linewidth=1.0,
                                markersize=6)
    for code, marker, filled in BOUND_MARKERS:
        if code in used:
            legend.proxy(BOUND_LABELS[code], marker=marker, color="0.25", linestyle="none",
                         markerfacecolor="0.25" if filled else "white")
    shared = " (grey: shared by several series)"
    legend.proxy("Prop 3.1 theoretical capacity" + (shared if theory_shared else ""), color="0.25", linestyle=":",
                 marker="x")
    legend.proxy("provable capacity of the learned codes" + (shared if provable_shared else ""), color="0.25",
                 linestyle=(0, (6, 2)), marker="+")
    legend.proxy("least-squares fit over the bracketed points", color="0.25", alpha=0.25, lw=5)
    log2_integer_axis(left, "y")
    integer_ticks(left, "x", all_dphi)
    left.set_xlabel(r"feature dimension $D_\Phi$")
    left.set_ylabel("capacity M* (memories)")
    left.grid(alpha=0.3, which="major")
    log2_integer_axis(right, "x")
    integer_ticks(right, "y", all_dphi)
    right.set_xlabel("number of memories M")
    right.set_ylabel(r"smallest $D_\Phi$ with M* ≥ M")
    right.grid(alpha=0.3, which="major")
    caption = ("Left: capacity M* of each KHM series against the feature dimension (log₂ axis; filled circles "
               "bracketed, open triangles censored), with the least-squares fit of log₂ M* over the bracketed "
               "points (wide faint line), the Proposition 3.1 theoretical capacity (dotted, crosses) and the provable "
               "capacity of the learned codes (dashed, plus signs). Right: the smallest measured D_Φ whose capacity "
               "reaches M memories.")
    return finish(fig, legend, "Capacity against feature dimension", caption)
