#!/usr/bin/env bash
# hopcap landscape against independent NumPy twins: the softmax energy equals the closed form
# ½|x|² − β⁻¹ log Σ exp(β⟨ξ,x⟩) at every grid point; the basin labels equal a naive NumPy
# retrieval (softmax and sparsemax, 5 updates); the grid spans the memories' bounding box
# ± margin; snapshot 0 is the raw memories on the unit circle; the captured fractions in the
# file and on stdout are the share of labelled points; bad input is a one-line error; the
# plotting tool draws both figures.
# Usage: landscape.sh PATH/TO/hopcap
source "$(dirname "$0")/common.bash" "$1"
here="$(cd "$(dirname "$0")" && pwd)"

args=(landscape --M 3 --seed 5 --beta 6 --grid 23 --margin 0.2 --snapshots 0,4 --sep softmax,sparsemax --bias
      --tau 0.5 --lr 0.1 --out "$work/land.h5")
"$hopcap" "${args[@]}" >"$work/out.json" 2>"$work/err.txt" || fail "landscape run: $(cat "$work/err.txt")"
"$py" - "$work/land.h5" "$work/out.json" <<'PY' || fail "landscape against the NumPy twins"
import json, sys
import h5py
import numpy as np

def sparsemax(z):
    s = np.sort(z)[::-1]
    k = np.arange(1, z.size + 1)
    support = 1 + k * s > np.cumsum(s)
    kz = k[support][-1]
    tau = (np.cumsum(s)[kz - 1] - 1) / kz
    return np.maximum(z - tau, 0)

def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()

summary = json.load(open(sys.argv[2]))
with h5py.File(sys.argv[1], "r") as f:
    beta, margin = f.attrs["beta"], f.attrs["margin"]
    assert f.attrs["separation_maps"] in (b"softmax sparsemax", "softmax sparsemax")
    steps = list(f["step"][...])
    assert steps == [0, 4], steps
    mem, x, y = f["memories"][...], f["x"][...], f["y"][...]
    energy, basin, frac = f["energy"][...], f["basin"][...], f["captured_fraction"][...]
    assert np.allclose(np.linalg.norm(mem[0], axis=1), 1, atol=1e-14), "raw memories are on the unit circle"
    for s in range(2):
        xi = mem[s]
        assert np.isclose(x[s, 0], xi[:, 0].min() - margin) and np.isclose(x[s, -1], xi[:, 0].max() + margin)
        assert np.isclose(y[s, 0], xi[:, 1].min() - margin) and np.isclose(y[s, -1], xi[:, 1].max() + margin)
        X, Y = np.meshgrid(x[s], y[s])
        points = np.stack([X.ravel(), Y.ravel()], axis=1)
        z = beta * points @ xi.T
        zmax = z.max(axis=1, keepdims=True)
        closed = 0.5 * (points ** 2).sum(axis=1) - (zmax[:, 0] + np.log(np.exp(z - zmax).sum(axis=1))) / beta
        assert np.max(np.abs(energy[s, 0].ravel() - closed)) < 1e-12, "softmax energy"
        for k, sep in enumerate((softmax, sparsemax)):
            labels = []
            for p in points:
                state = p.copy()
                for _ in range(5):
                    state = xi.T @ sep(beta * xi @ state)
                d = np.linalg.norm(xi - state, axis=1)
                near = np.nonzero(d < 1e-3)[0]
                labels.append(near[0] if near.size else -1)
            got = basin[s, k].ravel()
            assert np.array_equal(got, np.array(labels)), (s, k, np.count_nonzero(got != np.array(labels)))
            assert frac[s, k] == np.count_nonzero(got >= 0) / got.size
            assert summary["snapshots"][s]["captured_fraction"][("softmax", "sparsemax")[k]] == frac[s, k]
    assert frac.max() > 0.3, frac  # labelled points exist (and unlabelled ones, next line)
    assert (basin == -1).any(), "no unlabelled point: the check of -1 labels is vacuous"
PY

expect_error "planar only" "Dphi must be 2" landscape --Dphi 3 --out "$work/x.h5"
expect_error "grid too small" "grid" landscape --grid 1 --out "$work/x.h5"
expect_error "one memory" "--M.*\[2, " landscape --M 1 --out "$work/x.h5"

if "$py" -c "import matplotlib" 2>/dev/null; then
  MPLBACKEND=Agg "$py" "$here/../../tools/landscape_plot.py" "$work/land.h5" --out "$work/fig" >/dev/null ||
    fail "landscape_plot.py"
  for kind in energy basins; do
    [[ $(stat -c %s "$work/fig/land_$kind.png" 2>/dev/null || echo 0) -gt 10000 ]] || fail "no $kind figure"
  done
else
  echo "skipping tools/landscape_plot.py: python3-matplotlib is not installed"
fi
if [[ $failures -gt 0 ]]; then
  echo "$failures CLI check(s) failed"
  exit 1
fi
echo "all CLI checks passed"
