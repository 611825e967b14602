"""What every figure of the package shares: panels, selections, a shared legend, axis ticks and
saving as PDF and PNG. Figures are matplotlib `Figure` objects made without pyplot, so drawing
never depends on a display and never leaks figures; their caption is not drawn but kept in
`fig.hopcap_caption` (and the heading in `fig.hopcap_title`) for the text around them."""
from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, MaxNLocator, NullLocator

from .errors import FigureSkipped

DPI = 150
FORMATS = ("pdf", "png")
MAX_PANELS = 12
MAX_SERIES = 12
AXIS_SYMBOLS = {
    "d": "d", "M": "M", "Dphi": r"$D_\Phi$", "beta": r"$\beta$", "sep": "sep", "query": "query",
    "model": "model", "memories": "memories", "replica": "replica",
}
# Axes that label a panel when they take more than one value.
CONTEXT_AXES = ("d", "query", "memories")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")
# Dotted and thin dashed lines are kept for theory and bound curves, which share the colour of
# their series.
LINESTYLES = ("-", "-.", (0, (5, 1.5)), (0, (3, 1, 1, 1, 1, 1)))
# Colour-blind-safe qualitative palette (Okabe & Ito), then matplotlib's tab10.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
           "tab:brown", "tab:gray", "tab:olive", "tab:cyan")


def scalar(value):
    return value.item() if hasattr(value, "item") else value


def format_value(value) -> str:
    value = scalar(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def describe(selection: dict) -> str:
    return ", ".join(f"{AXIS_SYMBOLS.get(k, k)} = {format_value(v)}" for k, v in selection.items())


def differing(selections, dims):
    """The dims whose values differ between the given selections (what a label must show)."""
    return [d for d in dims if len({format_value(s[d]) for s in selections if d in s}) > 1]


def combinations(da, dims):
    """(selection, sub-array) for each combination of values of `dims` where da has data."""
    dims = [d for d in dims if d in da.dims]
    for index in itertools.product(*(range(da.sizes[d]) for d in dims)):
        sub = da.isel(dict(zip(dims, index)))
        if np.isfinite(np.asarray(sub.values, dtype=float)).any():
            yield {d: scalar(da[d].values[i]) for d, i in zip(dims, index)}, sub


def limit(items, maximum, what, notes):
    items = list(items)
    if len(items) > maximum:
        notes.append(f"{len(items)} {what}, only the first {maximum} drawn")
        return items[:maximum]
    return items


def require(condition, reason):
    if not condition:
        raise FigureSkipped(reason)


def require_variables(ds, names):
    missing = [n for n in names if n not in ds]
    require(not missing, "the file has no " + ", ".join(missing))


def panel_grid(count, width=4.2, height=3.3, columns=3):
    """A figure with `count` panels (axes), row-major, the unused cells hidden."""
    columns = max(1, min(count, columns))
    rows = math.ceil(count / columns)
    fig = Figure(figsize=(width * columns, height * rows))
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes[count:]:
        ax.set_visible(False)
    return fig, list(axes[:count])


class SharedLegend:
    """One legend for all panels: a series keeps its colour, marker and line style in every panel
    and is listed once."""

    def __init__(self):
        self.styles = {}
        self.entries = {}

    def style(self, label):
        """(colour, marker, line style) of a series; distinct for the first dozen series."""
        if label not in self.styles:
            k = len(self.styles)
            self.styles[label] = (PALETTE[k % len(PALETTE)], MARKERS[k % len(MARKERS)],
                                  LINESTYLES[k % len(LINESTYLES)])
        return self.styles[label]

    def color(self, label):
        return self.style(label)[0]

    def add(self, handle, label):
        if isinstance(handle, list):
            handle = handle[0]
        self.entries.setdefault(label, handle)

    def proxy(self, label, **line_style):
        self.add(Line2D([], [], **line_style), label)


def finish(fig, legend=None, title="", caption=""):
    """Lays the panels out with the shared legend below them; keeps title and caption as text."""
    if legend is not None and legend.entries:
        width, height = fig.get_size_inches()
        # A column as wide as the longest label (about 0.065 in per character at 8 pt).
        column_width = 0.7 + 0.065 * max(len(label) for label in legend.entries)
        columns = max(1, min(len(legend.entries), int(width // column_width)))
        rows = math.ceil(len(legend.entries) / columns)
        legend_height = 0.22 * rows + 0.15
        fig.set_size_inches(width, height + legend_height)
        fig.legend(list(legend.entries.values()), list(legend.entries.keys()), loc="lower center",
                   bbox_to_anchor=(0.5, 0.0), ncol=columns, fontsize=8, frameon=False)
        fig.tight_layout(rect=(0, legend_height / (height + legend_height), 1, 1))
    else:
        fig.tight_layout()
    fig.hopcap_title = title
    fig.hopcap_caption = caption.strip()
    return fig


def caption_of(fig) -> str:
    return getattr(fig, "hopcap_caption", "")


def title_of(fig) -> str:
    return getattr(fig, "hopcap_title", "")


def save(fig, folder, name, formats=FORMATS):
    """Writes FOLDER/NAME.pdf (vector) and FOLDER/NAME.png; returns the paths, PDF first."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in formats:
        path = folder / f"{name}.{ext}"
        # No creation date in the PDF: the same data give the same file.
        metadata = {"CreationDate": None} if ext == "pdf" else {"Software": "hopcap"}
        fig.savefig(path, dpi=DPI, metadata=metadata)
        paths.append(path)
    return paths


def draw_once(ax, curves, shared_color="0.3", **style):
    """Draws each distinct curve of [(x, y, colour)] once: in its series colour when one series
    has it, in shared_color when several series share it (so that no curve hides another)."""
    groups = []
    for x, y, color in curves:
        for group in groups:
            if np.array_equal(group[0], x) and np.array_equal(group[1], y):
                group[2].append(color)
                break
        else:
            groups.append((np.asarray(x), np.asarray(y), [color]))
    for x, y, colors in groups:
        ax.plot(x, y, color=colors[0] if len(colors) == 1 else shared_color, **style)
    return any(len(colors) > 1 for _, _, colors in groups)


# ---- ticks ------------------------------------------------------------------------------------


def integer_ticks(ax, axis="x", values=None):
    """Integer tick labels on an axis whose values are integers (D_Phi, sizes, steps): the
    given values when there are few, else integer steps."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    if values is not None:
        values = sorted({int(v) for v in np.asarray(values, dtype=float) if np.isfinite(v)})
    if values and len(values) <= 12:
        target.set_major_locator(FixedLocator(values))
    else:
        target.set_major_locator(MaxNLocator(integer=True))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{int(round(v))}"))
    target.set_minor_locator(NullLocator())


def log2_integer_axis(ax, axis="x"):
    """A log2 axis of counts (M, capacity) labelled with the integers 1, 2, 4, ... (only powers
    of two, so no label is a fraction)."""
    if axis == "x":
        ax.set_xscale("log", base=2)
        target = ax.xaxis
    else:
        ax.set_yscale("log", base=2)
        target = ax.yaxis
    target.set_major_locator(LogLocator(base=2, numticks=12))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{int(round(v))}" if v >= 1 else f"{v:g}"))
    target.set_minor_locator(NullLocator())


# Censored capacities: filled marker when bracketed, open triangles pointing where the true
# capacity lies when M* is only a bound.
BOUND_MARKERS = ((0, "o", True), (1, "^", False), (-1, "v", False))
BOUND_LABELS = {
    0: "capacity bracketed (a larger M failed)",
    1: "censored: success held at the largest M (M* is a lower bound)",
    -1: "censored: success failed at the smallest M (M* is an upper bound)",
}
