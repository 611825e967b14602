"""U-Hop+ codes against the best-known spherical codes and the Prop 3.1 bounds (paper Fig. 3).

The learned feature angle, its separation and the Proposition 3.1 bounds come from the results
file (`feature_min_angle_deg`, `feature_delta_min`, `prop31_lower`, `prop31_upper`); the
best-known angles from a CSV with columns N and table_angle_deg (Sloane's table of codes on S^2).
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import RunFileError
from .plotting import PALETTE, finish, log2_integer_axis
from .run import grid_dims, open_run

VARIABLES = ("feature_min_angle_deg", "feature_delta_min", "prop31_lower", "prop31_upper")


def read_codes(path) -> dict:
    """{N: best-known minimal angle in degrees} from a CSV with N and table_angle_deg."""
    with open(path, encoding="utf-8") as f:
        rows = [line for line in f if not line.startswith("#")]
    return {int(r["N"]): float(r["table_angle_deg"]) for r in csv.DictReader(rows)}


@dataclass
class LearnedCodes:
    dphi: int
    M: np.ndarray
    angle_deg: np.ndarray
    delta_min: np.ndarray
    prop31_lower: np.ndarray
    prop31_upper: np.ndarray


def learned_codes(path) -> LearnedCodes:
    """The khm_uhop points at the first value of every axis but M (replica 0), ok points only."""
    ds = open_run(path)
    for name in VARIABLES:
        if name not in ds:
            raise RunFileError(f"{path}: no {name} variable (not a grid file with a feature map?)")
    if "model" not in ds.dims or "khm_uhop" not in [str(m) for m in ds["model"].values]:
        raise RunFileError(f"{path}: no khm_uhop model in the file")
    ds = ds[list(VARIABLES) + ["status"]].sel(model="khm_uhop")
    ds = ds.isel({d: 0 for d in grid_dims(ds) if d != "M"})
    keep = ds["status"].values == 1
    return LearnedCodes(int(ds["Dphi"].values), ds["M"].values.astype(int)[keep],
                        ds["feature_min_angle_deg"].values[keep], ds["feature_delta_min"].values[keep],
                        ds["prop31_lower"].values[keep], ds["prop31_upper"].values[keep])


def table(run: LearnedCodes, codes: dict):
    """(Markdown table lines, summary text)."""
    lines = ["| M | θ best known (°) | θ U-Hop+ (°) | θ ratio | Δ best known | Δ U-Hop+ | Prop 3.1 lower | Prop 3.1 upper |",
             "|---|---|---|---|---|---|---|---|"]
    ratios, compared = [], []
    for i, m in enumerate(run.M):
        angle, delta = run.angle_deg[i], run.delta_min[i]
        if m in codes:
            best = codes[m]
            ratios.append(angle / best)
            compared.append(m)
            cells = [f"{best:.4f}", f"{angle:.4f}", f"{angle / best:.4f}", f"{1.0 - math.cos(math.radians(best)):.4f}"]
        else:
            cells = ["", f"{angle:.4f}", "", ""]
        lines.append(f"| {m} | " + " | ".join(cells) +
                     f" | {delta:.4f} | {run.prop31_lower[i]:.4f} | {run.prop31_upper[i]:.4f} |")
    summary = ""
    if ratios:
        r = np.array(ratios)
        summary = (f"\nU-Hop+ angle / best-known angle over {r.size} values of M: mean {r.mean():.4f}, "
                   f"min {r.min():.4f} (M = {compared[int(r.argmin())]}), "
                   f"within 1 % at {np.count_nonzero(r >= 0.99)} of them.\n")
    inside = np.count_nonzero((run.delta_min >= run.prop31_lower) & (run.delta_min <= run.prop31_upper))
    summary += f"U-Hop+ Δ^Φ_min inside the Prop 3.1 band at {inside} of {run.M.size} values of M.\n"
    return lines, summary


def figure(run: LearnedCodes, codes: dict):
    """Δ^Φ_min against M: the learned codes, the best-known codes and the two Prop 3.1 bounds."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.4))
    ax = fig.subplots()
    ax.plot(run.M, run.prop31_upper, linestyle="--", color=PALETTE[1], label="Prop 3.1 upper bound")
    if codes:
        known = sorted(m for m in codes if run.M.min() <= m <= run.M.max())
        ax.plot(known, [1 - math.cos(math.radians(codes[m])) for m in known], "-", color="black", linewidth=1.2,
                label="best known code (Sloane)")
    ax.plot(run.M, run.delta_min, "o", ms=4, color=PALETTE[0], label="U-Hop+ (hopcap)", zorder=3)
    ax.plot(run.M, run.prop31_lower, linestyle="-.", color=PALETTE[2], label="Prop 3.1 lower bound")
    ax.set_xlabel("number of memories M")
    ax.set_ylabel(r"$\Delta^\Phi_{\min} = 1 - \cos\theta_{\min}$")
    if run.M.max() / max(run.M.min(), 1) >= 8:
        log2_integer_axis(ax, "x")
    ax.set_yscale("log")
    ax.grid(alpha=0.3, which="major")
    ax.legend(fontsize=8)
    caption = (f"Separation Δ^Φ_min of the U-Hop+ codes in D_Φ = {run.dphi} against the number of memories M, "
               "with the Proposition 3.1 bounds on the optimal code"
               + (" and the best-known codes of Sloane's table." if codes else "."))
    return finish(fig, None, f"Separation bound (D_Φ = {run.dphi})", caption)


def default_codes_path(source_tree: Path) -> Path:
    return source_tree / ".." / "shared" / "spherical-codes" / "tammes_dim3_best_known.csv"
