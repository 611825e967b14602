#!/usr/bin/python3
"""Time one retrieval update in hopcap and in PyTorch on the same problem, same threads, f64.

The update is x <- Xi^T softmax(beta * Xi x) for a block of B queries: two GEMMs and a
row-wise softmax. Prints both median times and their ratio (PyTorch time / hopcap time).

Usage: tools/bench_vs_torch.py [--bench build/tests/bench/bench_retrieval] [--threads 2]
                               [--M 4096] [--d 64] [--B 1024] [--repeats 20]
Needs Debian's python3-torch (not part of CI) and the bench_retrieval executable.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def time_hopcap(bench, threads, m, d, b, repeats):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    name = f"BM_RetrievalStep/{m}/{d}/{b}/0/"
    cmd = [bench, f"--benchmark_filter=^{name}", "--benchmark_format=json",
           f"--benchmark_repetitions={repeats}", "--benchmark_report_aggregates_only=true"]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    runs = json.loads(out)["benchmarks"]
    median = [r for r in runs if r.get("aggregate_name") == "median"]
    if not median:
        sys.exit(f"no benchmark matched {name}; only the registered Args exist")
    unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[median[0]["time_unit"]]
    return median[0]["real_time"] * unit


def time_torch(threads, m, d, b, repeats):
    import torch
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(1)
    xi = torch.nn.functional.normalize(torch.randn(m, d, generator=gen, dtype=torch.float64), dim=1)
    q = torch.nn.functional.normalize(torch.randn(b, d, generator=gen, dtype=torch.float64), dim=1)
    beta = 8.0
    with torch.no_grad():
        for _ in range(3):  # warm-up
            torch.softmax(beta * (q @ xi.T), dim=1) @ xi
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            nxt = torch.softmax(beta * (q @ xi.T), dim=1) @ xi
            times.append(time.perf_counter() - t0)
    assert nxt.shape == (b, d)
    return statistics.median(times), torch.__version__


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default="build/tests/bench/bench_retrieval")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--M", type=int, default=4096)
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--B", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=20)
    a = ap.parse_args()
    t_hop = time_hopcap(a.bench, a.threads, a.M, a.d, a.B, a.repeats)
    t_torch, version = time_torch(a.threads, a.M, a.d, a.B, a.repeats)
    print(f"retrieval step M={a.M} d={a.d} B={a.B} f64 threads={a.threads}")
    print(f"  hopcap  median {t_hop * 1e3:9.3f} ms")
    print(f"  torch   median {t_torch * 1e3:9.3f} ms  (PyTorch {version})")
    print(f"  speed-up hopcap vs torch: {t_torch / t_hop:.2f}x")


if __name__ == "__main__":
    main()
