#!/usr/bin/python3
"""MPI scaling of hopcap run, written as a Markdown table.

Strong scaling: one sweep (many configurations of different cost) at 1, 2, 4, ... ranks,
groups of one rank, a fixed number of threads per rank: wall time, speed-up, efficiency.

Weak scaling: one configuration whose memory set is partitioned over a group of n ranks with
M = n * M_per_rank and a fixed number of random queries (MHM retrieval), so the work per rank
stays constant and the ideal time does too: efficiency = t(1) / t(n). What it measures on top
of the local GEMMs is the distributed log-sum-exp and the Allreduce of every update.

Both read their times from the files hopcap writes (`timings` attribute, `seconds` variable).

Usage: tools/scaling.py [--hopcap build/hopcap] [--ranks 1,2,4] [--threads 1] [--out table.md]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

STRONG_SWEEP = """
[sweep]
d = [32]
M = [128, 256, 512, 1024]
Dphi = [16]
beta = [8.0, 32.0]
sep = ["softmax", "entmax15"]
model = ["mhm", "khm_uhop"]
query = ["angle:20"]
replicas = 2
[retrieval]
t_max = 30
[uhop]
iters = 40
"""

WEAK_POINT = """
[sweep]
d = [64]
M = [{m}]
beta = [16.0]
sep = ["softmax"]
model = ["mhm"]
query = ["random"]
[retrieval]
t_max = 20
random_queries = {queries}
"""


def run(hopcap, mpiexec, ranks, threads, config_text, out, extra=()):
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(config_text)
        config = f.name
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS="1", OMP_WAIT_POLICY="passive",
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cmd = [mpiexec, "-n", str(ranks), "--oversubscribe", "--bind-to", "none", hopcap, "run", config, "-o", out,
           *extra]
    try:
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except subprocess.CalledProcessError as e:
        sys.exit(f"failed: {' '.join(cmd)}\n{e.stderr}")
    finally:
        os.unlink(config)
    with h5py.File(out, "r") as f:
        timings = f.attrs["timings"]
        timings = timings.decode() if isinstance(timings, bytes) else timings
        wall = float(re.search(r"wall_seconds min \S+ mean \S+ max ([0-9.eE+-]+)", timings).group(1))
        seconds = {name: float(np.nanmax(f[name][...])) for name in ("seconds", "seconds_retrieval", "seconds_metrics")}
        status = f["status"][...]
        gflops = float(f.attrs["gflops_counted"])
    if not np.isin(status, (1, 3)).all():
        sys.exit(f"{out}: some configurations did not finish")
    return wall, seconds, gflops


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hopcap", default="build/hopcap")
    parser.add_argument("--mpiexec", default=shutil.which("mpiexec") or "mpiexec")
    parser.add_argument("--ranks", default="1,2")
    parser.add_argument("--threads", type=int, default=1, help="OpenMP threads per rank")
    parser.add_argument("--m-per-rank", type=int, default=8192, help="weak scaling: memories per rank")
    parser.add_argument("--queries", type=int, default=2048, help="weak scaling: random queries")
    parser.add_argument("--repeat", type=int, default=3, help="runs per entry; the fastest counts")
    parser.add_argument("--out", help="write the table here as well as to stdout")
    args = parser.parse_args()
    ranks = [int(r) for r in args.ranks.split(",")]
    work = tempfile.mkdtemp()
    lines = [f"Cores on this machine: {os.cpu_count()}; threads per rank: {args.threads}; "
             f"best of {args.repeat} runs.", ""]

    lines += ["Strong scaling: a sweep of 64 configurations (d = 32, M = 128..1024, MHM and KHM with "
              "U-Hop+), groups of one rank.", "",
              "| ranks | wall s | speed-up | efficiency | counted GFLOP/s |", "|---|---|---|---|---|"]
    base = None
    for n in ranks:
        best = min((run(args.hopcap, args.mpiexec, n, args.threads, STRONG_SWEEP, f"{work}/strong{n}.h5",
                        ["--set", "run.group_size=1"]) for _ in range(args.repeat)), key=lambda r: r[0])
        wall, _, gflops = best
        base = base or wall
        lines.append(f"| {n} | {wall:.3f} | {base / wall:.2f} | {base / wall / n:.2f} | {gflops / wall:.2f} |")

    lines += ["", f"Weak scaling: one MHM configuration, memory set partitioned over a group of n ranks, "
              f"M = n x {args.m_per_rank}, d = 64, {args.queries} random queries, t_max = 20. Retrieval has constant work "
              "per rank (efficiency = t(1) / t(n) of the retrieval phase); the separation metrics, M^2 d / n per rank, "
              "grow with n by design and are shown apart.", "",
              "| ranks | M | retrieval s | efficiency | metrics s | configuration s | counted GFLOP/s |",
              "|---|---|---|---|---|---|---|"]
    base = None
    for n in ranks:
        m = n * args.m_per_rank
        best = min((run(args.hopcap, args.mpiexec, n, args.threads, WEAK_POINT.format(m=m, queries=args.queries), f"{work}/weak{n}.h5",
                        ["--set", f"run.group_size={n}"]) for _ in range(args.repeat)), key=lambda r: r[0])
        _, seconds, gflops = best
        t = seconds["seconds_retrieval"]
        base = base or t
        lines.append(f"| {n} | {m} | {t:.3f} | {base / t:.2f} | {seconds['seconds_metrics']:.3f} | "
                     f"{seconds['seconds']:.3f} | {gflops / seconds['seconds']:.2f} |")
    shutil.rmtree(work)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
