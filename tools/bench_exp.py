#!/usr/bin/python3
"""Interleaved comparison of the vector exponentials (bench_exp) between builds.

Runs each bench_exp binary once per round, in turn (A B A B ...), and prints per benchmark
(variant and length) the median over rounds of the CPU time per entry in ns (CPU time: on a shared machine it
leaves out the time other processes held the core) for every binary,
and the median of each round's time over the first binary's hopcap kernel of the same
precision and length in the same round (so libmvec and SLEEF read against the first build's
kernel, measured side by side). The machine may be shared: only ratios mean much.

Usage: tools/bench_exp.py [--rounds N] [--min-time S] [--filter REGEX] LABEL=BINARY ...
"""
import re
import statistics

import interleaved_rounds


def run_once(binary, bench_filter, min_time):
    times = {}
    for b in interleaved_rounds.benchmarks(binary, bench_filter, min_time):
        if b.get("error_occurred"):
            continue
        m = re.match(r"BM_Exp(\w+?)(Double|Float)/(\d+)$", b["name"])
        if m:
            n = int(m.group(3))
            times[(m.group(1), m.group(2), n)] = b["cpu_time"] / n  # ns per entry
    return times


def main():
    args = interleaved_rounds.parse(__doc__.splitlines()[0], "BM_Exp", 0.2, "bench_exp")
    builds = args.builds
    runs = interleaved_rounds.run_rounds(args, run_once)
    first = builds[0][0]
    med = statistics.median
    print(f"| precision | n | build | variant | ns per entry (median) | vs {first} hopcap (median of rounds) |")
    print("|---|---|---|---|---|---|")
    keys = sorted({k for label, _ in builds for r in runs[label] for k in r},
                  key=lambda k: (k[1], k[2], k[0] != "Hopcap", k[0]))
    for variant, precision, n in keys:
        for label, _ in builds:
            rs = [r for r in runs[label] if (variant, precision, n) in r]
            if not rs:
                continue
            base = [runs[first][i][("Hopcap", precision, n)] for i, r in enumerate(runs[label])
                    if (variant, precision, n) in r]
            ratio = med([r[(variant, precision, n)] / b for r, b in zip(rs, base)])
            print(f"| {precision} | {n} | {label} | {variant} | "
                  f"{med(r[(variant, precision, n)] for r in rs):.3f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
