"""Figures of a `hopcap landscape` file (include/hopcap/io/landscape_file.hpp): energy contours
and basins of attraction in the plane, rows = U-Hop+ snapshots, columns = separation maps."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap

from .errors import RunFileError
from .plotting import PALETTE, finish, panel_grid

DATASETS = ("step", "memories", "x", "y", "energy", "basin", "captured_fraction", "min_angle_deg")


@dataclass
class Landscape:
    step: np.ndarray  # U-Hop+ steps of each snapshot
    memories: np.ndarray  # snapshot x memory x 2
    x: np.ndarray
    y: np.ndarray
    energy: np.ndarray  # snapshot x map x grid
    basin: np.ndarray  # memory index reached, -1 for none
    captured_fraction: np.ndarray  # snapshot x map
    min_angle_deg: np.ndarray  # snapshot
    maps: list
    beta: float


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def open_landscape(path) -> Landscape:
    path = Path(path)
    if not path.is_file():
        raise RunFileError(f"{path}: no such file")
    with h5py.File(path, "r") as f:
        for name in DATASETS:
            if name not in f:
                raise RunFileError(f"{path}: no dataset '{name}' (not a hopcap landscape file?)")
        data = {name: f[name][...] for name in DATASETS}
        maps = _text(f.attrs["separation_maps"]).split()
        beta = float(f.attrs["beta"])
    return Landscape(maps=maps, beta=beta, **data)


def _panels(land: Landscape):
    rows, cols = len(land.step), len(land.maps)
    fig, axes = panel_grid(rows * cols, width=3.4, height=3.0, columns=cols)
    return fig, [[axes[r * cols + c] for c in range(cols)] for r in range(rows)]


def _label(ax, land, r, c, rows, detail=""):
    """Memories as dots in their basin colour (memory k: colour k), titles, axis labels."""
    for k, (x, y) in enumerate(land.memories[r]):
        ax.plot([x], [y], "o", color=PALETTE[k % len(PALETTE)], mec="black", mew=1.2, ms=7)
    ax.set_aspect("equal")
    ax.tick_params(labelsize=7)
    ax.set_title(f"{land.maps[c]}, N = {int(land.step[r])}\nθ_min = {land.min_angle_deg[r]:.0f}°{detail}", fontsize=8)
    if c == 0:
        ax.set_ylabel("second component", fontsize=8)
    if r == rows - 1:
        ax.set_xlabel("first component", fontsize=8)


def energy_figure(land: Landscape):
    """Filled energy contours with a colour key per panel (the energies of the maps differ)."""
    fig, grid = _panels(land)
    rows = len(land.step)
    for r, row in enumerate(grid):
        for c, ax in enumerate(row):
            filled = ax.contourf(land.x[r], land.y[r], land.energy[r, c], levels=20, cmap="viridis")
            key = fig.colorbar(filled, ax=ax, fraction=0.046, pad=0.03)
            key.set_label("energy", fontsize=7)
            key.ax.tick_params(labelsize=6)
            _label(ax, land, r, c, rows)
    caption = (f"Energy of each separation map over the plane for {land.memories.shape[1]} memories on the unit "
               f"circle, β = {land.beta:g}, after N U-Hop+ steps (rows; N = 0: the raw memories); colour key: the "
               "energy of each panel. Dots: the memories (feature-space positions), coloured as in the basins figure.")
    return finish(fig, None, "Energy landscapes before and after U-Hop+", caption)


def basins_figure(land: Landscape):
    """The memory each grid point is retrieved to, one colour per memory, white for none, with a
    colour key naming the memories."""
    m = land.memories.shape[1]
    colors = ["white"] + [PALETTE[i % len(PALETTE)] for i in range(m)]
    palette = ListedColormap(colors)
    norm = BoundaryNorm(np.arange(-1.5, m + 0.5), palette.N)
    fig, grid = _panels(land)
    rows = len(land.step)
    mesh = None
    for r, row in enumerate(grid):
        for c, ax in enumerate(row):
            mesh = ax.pcolormesh(land.x[r], land.y[r], land.basin[r, c], cmap=palette, norm=norm, shading="nearest")
            _label(ax, land, r, c, rows, f", {100 * land.captured_fraction[r, c]:.0f} % reach a memory")
    finish(fig)
    # One colour key for all panels (the colours name memories, the same in every panel).
    fig.subplots_adjust(right=0.88)
    key = fig.colorbar(mesh, cax=fig.add_axes([0.91, 0.3, 0.015, 0.4], label="<colorbar>"), ticks=np.arange(-1, m))
    key.ax.set_yticklabels(["none"] + [f"{i + 1}" for i in range(m)], fontsize=7)
    key.set_label("memory reached", fontsize=8)
    caption = (f"Basins of attraction: each point of the plane coloured by the memory it is retrieved to "
               f"(memories 1–{m}, colour key; each memory a dot in its colour), white where it reaches none, for "
               f"β = {land.beta:g} after N U-Hop+ steps (rows) and each separation map (columns); θ_min: the smallest "
               "angle between two memories' features.")
    fig.hopcap_title, fig.hopcap_caption = "Basins of attraction before and after U-Hop+", caption
    return fig
