#!/usr/bin/python3
"""The MHM's capacity against Lucibello-Mezard: ln M*/d against d at fixed lambda = beta/d.

    tools/lm_capacity.py RUN.h5 [--out DIR]

RUN.h5 is a capacity-mode file of a `sweep.lambda` sweep (e.g.
jobs/experiments/lm_capacity_laptop.toml). For every lambda and every combination of the other
axes where the file records the theory (the MHM with softmax on `sphere` memories), it takes the
measured capacity M* (`capacity`, replicas pooled) at each d and sets ln M*/d beside the
Lucibello-Mezard capacity alpha_c(lambda) (`lm_alpha_c`) and hopcap's finite-d estimate at the
retrieval radius (`lm_rate_at_epsilon`), both computed by hopcap when it wrote the file.
Capacities at M_max (capacity_bound = 1) are lower bounds, drawn as open triangles; capacities
below M_min (capacity_bound = -1) are left out.

Prints the table and writes DIR/lm_capacity.md, DIR/lm_capacity.pdf and DIR/lm_capacity.png
(default DIR: next to RUN.h5). Exit status 2 for a file it cannot use, with the reason.
"""
import argparse
import math
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
# The package of this checkout, before any installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))

try:
    import h5py
    import numpy as np
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from hopcap.plotting import PALETTE, save
except ImportError as error:
    print(f"lm_capacity.py: missing Python module: {error}", file=sys.stderr)
    sys.exit(2)

CONTEXT_AXES = ("sep", "query", "model", "memories", "Dphi")


class FileProblem(Exception):
    """A file this tool cannot use; the message says why."""


def text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def read_series(path):
    """[(lambda, context, rows)], rows = [(d, beta, capacity, bound, rate, alpha_c)] sorted by d."""
    with h5py.File(path, "r") as f:
        if text(f.attrs.get("mode", "grid")) != "capacity":
            raise FileProblem(f"{path} is not a capacity-mode file (the sweep needs capacity.enabled = true)")
        status = f["status"]
        axes = [text(status.dims[k][0].name).lstrip("/") for k in range(status.ndim)]
        if "lambda" not in axes:
            raise FileProblem(f"{path} has no lambda axis: the sweep must give sweep.lambda instead of sweep.beta")
        coords = {name: f[name][...] for name in axes}
        data = {name: f[name][...] for name in ("capacity", "capacity_bound", "lm_alpha_c", "lm_rate_at_epsilon", "beta")}
        status = status[...]
    series = {}
    for index in np.ndindex(status.shape):
        if status[index] != 1 or not np.isfinite(data["lm_alpha_c"][index]):
            continue
        point = {name: coords[name][k] for name, k in zip(axes, index)}
        context = tuple((name, text(point[name])) for name in CONTEXT_AXES if name in point and len(coords[name]) > 1)
        key = (float(point["lambda"]), context)
        series.setdefault(key, []).append((int(point["d"]), float(data["beta"][index]), float(data["capacity"][index]),
                                           int(data["capacity_bound"][index]), float(data["lm_rate_at_epsilon"][index]),
                                           float(data["lm_alpha_c"][index])))
    if not series:
        raise FileProblem(f"{path} has no completed point with the Lucibello-Mezard theory "
                          "(the MHM with softmax on sphere memories)")
    return [(lam, context, sorted(rows)) for (lam, context), rows in sorted(series.items())]


def label(lam, context):
    extra = ", ".join(f"{name}={value}" for name, value in context)
    return f"λ = {lam:g}" + (f" ({extra})" if extra else "")


def table(series):
    lines = ["| λ | d | β = λd | M* | bound | ln M*/d | finite-d estimate | α_c(λ) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for lam, context, rows in series:
        tag = ", ".join(f"{name}={value}" for name, value in context)
        for d, beta, capacity, bound, rate, alpha_c in rows:
            measured = math.log(capacity) / d if bound >= 0 and capacity >= 1 else float("nan")
            bound_text = {0: "bracketed", 1: ">= M_max", -1: "< M_min"}[bound]
            lines.append(f"| {lam:g}{' ' + tag if tag else ''} | {d} | {beta:g} | {capacity:.0f} | {bound_text} | "
                         f"{measured:.4f} | {rate:.4f} | {alpha_c:.6f} |")
    return "\n".join(lines) + "\n"


def figure(series, title):
    fig = Figure(figsize=(6.4, 5.6))
    ax = fig.subplots()
    handles = []
    for k, (lam, context, rows) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        d = np.array([r[0] for r in rows], dtype=float)
        capacity = np.array([r[2] for r in rows])
        bound = np.array([r[3] for r in rows])
        rate = np.array([r[4] for r in rows])
        alpha_c = rows[0][5]
        bracketed, lower = bound == 0, bound == 1
        ax.plot(d[bracketed], np.log(capacity[bracketed]) / d[bracketed], "o-", color=colour, ms=5)
        ax.plot(d[lower], np.log(capacity[lower]) / d[lower], "^", color=colour, mfc="none", ms=6)
        ax.plot(d, rate, ":", color=colour, lw=1.4)
        ax.axhline(alpha_c, color=colour, ls="--", lw=1.0)
        handles.append(Line2D([], [], color=colour, marker="o", label=f"{label(lam, context)}: α_c = {alpha_c:.3f}"))
    handles += [Line2D([], [], color="0.3", marker="o", label="measured ln M*/d"),
                Line2D([], [], color="0.3", marker="^", mfc="none", ls="none", label="lower bound (M* = M_max)"),
                Line2D([], [], color="0.3", ls=":", label="finite-d estimate at ε"),
                Line2D([], [], color="0.3", ls="--", label="α_c(λ), d → ∞")]
    ax.set_xlabel("memory dimension d")
    ax.set_ylabel("ln M* / d")
    ax.set_ylim(bottom=0)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    # Below the axes, so that it never hides a point.
    fig.legend(handles=handles, fontsize=7, loc="lower center", ncol=2, frameon=False)
    fig.tight_layout(rect=(0, 0.02 + 0.03 * math.ceil(len(handles) / 2), 1, 1))
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="capacity-mode results file of a sweep.lambda sweep")
    parser.add_argument("--out", type=Path, help="output folder (default: next to RUN.h5)")
    args = parser.parse_args(argv)
    try:
        if not args.run.is_file():
            raise FileProblem(f"{args.run}: no such file")
        series = read_series(args.run)
    except (FileProblem, OSError, KeyError) as error:
        print(f"lm_capacity.py: {error}", file=sys.stderr)
        return 2
    out = args.out or args.run.parent
    out.mkdir(parents=True, exist_ok=True)
    text_table = table(series)
    print(text_table, end="")
    (out / "lm_capacity.md").write_text(
        f"# ln M*/d against d at fixed λ = β/d ({args.run.name})\n\n" + text_table, encoding="utf-8")
    fig = figure(series, f"MHM capacity against Lucibello–Mézard ({args.run.name})")
    pdf, png = save(fig, out, "lm_capacity")
    print(f"wrote {out / 'lm_capacity.md'}, {pdf} and {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
