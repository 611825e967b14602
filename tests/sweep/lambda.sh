#!/usr/bin/env bash
# sweep.lambda (β = λ·d at every d): the file has the axis `lambda` and records β = λ·d at every
# point; the retrieval of a λ point equals that of a β sweep at β = λ·d value for value; the
# MHM's points carry α_c(λ) of Lucibello-Mezard (checked against its closed form here) and NaN
# elsewhere; capacity mode searches M with it; docs/output-format.md describes both files.
source "$(dirname "$0")/common.bash" "$1" "$2"
export OMP_NUM_THREADS=1

axes=(--set 'sweep.d=[6, 10]' --set 'sweep.Dphi=[4]' --set 'sweep.sep=["softmax"]' --set 'sweep.model=["mhm", "khm_random"]'
      --set 'sweep.lambda=[0.5, 1.5]')
run_np 2 "$tiny" -o "$work/grid.h5" "${axes[@]}" --set 'sweep.M=[8, 20]' >"$work/grid.log" 2>&1 ||
  fail "lambda grid run: $(tail -5 "$work/grid.log")"
# The same points as a β sweep at d = 6: β = 0.5·6 and 1.5·6.
run_np 2 "$tiny" -o "$work/beta.h5" "${axes[@]}" --set 'sweep.M=[8, 20]' --set 'sweep.d=[6]' --set 'sweep.beta=[3.0, 9.0]' \
  >"$work/beta.log" 2>&1 || fail "beta grid run: $(tail -5 "$work/beta.log")"
run_np 2 "$tiny" -o "$work/capacity.h5" "${axes[@]}" --set capacity.enabled=true --set capacity.M_max=64 \
  --set capacity.delta=0.05 >"$work/capacity.log" 2>&1 || fail "lambda capacity run: $(tail -5 "$work/capacity.log")"

"$py" - "$work/grid.h5" "$work/beta.h5" "$work/capacity.h5" <<'PY' || fail "lambda files"
import math
import sys

import h5py
import numpy as np


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def alpha_c(lam):
    # Lucibello-Mezard: phi* = (sqrt(1 + 4 lam^2) - 1)/(2 lam), g = ln(1 - phi*^2)/2 + lam phi*.
    phi = (math.sqrt(1 + 4 * lam * lam) - 1) / (2 * lam)
    return lam - (0.5 * math.log(1 - phi * phi) + lam * phi)


grid_path, beta_path, capacity_path = sys.argv[1:]
for path in (grid_path, capacity_path):
    with h5py.File(path, "r") as f:
        status = f["status"]
        axes = [text(status.dims[k][0].name).lstrip("/") for k in range(status.ndim)]
        assert "lambda" in axes and "beta" not in axes, axes
        assert (status[...] == 1).all(), f"{path}: not every point ok"
        assert list(f["lambda"][...]) == [0.5, 1.5], f["lambda"][...]
        assert text(f["lambda"].attrs["units"]) == "1"
        d = f["d"][...]
        lam = f["lambda"][...]
        models = [text(m) for m in f["model"][...]]
        beta = np.moveaxis(f["beta"][...], [axes.index("d"), axes.index("lambda")], [0, 1])
        alpha = np.moveaxis(f["lm_alpha_c"][...], [axes.index("d"), axes.index("lambda"), axes.index("model")], [0, 1, 2])
        rate = np.moveaxis(f["lm_rate_at_epsilon"][...], [axes.index("d"), axes.index("lambda"), axes.index("model")],
                           [0, 1, 2])
        for i, dv in enumerate(d):
            for j, lv in enumerate(lam):
                assert (beta[i, j] == lv * dv).all(), (path, dv, lv, beta[i, j])
                for k, model in enumerate(models):
                    if model == "mhm":
                        assert np.allclose(alpha[i, j, k], alpha_c(lv), rtol=1e-13, atol=0), (dv, lv, alpha[i, j, k])
                        # epsilon < 1 puts the finite-d estimate below alpha_c; positive at these sizes.
                        assert ((rate[i, j, k] > 0) & (rate[i, j, k] < alpha_c(lv))).all(), (dv, lv, rate[i, j, k])
                    else:
                        assert np.isnan(alpha[i, j, k]).all() and np.isnan(rate[i, j, k]).all(), (model, dv, lv)

# The λ run at d = 6 equals the β run at β = λ·6, variable by variable (same memories and queries).
with h5py.File(grid_path, "r") as g, h5py.File(beta_path, "r") as b:
    assert list(b["beta"][...]) == [3.0, 9.0]
    compared = 0
    for name in b:
        if name in ("status", "message") or name.startswith("seconds") or not isinstance(b[name], h5py.Dataset):
            continue
        if b[name].ndim < b["status"].ndim:
            continue  # coordinates
        x, y = g[name][0:1], b[name][...]
        assert x.shape == y.shape, (name, x.shape, y.shape)
        assert np.array_equal(x, y, equal_nan=True), name
        compared += 1
    assert compared > 20, compared

with h5py.File(capacity_path, "r") as f:
    assert text(f.attrs["mode"]) == "capacity"
    cap, bound = f["capacity"][...], f["capacity_bound"][...]
    assert ((cap >= 1) & (cap <= 64)).all(), cap
    assert np.isin(bound, [-1, 0, 1]).all(), bound
print("lambda files ok")
PY

"$py" "$here/../python/check_output_doc.py" "$here/../../docs/output-format.md" "$work/grid.h5" "$work/capacity.h5" \
  >"$work/doc.log" 2>&1 || fail "docs/output-format.md does not describe the lambda files: $(cat "$work/doc.log")"
finish
