#!/usr/bin/python3
"""Capacity against feature dimension from a capacity-mode run: the exponential law and its inverse.

    tools/capacity_scaling.py RUN.h5 [--out DIR]

For every combination of the file's other axes (d, β, sep, query, model, memories) with at
least two D_Φ values: the empirical capacity M*(D_Φ) (`capacity`), the least-squares fit
log2 M* = a + b·D_Φ over the bracketed points (capacity_bound = 0; growth factor 2^b per
feature dimension), the theoretical capacities `capacity_prop31` and `capacity_provable`, and
the inverse: the smallest measured D_Φ whose capacity reaches M, for M = 2, 4, 8, ... (a
logarithmic law shows as D_Φ rising by a constant step per doubling of M). Writes
DIR/capacity_scaling.md and DIR/capacity_scaling.png (default DIR: next to RUN.h5).
"""
import argparse
import itertools
import os

import numpy as np
import xarray as xr

NAMES = ("capacity", "capacity_bound", "capacity_prop31", "capacity_provable", "status")


def series(path):
    """[(label, dphi, {variable: values over dphi})] for every combination of the other axes."""
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        if str(ds.attrs.get("mode", "grid")) != "capacity":
            raise SystemExit(f"{path}: not a capacity file (run with [capacity] enabled = true)")
        ds = ds[list(NAMES)].load()
    others = [d for d in ds["status"].dims if d != "Dphi"]
    out = []
    for index in itertools.product(*(range(ds.sizes[d]) for d in others)):
        sub = ds.isel(dict(zip(others, index)))
        if "model" in sub.coords and str(sub["model"].values) == "mhm":
            continue  # the MHM does not depend on D_Φ
        ok = sub["status"].values == 1
        if np.count_nonzero(ok) < 2:
            continue
        label = ", ".join(f"{d}={sub[d].values.item()}" for d in others if ds.sizes[d] > 1) or "all points"
        values = {name: sub[name].values[ok] for name in NAMES}
        out.append((label, sub["Dphi"].values[ok].astype(int), values))
    if not out:
        raise SystemExit(f"{path}: no KHM axis combination with two completed D_Phi values")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run")
    parser.add_argument("--out", help="folder of the table and the figure")
    args = parser.parse_args()
    if not os.path.isfile(args.run):
        raise SystemExit(f"{args.run}: no such file")
    out_dir = args.out or os.path.dirname(os.path.abspath(args.run))
    os.makedirs(out_dir, exist_ok=True)
    data = series(args.run)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    lines = []
    for k, (label, dphi, v) in enumerate(data):
        color = f"C{k}"
        cap, bound = v["capacity"], v["capacity_bound"]
        bracketed = bound == 0
        lines += [f"### {label}", "", "| D_Φ | capacity M* | bracket | log2 M* | Prop 3.1 capacity | provable capacity |",
                  "|---|---|---|---|---|---|"]
        note = {0: "found", 1: "≥ (M_max reached)", -1: "< M_min"}
        def count(x):
            return "" if not np.isfinite(x) else str(int(x))
        for i in range(dphi.size):
            lines.append(f"| {dphi[i]} | {int(cap[i])} | {note.get(int(bound[i]), '?')} | {np.log2(cap[i]):.2f} | "
                         f"{count(v['capacity_prop31'][i])} | {count(v['capacity_provable'][i])} |")
        lines.append("")
        left.plot(dphi, cap, "o-", color=color, label=f"empirical, {label}")
        left.plot(dphi, v["capacity_prop31"], ":", color=color, label="Prop 3.1 well-separation capacity")
        left.plot(dphi, v["capacity_provable"], "--", color=color, alpha=0.6, label="provable at the learned codes")
        if np.count_nonzero(bracketed) >= 2:
            b, a = np.polyfit(dphi[bracketed], np.log2(cap[bracketed]), 1)
            lines.append(f"Fit over the {np.count_nonzero(bracketed)} bracketed points: log2 M* = {a:.3f} {b:+.4f}·D_Φ, "
                         f"a factor {2 ** b:.3f} per feature dimension; the D_Φ for M memories is "
                         f"(log2 M {-a:+.3f}) / {b:.4f}.")
            fit = np.linspace(dphi.min(), dphi.max(), 50)
            left.plot(fit, 2 ** (a + b * fit), "-", color=color, alpha=0.3, lw=4, label=f"fit: ×{2 ** b:.2f} per dimension")
        # Inverse: the smallest measured D_Φ whose capacity reaches M.
        targets = 2 ** np.arange(1, int(np.log2(cap.max())) + 1)
        need = [int(dphi[np.argmax(cap >= m)]) if (cap >= m).any() else None for m in targets]
        lines += ["", "| M | smallest measured D_Φ with M* ≥ M |", "|---|---|"]
        lines += [f"| {int(m)} | {n} |" for m, n in zip(targets, need)]
        lines.append("")
        right.step(targets, need, where="post", color=color, label=label)
    left.set_yscale("log", base=2)
    left.set_xlabel("feature dimension D_Φ")
    left.set_ylabel("capacity M* (memories)")
    left.set_title("capacity against feature dimension")
    left.grid(alpha=0.3, which="both")
    left.legend(fontsize=8)
    right.set_xscale("log", base=2)
    right.set_xlabel("number of memories M")
    right.set_ylabel("smallest D_Φ with M* ≥ M")
    right.set_title("feature dimension needed for M memories")
    right.grid(alpha=0.3, which="both")
    right.legend(fontsize=8)
    fig.tight_layout()
    figure = os.path.join(out_dir, "capacity_scaling.png")
    fig.savefig(figure, dpi=110)
    table = os.path.join(out_dir, "capacity_scaling.md")
    with open(table, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"made {table}\nmade {figure}")
    for line in lines:
        if line.startswith("Fit over"):
            print(line)


if __name__ == "__main__":
    main()
