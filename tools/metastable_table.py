#!/usr/bin/python3
"""Metastable-state size distribution of a run file, as the paper's Table 1.

    tools/metastable_table.py FILE.h5 [--max-size 10] [--out TABLE.md]

For every separation map and model of the file: the share of queries (in %) whose final
state has ||p|| = k, for k = 1 .. max-size, then the share above max-size, the mean size
and the number of queries. Counts are pooled over every other axis (replicas, d, M, ...) of
the points whose status is ok. Reads the `metastable_histogram` variable (its last bin holds
the sizes from that bin on, see docs/output-format.md).
"""
import argparse
import os
import sys

import xarray as xr

MODEL_NAMES = {"mhm": "MHM", "khm_uhop": "+ U-Hop+", "khm_random": "random W", "khm_identity": "identity W"}


def table(path, max_size):
    if not os.path.isfile(path):
        raise SystemExit(f"{path}: no such file")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        if "metastable_histogram" not in ds:
            raise SystemExit(f"{path}: no metastable_histogram variable (a capacity file?)")
        ds = ds[["metastable_histogram", "metastable_mean", "queries", "status"]].load()
    ok = ds["status"] == 1
    pooled = [d for d in ds["status"].dims if d not in ("sep", "model")]
    counts = ds["metastable_histogram"].where(ok, 0).sum(pooled)
    weighted_mean = (ds["metastable_mean"] * ds["queries"]).where(ok, 0).sum(pooled)
    queries = ds["queries"].where(ok, 0).sum(pooled)
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
        raise SystemExit(f"{path}: no completed points")
    lines = ["| ‖p‖ | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for k in range(max_size):
        lines.append(f"| {k + 1} | " + " | ".join(f"{r[0][k]:.1f}" for r in rows) + " |")
    lines.append(f"| > {max_size} | " + " | ".join(f"{r[1]:.1f}" for r in rows) + " |")
    lines.append("| mean size | " + " | ".join(f"{r[2]:.2f}" for r in rows) + " |")
    lines.append("| queries | " + " | ".join(str(r[3]) for r in rows) + " |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("--max-size", type=int, default=10, help="largest size with its own row (default 10)")
    parser.add_argument("--out", help="write the Markdown table here (default: stdout)")
    args = parser.parse_args()
    if args.max_size < 1:
        parser.error("--max-size must be >= 1")
    result = table(args.file, args.max_size)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(result)
    else:
        sys.stdout.write(result)


if __name__ == "__main__":
    main()
