#!/usr/bin/python3
"""U-Hop+ codes against the best-known spherical codes and the Prop 3.1 bounds (paper Fig. 3).

    tools/separation_bound.py RUN.h5 [--codes CSV] [--out DIR]

RUN.h5 is a `hopcap run` file with model khm_uhop (e.g. jobs/experiments/separation_bound.toml).
For every M of the file (at its first d, D_Φ, β, ... and replica 0) it takes the learned map's
feature angle θ_min (`feature_min_angle_deg`), Δ^Φ_min = 1 − cos θ_min (`feature_delta_min`) and
the Proposition 3.1 bounds the file records (`prop31_lower`, `prop31_upper`). With the table of
best-known codes (a CSV with columns N and table_angle_deg, as Sloane's d = 3 table in
../shared/spherical-codes/tammes_dim3_best_known.csv, found next to the checkout by default)
it adds the best-known angle and Δ_min. Writes DIR/separation_bound.png and
DIR/separation_bound.md (default DIR: next to RUN.h5).
"""
import argparse
import csv
import math
import os
import sys

import numpy as np
import xarray as xr

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CODES = os.path.join(REPO, "..", "shared", "spherical-codes", "tammes_dim3_best_known.csv")


def read_codes(path):
    """{N: best-known minimal angle in degrees} from a CSV with N and table_angle_deg."""
    rows = [line for line in open(path, encoding="utf-8") if not line.startswith("#")]
    return {int(r["N"]): float(r["table_angle_deg"]) for r in csv.DictReader(rows)}


def read_run(path):
    names = ("feature_min_angle_deg", "feature_delta_min", "prop31_lower", "prop31_upper", "status")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        for name in names:
            if name not in ds:
                raise SystemExit(f"{path}: no {name} variable (not a grid file with a feature map?)")
        if "khm_uhop" not in [str(m) for m in ds["model"].values]:
            raise SystemExit(f"{path}: no khm_uhop model in the file")
        ds = ds[list(names)].sel(model="khm_uhop")
        # The first value of every other axis, replica 0.
        ds = ds.isel({d: 0 for d in ds["status"].dims if d != "M"}).load()
        dphi = int(ds["Dphi"].values)
    ok = ds["status"].values == 1
    out = {name: ds[name].values[ok] for name in names}
    out["M"] = ds["M"].values.astype(int)[ok]
    return dphi, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run")
    parser.add_argument("--codes", help="CSV of best-known codes (default: Sloane's d = 3 table in ../shared)")
    parser.add_argument("--out", help="folder of the figure and the table")
    args = parser.parse_args()
    if not os.path.isfile(args.run):
        raise SystemExit(f"{args.run}: no such file")
    out_dir = args.out or os.path.dirname(os.path.abspath(args.run))
    os.makedirs(out_dir, exist_ok=True)
    dphi, run = read_run(args.run)
    if run["M"].size == 0:
        raise SystemExit(f"{args.run}: no completed khm_uhop points")

    codes_path = args.codes or DEFAULT_CODES
    codes = {}
    if os.path.isfile(codes_path):
        codes = read_codes(codes_path)
    elif args.codes:
        raise SystemExit(f"{args.codes}: no such file")
    else:
        print(f"best-known codes not found at {os.path.normpath(codes_path)}: comparing with the bounds only")
    if codes and dphi != 3:
        print(f"note: the best-known table is for S^2, but the file's D_Phi is {dphi}; not compared")
        codes = {}

    lines = [f"| M | θ best known (°) | θ U-Hop+ (°) | θ ratio | Δ best known | Δ U-Hop+ | Prop 3.1 lower | Prop 3.1 upper |",
             "|---|---|---|---|---|---|---|---|"]
    ratios = []
    for i, m in enumerate(run["M"]):
        angle, delta = run["feature_min_angle_deg"][i], run["feature_delta_min"][i]
        lower, upper = run["prop31_lower"][i], run["prop31_upper"][i]
        if m in codes:
            best = codes[m]
            best_delta = 1.0 - math.cos(math.radians(best))
            ratios.append(angle / best)
            cells = [f"{best:.4f}", f"{angle:.4f}", f"{angle / best:.4f}", f"{best_delta:.4f}"]
        else:
            cells = ["", f"{angle:.4f}", "", ""]
        lines.append(f"| {m} | " + " | ".join(cells) + f" | {delta:.4f} | {lower:.4f} | {upper:.4f} |")
    summary = ""
    if ratios:
        r = np.array(ratios)
        summary = (f"\nU-Hop+ angle / best-known angle over {r.size} values of M: mean {r.mean():.4f}, "
                   f"min {r.min():.4f} (M = {run['M'][[m in codes for m in run['M']]][r.argmin()]}), "
                   f"within 1 % at {np.count_nonzero(r >= 0.99)} of them.\n")
    inside = np.count_nonzero((run["feature_delta_min"] >= run["prop31_lower"]) &
                              (run["feature_delta_min"] <= run["prop31_upper"]))
    summary += f"U-Hop+ Δ^Φ_min inside the Prop 3.1 band at {inside} of {run['M'].size} values of M.\n"
    table_path = os.path.join(out_dir, "separation_bound.md")
    with open(table_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n" + summary)
    print(f"made {table_path}")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(run["M"], run["prop31_upper"], "--", color="tab:red", label="Prop 3.1 upper bound")
    if codes:
        known = sorted(m for m in codes if run["M"].min() <= m <= run["M"].max())
        ax.plot(known, [1 - math.cos(math.radians(codes[m])) for m in known], "-", color="black",
                label="best known (Sloane)")
    ax.plot(run["M"], run["feature_delta_min"], "o", ms=3.5, color="tab:blue", label="U-Hop+ (hopcap)")
    ax.plot(run["M"], run["prop31_lower"], "--", color="tab:green", label="Prop 3.1 lower bound")
    ax.set_xlabel("number of memories M")
    ax.set_ylabel(r"$\Delta^\Phi_{\min} = 1 - \cos\theta_{\min}$")
    ax.set_title(f"Separation bound (D_Φ = {dphi})")
    ax.set_yscale("log")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    figure_path = os.path.join(out_dir, "separation_bound.png")
    fig.savefig(figure_path, dpi=120)
    print(f"made {figure_path}")
    sys.stdout.write(summary)


if __name__ == "__main__":
    main()
