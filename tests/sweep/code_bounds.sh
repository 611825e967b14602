#!/usr/bin/env bash
# The spherical-code bounds of a grid file: at every point, the optimal_angle_* and
# optimal_separation_* variables for d and (KHM) Dphi equal `hopcap bounds --dim --count` at that
# M, the MHM's Dphi variants are NaN, d = 3 has CSW's closed form Δ = 2/M, and the capacity at
# the best lower bound is never below Prop 3.1's. Capacity files carry capacity_best_lower.
source "$(dirname "$0")/common.bash" "$1" "$2"

grid=(--set 'sweep.d=[3, 8]' --set 'sweep.M=[12, 40]' --set 'sweep.Dphi=[3]' --set 'sweep.beta=[8.0, 100.0]'
      --set 'sweep.sep=["softmax"]' --set 'sweep.model=["mhm", "khm_random"]' --set uhop.iters=5)
OMP_NUM_THREADS=1 run_np 1 "$tiny" -o "$work/grid.h5" "${grid[@]}" >"$work/grid.log" 2>&1 ||
  fail "grid run: $(tail -5 "$work/grid.log")"
for d in 3 8; do
  for m in 12 40; do "$hopcap" bounds --dim "$d" --count "$m" >"$work/bounds_${d}_${m}.json" || fail "bounds $d $m"; done
done

"$py" - "$work/grid.h5" "$work" <<'PY' || fail "grid bound variables"
import json, math, sys
import h5py
import numpy as np
keys = ["prop31_lower", "prop31_upper", "csw_lower", "levenshtein_upper", "rankin_upper", "fejes_toth_upper"]
with h5py.File(sys.argv[1], "r") as f:
    status = f["status"][...]
    assert (status == 1).all(), status
    d, M, model = f["d"][...], f["M"][...], [m.decode() if isinstance(m, bytes) else m for m in f["model"][...]]
    checked = 0
    for ix in np.ndindex(status.shape):
        dd, mm, mo = int(d[ix[0]]), int(M[ix[1]]), model[ix[6]]
        for suffix, dim in (("d", dd), ("dphi", 3 if mo != "mhm" else None)):
            if dim is None:
                for k in keys + ["best_lower", "best_upper"]:
                    assert math.isnan(f[f"optimal_angle_{k}_dphi"][ix]), (ix, k)
                assert math.isnan(f["kl_asymptotic_rate_dphi"][ix])
                continue
            j = json.load(open(f"{sys.argv[2]}/bounds_{dim}_{mm}.json"))
            for k in keys:
                a, s = f[f"optimal_angle_{k}_{suffix}"][ix], f[f"optimal_separation_{k}_{suffix}"][ix]
                ja, js = j["min_angle_deg"][k], j["separation"][k]
                if ja is None:
                    assert math.isnan(a) and math.isnan(s), (ix, k)
                else:
                    assert abs(a - ja) <= 1e-12 * abs(ja) and abs(s - js) <= 1e-12 * abs(js), (ix, k, a, ja)
                assert f[f"optimal_angle_{k}_{suffix}"].attrs["units"] in (b"degree", "degree")
            assert abs(f[f"optimal_angle_best_lower_{suffix}"][ix] - j["best_lower"]["angle_deg"]) < 1e-12
            assert abs(f[f"optimal_angle_best_upper_{suffix}"][ix] - j["best_upper"]["angle_deg"]) < 1e-12
            assert abs(f[f"kl_asymptotic_rate_{suffix}"][ix] - j["kl_asymptotic_rate"]) < 1e-12
            if dim == 3:  # CSW in S^2: Δ = 2/M exactly; Prop 3.1: 2/(3M)
                assert abs(f["optimal_separation_csw_lower_" + suffix][ix] - 2 / mm) < 1e-12
                assert abs(f["optimal_separation_prop31_lower_" + suffix][ix] - 2 / (3 * mm)) < 1e-12
            checked += 1
        assert f["theoretical_capacity_best_lower"][ix] >= f["theoretical_capacity"][ix] >= 1
    # d at every point, Dphi at the KHM half.
    assert checked == status.size + status.size // 2, checked
    # β = 100 in d = 3 (the MHM): 17 by hand against Prop 3.1's 7 (tests/test_well_separation.cpp).
    b100 = list(f["beta"][...]).index(100.0)
    mhm = model.index("mhm")
    assert (f["theoretical_capacity_best_lower"][0, :, :, b100, :, :, mhm] == 17).all()
    assert (f["theoretical_capacity"][0, :, :, b100, :, :, mhm] == 7).all()
PY

capacity=(--set capacity.enabled=true --set capacity.M_min=2 --set capacity.M_max=8 --set 'sweep.d=[3]'
          --set 'sweep.beta=[100.0]' --set 'sweep.Dphi=[3]' --set 'sweep.sep=["softmax"]' --set 'sweep.model=["mhm"]')
OMP_NUM_THREADS=1 run_np 1 "$tiny" -o "$work/cap.h5" "${capacity[@]}" >"$work/cap.log" 2>&1 ||
  fail "capacity run: $(tail -5 "$work/cap.log")"
"$py" - "$work/cap.h5" <<'PY' || fail "capacity_best_lower"
import sys
import h5py
with h5py.File(sys.argv[1], "r") as f:
    assert (f["capacity_best_lower"][...] == 17).all() and (f["capacity_prop31"][...] == 7).all()
    assert "optimal_angle_csw_lower_d" not in f
PY
finish
