#!/usr/bin/python3
"""Figures of a `hopcap landscape` file: energy contours and basins of attraction.

    tools/landscape_plot.py FILE.h5 [--out DIR] [--name PREFIX]

Writes DIR/PREFIX_energy.png (rows: U-Hop+ snapshots, columns: separation maps; filled
contours of the energy, colormap "hot", lighter = higher; memories as blue dots) and
DIR/PREFIX_basins.png (same panels; each grid point coloured by the memory it is retrieved
to, white where it reaches none). DIR defaults to the file's folder, PREFIX to its name.
"""
import argparse
import os

import h5py
import numpy as np


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("--out")
    parser.add_argument("--name")
    args = parser.parse_args()
    if not os.path.isfile(args.file):
        raise SystemExit(f"{args.file}: no such file")
    out_dir = args.out or os.path.dirname(os.path.abspath(args.file))
    prefix = args.name or os.path.splitext(os.path.basename(args.file))[0]
    os.makedirs(out_dir, exist_ok=True)
    with h5py.File(args.file, "r") as f:
        for name in ("step", "memories", "x", "y", "energy", "basin", "captured_fraction"):
            if name not in f:
                raise SystemExit(f"{args.file}: no dataset '{name}' (not a hopcap landscape file?)")
        step, memories, x, y = f["step"][...], f["memories"][...], f["x"][...], f["y"][...]
        energy, basin, fraction = f["energy"][...], f["basin"][...], f["captured_fraction"][...]
        maps = text(f.attrs["separation_maps"]).split()
        beta = float(f.attrs["beta"])
        angle = f["min_angle_deg"][...]

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    rows, cols = len(step), len(maps)
    m = memories.shape[1]
    palette = ListedColormap(["white"] + [plt.get_cmap("tab10")(i % 10) for i in range(m)])
    for kind in ("energy", "basins"):
        fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.0 * rows), squeeze=False)
        for r in range(rows):
            for c in range(cols):
                ax = axes[r][c]
                if kind == "energy":
                    ax.contourf(x[r], y[r], energy[r, c], levels=20, cmap="hot")
                else:
                    ax.pcolormesh(x[r], y[r], basin[r, c] + 1, cmap=palette, vmin=0, vmax=m, shading="nearest")
                ax.plot(memories[r, :, 0], memories[r, :, 1], "o", color="tab:blue", mec="black", ms=6)
                ax.set_aspect("equal")
                ax.tick_params(labelsize=7)
                title = f"{maps[c]}, N = {step[r]}"
                if kind == "basins":
                    title += f"\n{100 * fraction[r, c]:.0f} % of points reach a memory"
                ax.set_title(title, fontsize=9)
                if c == 0:
                    ax.set_ylabel(f"N = {step[r]} (θ_min {angle[r]:.0f}°)\nsecond component", fontsize=8)
                if r == rows - 1:
                    ax.set_xlabel("first component", fontsize=8)
        what = "energy (lighter = higher)" if kind == "energy" else "basins of attraction (white: no memory reached)"
        fig.suptitle(f"{m} memories, β = {beta:g}: {what}; N = U-Hop+ steps", fontsize=11)
        fig.tight_layout()
        path = os.path.join(out_dir, f"{prefix}_{kind}.png")
        fig.savefig(path, dpi=90)
        plt.close(fig)
        print(f"made {path}")


if __name__ == "__main__":
    main()
