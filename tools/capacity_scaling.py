#!/usr/bin/python3
"""Capacity against feature dimension from a capacity-mode run: the exponential law and its inverse.

    tools/capacity_scaling.py RUN.h5 [--out DIR]

For every combination of the file's other axes (d, beta, sep, query, model, memories) with at
least two D_Phi values: the empirical capacity M*(D_Phi) (`capacity`), the least-squares fit
log2 M* = a + b D_Phi over the bracketed points (capacity_bound = 0; growth factor 2^b per
feature dimension), the theoretical capacities `capacity_prop31` and `capacity_provable`, and
the inverse: the smallest measured D_Phi whose capacity reaches M, for M = 2, 4, 8, ...
Writes DIR/capacity_scaling.md and DIR/capacity_scaling.pdf and .png (default DIR: next to
RUN.h5). The work is done by the hopcap Python package (hopcap.scaling_law).
"""
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
# The package of this checkout, before any installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))

from hopcap.cli import capacity_scaling_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(capacity_scaling_main())
