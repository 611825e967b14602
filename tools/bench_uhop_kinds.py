#!/usr/bin/env python3
"""Interleaved comparison of the U-Hop+ loss kinds between builds (BM_UhopLossKinds).

Runs each bench_uhop binary once per round, in turn (A B A B ...), and prints per size
(M, D_Phi) the median real and CPU time of pairwise and per_memory for every binary, the
median over rounds of each binary's per_memory / pairwise ratio (both measured in the same
run, one after the other), and the median of each binary's time over the first binary's,
round by round. The machine may be shared: only ratios measured side by side mean much.

Usage: tools/bench_uhop_kinds.py [--rounds N] [--min-time S] [--filter REGEX] LABEL=BINARY ...
Threads: OMP_NUM_THREADS as set by the caller.
"""
import re
import statistics

import interleaved_rounds


def run_once(binary, bench_filter, min_time):
    times = {}
    for b in interleaved_rounds.benchmarks(binary, bench_filter, min_time):
        m = re.match(r"BM_UhopLossKinds/(\d+)/(\d+)/(\d+)", b["name"])
        if m:
            size, kind = (int(m.group(1)), int(m.group(2))), int(m.group(3))
            times[(size, kind)] = (b["real_time"], b["cpu_time"])  # milliseconds
    return times


def main():
    args = interleaved_rounds.parse(__doc__.splitlines()[0], "BM_UhopLossKinds", 0.3, "bench_uhop")
    builds = args.builds
    runs = interleaved_rounds.run_rounds(args, run_once)
    first = builds[0][0]
    sizes = sorted({size for size, _ in runs[first][0]})
    med = statistics.median
    print("| M | D_Phi | build | pairwise ms (real / CPU) | per_memory ms (real / CPU) | "
          "per_memory / pairwise (real / CPU) | vs " + first + " pairwise | vs " + first + " per_memory |")
    print("|---|---|---|---|---|---|---|---|")
    for size in sizes:
        for label, _ in builds:
            rs = runs[label]
            t = {k: [r[(size, k)] for r in rs] for k in (0, 1)}
            kind_ratio = [[t[1][i][c] / t[0][i][c] for i in range(len(rs))] for c in (0, 1)]
            versus = []
            for k in (0, 1):
                ratios = [r[(size, k)][0] / f[(size, k)][0] for r, f in zip(rs, runs[first])]
                versus.append(f"{med(ratios):.2f}")
            print(f"| {size[0]} | {size[1]} | {label} | "
                  f"{med(x[0] for x in t[0]):.3g} / {med(x[1] for x in t[0]):.3g} | "
                  f"{med(x[0] for x in t[1]):.3g} / {med(x[1] for x in t[1]):.3g} | "
                  f"{med(kind_ratio[0]):.2f} / {med(kind_ratio[1]):.2f} | {versus[0]} | {versus[1]} |")


if __name__ == "__main__":
    main()
