#!/usr/bin/env bash
# run.metrics: "off" writes the separation variables as NaN with every point ok; "estimate"
# writes bounds (delta_min and the angles never below the exact values, raw_delta_min never
# below) and a NaN stored fraction; a sample of every memory gives the exact values; the mode
# is recorded in the file's config and --resume refuses another mode.
source "$(dirname "$0")/common.bash" "$1" "$2"

export OMP_NUM_THREADS=1
metrics=(--set 'sweep.model=["mhm", "khm_random"]' --set 'sweep.sep=["softmax"]' --set 'sweep.beta=[8.0]')
run_np 2 "$tiny" -o "$work/exact.h5" "${metrics[@]}" >"$work/log" 2>&1 || fail "exact run: $(tail -3 "$work/log")"
run_np 2 "$tiny" -o "$work/off.h5" "${metrics[@]}" --set run.metrics=off >"$work/log" 2>&1 ||
  fail "off run: $(tail -3 "$work/log")"
run_np 2 "$tiny" -o "$work/sampled.h5" "${metrics[@]}" --set run.metrics=estimate --set run.metrics_sample=3 \
  >"$work/log" 2>&1 || fail "estimate run: $(tail -3 "$work/log")"
run_np 3 "$tiny" -o "$work/all.h5" "${metrics[@]}" --set run.metrics=estimate --set run.metrics_sample=40 \
  --set run.group_size=3 >"$work/log" 2>&1 || fail "estimate run of every memory: $(tail -3 "$work/log")"
"$py" - "$work" <<'PY' || fail "metric variables"
import sys
import h5py
import numpy as np
work = sys.argv[1]
files = {name: h5py.File(f"{work}/{name}.h5", "r") for name in ("exact", "off", "sampled", "all")}
metric = ["delta_min", "raw_delta_min", "min_angle_deg", "feature_delta_min", "feature_min_angle_deg", "stored_fraction"]
ran = files["exact"]["status"][...] == 1
assert ran.sum() > 0
for name, f in files.items():
    assert np.array_equal(f["status"][...], files["exact"]["status"][...]), f"{name}: status differs"
    mode = {"exact": "exact", "off": "off"}.get(name, "estimate")
    config = f.attrs["config"]
    config = config.decode() if isinstance(config, bytes) else config
    assert f'metrics = "{mode}"' in config, f"{name}: config does not record the mode"
    assert np.array_equal(f["success_rate"][...], files["exact"]["success_rate"][...]), f"{name}: retrieval changed"
for v in metric:
    assert np.isnan(files["off"][v][...]).all(), f"off: {v} is not missing"
exact = {v: files["exact"][v][...][ran] for v in metric}
assert np.isfinite(exact["delta_min"]).all() and np.isfinite(exact["stored_fraction"]).all()
sampled = {v: files["sampled"][v][...][ran] for v in metric}
assert np.isnan(sampled["stored_fraction"]).all(), "estimate: stored_fraction is not missing"
tol = 1e-12
for v in ("delta_min", "min_angle_deg", "raw_delta_min", "feature_delta_min", "feature_min_angle_deg"):
    have = np.isfinite(exact[v])
    assert np.array_equal(have, np.isfinite(sampled[v])), v
    assert (sampled[v][have] >= exact[v][have] - tol).all(), f"estimate: {v} below the exact value"
    every = files["all"][v][...][ran][have]
    assert np.allclose(every, exact[v][have], rtol=tol, atol=tol), f"sample of every memory: {v} differs"
# With M = 40 and a sample of 3 some point must see a strictly larger bound, or the test shows nothing.
assert (sampled["delta_min"] > exact["delta_min"] + 1e-9).any(), "no estimate was strict"
print("metric variables as documented")
PY
if run_np 1 "$tiny" -o "$work/exact.h5" "${metrics[@]}" --set run.metrics=off --resume >"$work/log" 2>&1; then
  fail "--resume accepted another run.metrics"
else
  grep -q "different config" "$work/log" || fail "--resume refused without saying why: $(tail -2 "$work/log")"
fi
finish
