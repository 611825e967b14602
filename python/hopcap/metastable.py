"""Metastable-state size distribution of a grid file, laid out as the paper's Table 1.

For every separation map and model: the share of queries (%) whose final state has ||p|| = k
for k = 1 .. max_size, the share above max_size, the mean size and the number of queries,
pooled over every other axis of the ok points (`metastable_histogram`, whose last bin holds the
sizes from that bin on).
"""
from __future__ import annotations

from .errors import RunFileError
from .run import grid_dims, ok, open_run

MODEL_NAMES = {"mhm": "MHM", "khm_uhop": "+ U-Hop+", "khm_random": "random W", "khm_identity": "identity W"}


def table(path, max_size=10) -> str:
    if max_size < 1:
        raise ValueError("max_size must be >= 1")
    ds = open_run(path)
    if "metastable_histogram" not in ds:
        raise RunFileError(f"{path}: no metastable_histogram variable (a capacity file?)")
    is_ok = ok(ds)
    pooled = [d for d in grid_dims(ds) if d not in ("sep", "model")]
    counts = ds["metastable_histogram"].where(is_ok, 0).sum(pooled)
    weighted_mean = (ds["metastable_mean"] * ds["queries"]).where(is_ok, 0).sum(pooled)
    queries = ds["queries"].where(is_ok, 0).sum(pooled)
    columns, rows = [], []
    for sep in ds["sep"].values:
        for model in ds["model"].values:
            c = counts.sel(sep=sep, model=model).values
            total = c.sum()
            if total == 0:
                continue
            shares = [100.0 * c[k] / total if k < c.size else 0.0 for k in range(1, max_size + 1)]
            above = 100.0 * c[max_size + 1:].sum() / total
            mean = float(weighted_mean.sel(sep=sep, model=model) / queries.sel(sep=sep, model=model))
            columns.append(f"{sep} {MODEL_NAMES.get(str(model), str(model))}")
            rows.append((shares, above, mean, int(total)))
    if not columns:
        raise RunFileError(f"{path}: no completed points")
    lines = ["| ‖p‖ | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for k in range(max_size):
        lines.append(f"| {k + 1} | " + " | ".join(f"{r[0][k]:.1f}" for r in rows) + " |")
    lines.append(f"| > {max_size} | " + " | ".join(f"{r[1]:.1f}" for r in rows) + " |")
    lines.append("| mean size | " + " | ".join(f"{r[2]:.2f}" for r in rows) + " |")
    lines.append("| queries | " + " | ".join(str(r[3]) for r in rows) + " |")
    return "\n".join(lines) + "\n"
