#!/usr/bin/python3
"""U-Hop+ as published against hopcap's methods, on codes whose best-known angle is known.

    tools/uhop_methods.py [--hopcap build/hopcap] [--cases 13,24,72,24cell,...] [--all-s2]
                          [--methods paper_tuned,paper,refine,search] [--seed 1] [--out T.md]

For every case it draws M random memories on the sphere in d = M + 8 (numpy, seeded), so a
linear map can place the features anywhere, and runs `hopcap train --Dphi D` once per method:

- paper        Algorithm 1 as published with hopcap's defaults (`--method paper`)
- paper_tuned  Algorithm 1 with the separation-bound experiment's schedule (τ 0.1 → 2e-5,
               ×0.995 per step, the step following τ, Adam 0.02, 3000 steps, 3 restarts)
- refine       the default loop, then its code refined to the max–min code of its basin
- search       hopcap's default (`hopcap train --Dphi D` with no other flag)

The angle of each method is recomputed here from the saved W (and b) applied to the memories,
independently of hopcap. Cases: N on S² (best-known angle computed from Sloane's file
../shared/spherical-codes/sloane-dim3/pack.3.N.txt), 24cell and 600cell in D_Φ = 4 (60° and 36°)
and e8 (the 240 roots in D_Φ = 8, 60°). Prints a Markdown table (angles in degrees, the miss
against the best known, wall seconds per run) and writes it to --out.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("HOPCAP_SHARED_DIR", os.path.join(REPO, "..", "shared"))

PAPER_TUNED = ["--method", "paper", "--tau", "0.1", "--tau-min", "2e-5", "--anneal", "0.995", "--lr", "0.02",
               "--lr-follows-tau", "--iters", "3000", "--restarts", "3"]
METHODS = {
    "paper": ["--method", "paper"],
    "paper_tuned": PAPER_TUNED,
    "refine": ["--method", "refine"],
    "search": [],
}
EXACT = {"24cell": (24, 4, 60.0), "600cell": (120, 4, 36.0), "e8": (240, 8, 60.0)}


def min_angle_deg(points):
    """Smallest angle between the rows of points (normalised here), in degrees."""
    p = points / np.linalg.norm(points, axis=1, keepdims=True)
    g = p @ p.T
    np.fill_diagonal(g, -np.inf)
    return float(np.degrees(np.arccos(np.clip(g.max(), -1.0, 1.0))))


def read_sloane(path):
    """Points of a Sloane file: numbers up to the first non-numeric token; the integer format
    (header '3 N 1', coordinates scaled by 2^30) is recognised by its header."""
    numbers = []
    for line in open(path, encoding="ascii"):
        try:
            numbers.extend(float(t) for t in line.split())
        except ValueError:
            break
    n = int(os.path.basename(path).split(".")[2])
    if len(numbers) == 3 * n + 3:  # the integer format's header
        numbers = numbers[3:]
    return np.array(numbers[: 3 * n]).reshape(n, 3)


def case_target(name):
    """(M, D_Φ, best-known angle) of a case."""
    if name in EXACT:
        return EXACT[name]
    n = int(name)
    path = os.path.join(SHARED, "spherical-codes", "sloane-dim3", f"pack.3.{n}.txt")
    if not os.path.exists(path):
        sys.exit(f"uhop_methods: error: {path} not found (set HOPCAP_SHARED_DIR)")
    return n, 3, min_angle_deg(read_sloane(path))


def run_case(hopcap, name, methods, seed, work):
    m, dphi, best = case_target(name)
    d = m + 8
    rng = np.random.default_rng(seed * 1000003 + m)
    x = rng.standard_normal((m, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    memories = os.path.join(work, f"memories_{name}.txt")
    np.savetxt(memories, x, fmt="%.17g")
    row = {"case": name, "M": m, "D": dphi, "best": best}
    for method in methods:
        out = os.path.join(work, f"{name}_{method}.h5")
        cmd = [hopcap, "train", "--memories", f"text:{memories}", "--Dphi", str(dphi), "--seed", str(seed),
               "--out", out, "--overwrite"] + METHODS[method]
        start = time.monotonic()
        done = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.monotonic() - start
        if done.returncode != 0:
            sys.exit(f"uhop_methods: error: {' '.join(cmd)}: {done.stderr.strip()}")
        reported = json.loads(done.stdout)["min_angle_deg_after"]
        with h5py.File(out, "r") as f:
            w = f["W"][...]
            b = f["b"][...] if "b" in f else np.zeros(w.shape[0])
        angle = min_angle_deg(x @ w.T + b)
        if abs(angle - reported) > 1e-6:
            sys.exit(f"uhop_methods: error: {name} {method}: hopcap reports {reported}, the saved map gives {angle}")
        row[method] = (angle, seconds)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hopcap", default=os.path.join(REPO, "build", "hopcap"))
    ap.add_argument("--cases", default="13,24,72,120,24cell,600cell,e8")
    ap.add_argument("--all-s2", action="store_true", help="every N = 4..130 on S^2, then the exact codes")
    ap.add_argument("--methods", default="paper,paper_tuned,refine,search")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    cases = [str(n) for n in range(4, 131)] + list(EXACT) if a.all_s2 else a.cases.split(",")
    methods = a.methods.split(",")
    for method in methods:
        if method not in METHODS:
            sys.exit(f"uhop_methods: error: unknown method '{method}' (expected {', '.join(METHODS)})")
    header = "| case | M | D_Φ | best known (°) | " + " | ".join(
        f"{m} (°) | miss | s" for m in methods) + " |"
    lines = [header, "|" + "---|" * (4 + 3 * len(methods))]
    with tempfile.TemporaryDirectory() as work:
        for name in cases:
            r = run_case(a.hopcap, name, methods, a.seed, work)
            cells = [r["case"], str(r["M"]), str(r["D"]), f"{r['best']:.4f}"]
            for method in methods:
                angle, seconds = r[method]
                cells += [f"{angle:.4f}", f"{r['best'] - angle:.4f}", f"{seconds:.1f}"]
            lines.append("| " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
