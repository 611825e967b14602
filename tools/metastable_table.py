#!/usr/bin/python3
"""Metastable-state size distribution of a run file, as the paper's Table 1.

    tools/metastable_table.py FILE.h5 [--max-size 10] [--out TABLE.md]

For every separation map and model of the file: the share of queries (in %) whose final
state has ||p|| = k, for k = 1 .. max-size, then the share above max-size, the mean size
and the number of queries. Counts are pooled over every other axis (replicas, d, M, ...) of
the points whose status is ok. Reads the `metastable_histogram` variable (its last bin holds
the sizes from that bin on, see docs/output-format.md). The work is done by the hopcap Python
package (hopcap.metastable).
"""
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
# The package of this checkout, before any installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))

from hopcap.cli import metastable_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(metastable_main())
