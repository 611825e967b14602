"""The command lines of tools/*.py (and of the installed hopcap-* scripts): argument parsing and
printing only; the work is done by the package's modules."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import HopcapError
from .run import DEFAULT_GRID_DELTA


def _fail(error):
    raise SystemExit(str(error))


def _figure_line(paths):
    return " and ".join(str(p) for p in sorted(paths, key=lambda p: p.suffix != ".png"))


def plot_main(argv=None):
    """tools/plot.py FILE.h5 [MORE.h5 ...] [--out DIR] [--delta D] [--theta DEG] [--hopcap PATH]"""
    from .figure_set import make_figures

    parser = argparse.ArgumentParser(description="Standard figures (PDF and PNG) of a hopcap results file.")
    parser.add_argument("file", nargs="+",
                        help="a results file written by hopcap run; several files of one experiment that differ "
                             "only in their models (e.g. baselines run with more replicas) are drawn together")
    parser.add_argument("--out", help="folder of the figures (default: the first FILE's name without .h5, plus "
                                      "_figures)")
    parser.add_argument("--delta", type=float, default=None,
                        help="capacity threshold: success >= 1 - delta (default: the file's capacity.delta for "
                             f"capacity files, {DEFAULT_GRID_DELTA} for grid files)")
    parser.add_argument("--theta", type=float, default=None,
                        help="evaluate the spherical-code bounds of the capacity figure at this angle (degrees) "
                             "instead of the measured angle of each learned code")
    parser.add_argument("--hopcap", help="the hopcap program for the bounds (default: $HOPCAP, build/hopcap, PATH)")
    args = parser.parse_args(argv)
    sources = [Path(f) for f in args.file]
    first = sources[0]
    out_dir = Path(args.out) if args.out else first.with_name(first.stem + "_figures")
    try:
        results = make_figures(sources if len(sources) > 1 else first, out_dir, args.delta, args.theta, args.hopcap)
    except HopcapError as error:
        _fail(error)
    for r in results:
        if r.paths:
            print(f"made     {_figure_line(r.paths)}" + "".join(f" (note: {n})" for n in r.notes))
        elif r.skipped:
            print(f"skipped  {r.name}: {r.skipped}")
        else:
            print(f"failed   {r.name}: {r.error}")
    return 1 if any(r.error for r in results) else 0


def report_main(argv=None):
    """tools/report.py FILE.h5 [--out REPORT.md] [--figures DIR] [--no-plot] [--delta D] [--theta DEG]"""
    from .report import build_report

    parser = argparse.ArgumentParser(description="Markdown report of a hopcap results file.")
    parser.add_argument("file", help="a results file written by hopcap run")
    parser.add_argument("--out", help="the Markdown report ('-' for standard output; "
                                      "default: FILE_report.md next to FILE)")
    parser.add_argument("--figures", help="folder of the figures (default: FILE_figures next to FILE)")
    parser.add_argument("--no-plot", action="store_true",
                        help="do not draw: link the figures in the folder if they were drawn from this run")
    parser.add_argument("--delta", type=float, default=None, help="capacity threshold, as in tools/plot.py")
    parser.add_argument("--theta", type=float, default=None, help="angle of the bounds, as in tools/plot.py")
    parser.add_argument("--hopcap", help="the hopcap program for the bounds, as in tools/plot.py")
    args = parser.parse_args(argv)
    source = Path(args.file)
    to_stdout = args.out == "-"
    report_path = None if to_stdout else Path(args.out) if args.out else source.with_name(source.stem + "_report.md")
    figures_dir = Path(args.figures) if args.figures else source.with_name(source.stem + "_figures")
    try:
        text, results = build_report(source, report_path, figures_dir, not args.no_plot, args.delta, args.theta,
                                     args.hopcap)
    except HopcapError as error:
        _fail(error)
    if to_stdout:
        sys.stdout.write(text)
    else:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(text, encoding="utf-8")
        made = sum(1 for r in results if r.png)
        print(f"report   {report_path} ({made} figure(s) linked from {figures_dir})")
    return 1 if any(r.error for r in results) else 0


def capacity_scaling_main(argv=None):
    """tools/capacity_scaling.py RUN.h5 [--out DIR]"""
    from . import scaling_law
    from .plotting import save

    parser = argparse.ArgumentParser(description="Capacity against feature dimension from a capacity-mode run.")
    parser.add_argument("run")
    parser.add_argument("--out", help="folder of the table and the figure")
    args = parser.parse_args(argv)
    out_dir = Path(args.out or os.path.dirname(os.path.abspath(args.run)))
    try:
        data = scaling_law.series(args.run)
    except HopcapError as error:
        _fail(error)
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = scaling_law.table_lines(data)
    table = out_dir / "capacity_scaling.md"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    paths = save(scaling_law.figure(data), out_dir, "capacity_scaling")
    print(f"made {table}\nmade {_figure_line(paths)}")
    for line in lines:
        if line.startswith("Fit over"):
            print(line)
    return 0


def landscape_main(argv=None):
    """tools/landscape_plot.py FILE.h5 [--out DIR] [--name PREFIX]"""
    from . import landscape
    from .plotting import save

    parser = argparse.ArgumentParser(description="Energy contours and basins of a hopcap landscape file.")
    parser.add_argument("file")
    parser.add_argument("--out")
    parser.add_argument("--name")
    args = parser.parse_args(argv)
    out_dir = Path(args.out or os.path.dirname(os.path.abspath(args.file)))
    prefix = args.name or os.path.splitext(os.path.basename(args.file))[0]
    try:
        land = landscape.open_landscape(args.file)
    except HopcapError as error:
        _fail(error)
    for kind, draw in (("energy", landscape.energy_figure), ("basins", landscape.basins_figure)):
        print(f"made {_figure_line(save(draw(land), out_dir, f'{prefix}_{kind}'))}")
    return 0


def metastable_main(argv=None):
    """tools/metastable_table.py FILE.h5 [--max-size 10] [--out TABLE.md]"""
    from . import metastable

    parser = argparse.ArgumentParser(description="Metastable-state size distribution, as the paper's Table 1.")
    parser.add_argument("file")
    parser.add_argument("--max-size", type=int, default=10, help="largest size with its own row (default 10)")
    parser.add_argument("--out", help="write the Markdown table here (default: stdout)")
    args = parser.parse_args(argv)
    if args.max_size < 1:
        parser.error("--max-size must be >= 1")
    try:
        result = metastable.table(args.file, args.max_size)
    except HopcapError as error:
        _fail(error)
    if args.out:
        Path(args.out).write_text(result, encoding="utf-8")
    else:
        sys.stdout.write(result)
    return 0


def separation_bound_main(argv=None):
    """tools/separation_bound.py RUN.h5 [--codes CSV] [--out DIR]"""
    from . import separation
    from .bounds import SOURCE_TREE
    from .plotting import save

    parser = argparse.ArgumentParser(description="U-Hop+ codes against the best-known codes and Prop 3.1.")
    parser.add_argument("run")
    parser.add_argument("--codes", help="CSV of best-known codes (default: Sloane's d = 3 table in ../shared)")
    parser.add_argument("--out", help="folder of the figure and the table")
    args = parser.parse_args(argv)
    out_dir = Path(args.out or os.path.dirname(os.path.abspath(args.run)))
    try:
        run = separation.learned_codes(args.run)
    except HopcapError as error:
        _fail(error)
    if run.M.size == 0:
        _fail(f"{args.run}: no completed khm_uhop points")
    out_dir.mkdir(parents=True, exist_ok=True)
    codes_path = Path(args.codes) if args.codes else separation.default_codes_path(SOURCE_TREE)
    codes = {}
    if codes_path.is_file():
        codes = separation.read_codes(codes_path)
    elif args.codes:
        _fail(f"{args.codes}: no such file")
    else:
        print(f"best-known codes not found at {os.path.normpath(codes_path)}: comparing with the bounds only")
    if codes and run.dphi != 3:
        print(f"note: the best-known table is for S^2, but the file's D_Phi is {run.dphi}; not compared")
        codes = {}
    lines, summary = separation.table(run, codes)
    table_path = out_dir / "separation_bound.md"
    table_path.write_text("\n".join(lines) + "\n" + summary, encoding="utf-8")
    print(f"made {table_path}")
    print(f"made {_figure_line(save(separation.figure(run, codes), out_dir, 'separation_bound'))}")
    sys.stdout.write(summary)
    return 0
