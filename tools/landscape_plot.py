#!/usr/bin/python3
"""Figures of a `hopcap landscape` file: energy contours and basins of attraction.

    tools/landscape_plot.py FILE.h5 [--out DIR] [--name PREFIX]

Writes DIR/PREFIX_energy.pdf and .png (rows: U-Hop+ snapshots, columns: separation maps;
filled energy contours with a colour key per panel; memories as dots) and DIR/PREFIX_basins.pdf
and .png (same panels; each grid point coloured by the memory it is retrieved to, white where
it reaches none, with a colour key). DIR defaults to the file's folder, PREFIX to its name.
The work is done by the hopcap Python package (hopcap.landscape).
"""
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
# The package of this checkout, before any installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))

from hopcap.cli import landscape_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(landscape_main())
