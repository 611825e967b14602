#!/usr/bin/python3
"""Markdown report of a hopcap run file, grid mode or capacity mode.

Usage: tools/report.py FILE.h5 [--out REPORT.md] [--figures DIR] [--no-plot] [--delta D] [--theta DEG]

Sections: provenance (version, git state, command line, ranks, threads, libraries, hosts,
times, timings), the axes, point counts by status with the failure messages, result tables,
and the figures of tools/plot.py with their captions. By default the report goes next to FILE
as FILE_report.md and the figures into FILE_figures/ (the folder tools/plot.py uses); with
--no-plot the report links the figures already there only if they were drawn from this very
run (their record, hopcap_figures.json, says so). Only points with status ok (1) enter the
tables. The work is done by the hopcap Python package (python/hopcap: hopcap.report).
"""
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
# The package of this checkout, before any installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))

from hopcap.cli import report_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(report_main())
