#!/usr/bin/python3
"""Time one hopcap kernel and the same computation in PyTorch: same problem, same threads, f64
(or, for the retrieval, both in float32 with --precision float32).

--what retrieval (default): one retrieval update x <- Xi^T softmax(beta * Xi x) for a block of
B queries: two GEMMs and a row-wise softmax (PyTorch without autograd).

--what uhop: one U-Hop+ training step with the pairwise loss, the loss and its gradient with
respect to the feature map W (D_Phi x d). With F = X W^T, Fh its rows normalised, G = Fh Fh^T
and P = M(M-1)/2: L = tau * (logsumexp_{mu<nu}(G_{mu nu} / tau) - log P), tau = 0.1. PyTorch
runs the forward pass and L.backward() (autograd); hopcap runs its analytic gradient.

Prints both median times and their ratio (PyTorch time / hopcap time).

Usage: tools/bench_vs_torch.py [--what retrieval|uhop] [--bench PATH] [--threads 2]
                               [--M M] [--d 64] [--B 1024] [--Dphi 64] [--repeats 20]
                               [--precision float64|float32]   (retrieval only)
Defaults: retrieval M=4096, bench build/tests/bench/bench_retrieval;
          uhop M=2048, D_Phi=64, bench build/tests/bench/bench_uhop.
hopcap is timed through the registered benchmark Args only (see tests/bench/bench_*.cpp);
BM_RetrievalStep is the update Retriever::run applies per iteration, the kernel `hopcap run`
uses (a group of one).
Needs Debian's python3-torch (not part of CI) and the benchmark executable.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

UHOP_TAU = 0.1


def time_hopcap(bench, threads, name, repeats):
    """Median real time in seconds of the Google Benchmark whose name starts with name."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    cmd = [bench, f"--benchmark_filter=^{name}", "--benchmark_format=json",
           f"--benchmark_repetitions={repeats}", "--benchmark_report_aggregates_only=true"]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    runs = json.loads(out)["benchmarks"] if out.strip() else []  # no match: nothing on stdout
    median = [r for r in runs if r.get("aggregate_name") == "median"]
    if not median:
        sys.exit(f"no benchmark matched {name}; only the registered Args exist")
    unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[median[0]["time_unit"]]
    return median[0]["real_time"] * unit


def time_torch(threads, m, d, b, repeats, precision="float64"):
    import torch
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(1)
    dtype = torch.float32 if precision == "float32" else torch.float64
    xi = torch.nn.functional.normalize(torch.randn(m, d, generator=gen, dtype=dtype), dim=1)
    q = torch.nn.functional.normalize(torch.randn(b, d, generator=gen, dtype=dtype), dim=1)
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


def uhop_problem(torch, m, d, dphi, seed):
    """Memories on the sphere (M x d), a Gaussian W (D_Phi x d) with requires_grad, the strict
    upper-triangle indices and log P."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.nn.functional.normalize(torch.randn(m, d, generator=gen, dtype=torch.float64), dim=1)
    w = torch.randn(dphi, d, generator=gen, dtype=torch.float64).requires_grad_()
    upper = torch.triu_indices(m, m, offset=1)  # pairs mu < nu, fixed for a given M
    log_pairs = math.log(m * (m - 1) / 2)
    return x, w, upper, log_pairs


def uhop_loss_torch(x, w, upper, log_pairs, tau):
    """Pairwise U-Hop+ loss and the off-diagonal Gram entries it sums over."""
    import torch
    f = x @ w.T
    fh = f / f.norm(dim=1, keepdim=True)
    g = fh @ fh.T
    s = g[upper[0], upper[1]]
    return tau * (torch.logsumexp(s / tau, dim=0) - log_pairs), s


def check_uhop_bounds(loss, s, tau, log_pairs, what):
    """s_max - tau log P <= L <= s_max (up to rounding)."""
    s_max = s.max().item()
    lo, hi = s_max - tau * log_pairs, s_max
    slack = 1e-12 * max(1.0, abs(s_max))
    if not (lo - slack <= loss <= hi + slack):
        sys.exit(f"torch U-Hop+ loss {loss!r} outside [s_max - tau log P, s_max] = [{lo!r}, {hi!r}] ({what})")


def time_torch_uhop(threads, m, d, dphi, repeats):
    import torch
    torch.set_num_threads(threads)
    tau = UHOP_TAU
    # Not timed: the loss at a small size lies within its bounds.
    x, w, upper, log_pairs = uhop_problem(torch, 64, min(d, 16), min(dphi, 16), 2)
    loss, s = uhop_loss_torch(x, w, upper, log_pairs, tau)
    check_uhop_bounds(loss.item(), s.detach(), tau, log_pairs, "M=64")

    x, w, upper, log_pairs = uhop_problem(torch, m, d, dphi, 1)

    def step():
        w.grad = None  # zero the gradient between repetitions
        loss, s = uhop_loss_torch(x, w, upper, log_pairs, tau)
        loss.backward()
        return loss, s

    for _ in range(3):  # warm-up
        step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        loss, s = step()
        times.append(time.perf_counter() - t0)
    assert w.grad is not None and w.grad.shape == (dphi, d)
    assert bool(torch.isfinite(w.grad).all())
    check_uhop_bounds(loss.item(), s.detach(), tau, log_pairs, f"M={m}")
    return statistics.median(times), torch.__version__


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--what", choices=["retrieval", "uhop"], default="retrieval")
    ap.add_argument("--bench", default=None,
                    help="benchmark executable (default build/tests/bench/bench_retrieval or bench_uhop)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--M", type=int, default=None, help="memories (default 4096 retrieval, 2048 uhop)")
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--B", type=int, default=1024, help="queries per block (retrieval)")
    ap.add_argument("--Dphi", type=int, default=64, help="feature dimension D_Phi (uhop)")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--precision", choices=["float64", "float32"], default="float64",
                    help="retrieval arithmetic of both sides")
    a = ap.parse_args()
    if a.what == "retrieval":
        bench = a.bench or "build/tests/bench/bench_retrieval"
        m = a.M if a.M is not None else 4096
        flag = 1 if a.precision == "float32" else 0
        t_hop = time_hopcap(bench, a.threads, f"BM_RetrievalStep/{m}/{a.d}/{a.B}/0/{flag}/", a.repeats)
        t_torch, version = time_torch(a.threads, m, a.d, a.B, a.repeats, a.precision)
        print(f"retrieval step M={m} d={a.d} B={a.B} {a.precision} threads={a.threads}")
    else:
        bench = a.bench or "build/tests/bench/bench_uhop"
        m = a.M if a.M is not None else 2048
        t_hop = time_hopcap(bench, a.threads, f"BM_UhopStep/{m}/{a.d}/{a.Dphi}/0/", a.repeats)
        t_torch, version = time_torch_uhop(a.threads, m, a.d, a.Dphi, a.repeats)
        print(f"uhop step (pairwise loss + dL/dW) M={m} d={a.d} D_Phi={a.Dphi} tau={UHOP_TAU} "
              f"f64 threads={a.threads}")
    print(f"  hopcap  median {t_hop * 1e3:9.3f} ms")
    print(f"  torch   median {t_torch * 1e3:9.3f} ms  (PyTorch {version})")
    print(f"  speed-up hopcap vs torch: {t_torch / t_hop:.2f}x")


if __name__ == "__main__":
    main()
