#!/usr/bin/python3
"""Standard figures of a hopcap run file, grid mode or capacity mode, as PDF and PNG.

Usage: tools/plot.py FILE.h5 [MORE.h5 ...] [--out DIR] [--delta D] [--theta DEG] [--hopcap PATH]

Figures, each drawn only when the file holds the data for it (docs/tools.md):

  capacity_vs_dphi  capacity M* against the feature dimension D_Phi (log2 axis), censored points
                    marked, with the spherical-code bounds at the measured angle of each learned
                    code (evaluated by `hopcap bounds`)
  delta_min_uhop    feature Delta_min before and after U-Hop+ against M, inside the
                    Proposition 3.1 band
  success_vs_M      retrieval success against M, one curve per beta and D_Phi, panels per sep/model
  metastable_sizes  distribution of metastable-state sizes per model
  uhop_traces       U-Hop+ loss and feature Delta_min per training step

Only points with status ok (1) count. The tool prints which figures it made and why it
skipped the others; it exits 1 if drawing a figure raised an error. The work is done by the
hopcap Python package (python/hopcap: hopcap.make_figures, hopcap.figures).
"""
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
# The package of this checkout, before any installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))

from hopcap.cli import plot_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(plot_main())
