"""What the interleaved build comparisons share (tools/bench_exp.py, tools/bench_uhop_kinds.py):
the command line (rounds, minimum time, filter, LABEL=BINARY builds) and the rounds themselves,
each build run once per round in turn (A B A B ...), so every build sees the same machine."""
import argparse
import json
import subprocess
import sys


def parse(description, default_filter, default_min_time, binary_name):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=default_min_time)
    parser.add_argument("--filter", default=default_filter)
    parser.add_argument("builds", nargs="+", help=f"LABEL=path/to/{binary_name}")
    args = parser.parse_args()
    args.builds = [b.split("=", 1) for b in args.builds]
    return args


def run_rounds(args, run_once):
    """{label: [result of run_once(binary, filter, min_time) per round]}."""
    runs = {label: [] for label, _ in args.builds}
    for r in range(args.rounds):
        for label, binary in args.builds:
            runs[label].append(run_once(binary, args.filter, args.min_time))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    return runs


def benchmarks(binary, bench_filter, min_time):
    """The Google Benchmark results (JSON records) of one run of binary."""
    out = subprocess.run(
        [binary, f"--benchmark_filter={bench_filter}", f"--benchmark_min_time={min_time}",
         "--benchmark_format=json"],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)["benchmarks"]
