#!/usr/bin/python3
"""Compare two hopcap run files: same grid, same status, and every data variable equal to a
relative tolerance (wall-time variables excepted). Usage: compare_runs.py A.h5 B.h5 [RTOL]"""
import sys

import h5py
import numpy as np

SKIP = {"seconds", "seconds_uhop", "seconds_metrics", "seconds_retrieval"}  # wall times differ by nature


def main():
    a_path, b_path = sys.argv[1], sys.argv[2]
    rtol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-12
    with h5py.File(a_path, "r") as a, h5py.File(b_path, "r") as b:
        if not np.array_equal(a["status"][...], b["status"][...]):
            sys.exit("status differs")
        if (a["status"][...] == 0).any():
            sys.exit("some points were not run")
        grid_rank = a["status"].ndim  # data variables span every grid axis (coordinates are 1-D)
        names = [n for n in a if isinstance(a[n], h5py.Dataset) and a[n].dtype.kind == "f" and n not in SKIP
                 and a[n].ndim >= grid_rank]
        if not names:
            sys.exit("no data variables found")
        for name in names:
            x, y = a[name][...], b[name][...]
            if x.shape != y.shape:
                sys.exit(f"{name}: shapes {x.shape} vs {y.shape}")
            same_nan = np.isnan(x) == np.isnan(y)
            if not same_nan.all():
                sys.exit(f"{name}: NaN pattern differs")
            ok = np.isclose(x, y, rtol=rtol, atol=rtol, equal_nan=True)
            if not ok.all():
                i = np.argwhere(~ok)[0]
                sys.exit(f"{name}: differs at {tuple(i)}: {x[tuple(i)]!r} vs {y[tuple(i)]!r}")
        print(f"{len(names)} variables agree to {rtol}")


if __name__ == "__main__":
    main()
