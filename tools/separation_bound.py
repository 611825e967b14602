#!/usr/bin/python3
"""U-Hop+ codes against the best-known spherical codes and the Prop 3.1 bounds (paper Fig. 3).

    tools/separation_bound.py RUN.h5 [--codes CSV] [--out DIR]

RUN.h5 is a `hopcap run` file with model khm_uhop (e.g. jobs/experiments/separation_bound.toml).
For every M of the file (at its first d, D_Phi, beta, ... and replica 0) it takes the learned
map's feature angle (`feature_min_angle_deg`), Delta^Phi_min = 1 - cos theta_min
(`feature_delta_min`) and the Proposition 3.1 bounds the file records (`prop31_lower`,
`prop31_upper`). With the table of best-known codes (a CSV with columns N and
table_angle_deg, as Sloane's d = 3 table in ../shared/spherical-codes/tammes_dim3_best_known.csv,
found next to the checkout by default) it adds the best-known angle and Delta_min. Writes
DIR/separation_bound.pdf and .png and DIR/separation_bound.md (default DIR: next to RUN.h5).
The work is done by the hopcap Python package (hopcap.separation).
"""
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
# The package of this checkout, before any installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))

from hopcap.cli import separation_bound_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(separation_bound_main())
