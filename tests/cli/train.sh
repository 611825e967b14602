#!/usr/bin/env bash
# hopcap train and retrieve --train-uhop: the learned map reaches a known code, the saved file
# holds W and the trace and feeds retrieve --feature-map, and bad settings are one-line errors.
# Usage: train.sh PATH/TO/hopcap
source "$(dirname "$0")/common.bash" "$1"

# 12 memories in d = 24 onto D_Phi = 3: the optimal code is the icosahedron, 63.4349488 deg.
code_args=(train --d 24 --M 12 --Dphi 3 --tau 0.1 --tau-min 5e-4 --anneal 0.997 --lr 0.02
           --lr-follows-tau --iters 2000 --restarts 3)
expect_json "icosahedron from U-Hop+" \
  "abs(j['min_angle_deg_after']-63.43494882292201)<0.05 and j['min_angle_deg_before']<j['min_angle_deg_after'] and j['iterations']==2000 and j['settings']['D_phi']==3 and abs(j['delta_min_after']-(1-1/math.sqrt(5)))<1e-3" \
  "${code_args[@]}" --out "$work/ico.h5"

if "$py" - "$work/ico.h5" <<'PY'
import json, sys
import h5py
with h5py.File(sys.argv[1], "r") as f:
    assert f["W"].shape == (3, 24), f["W"].shape
    assert "b" not in f
    trace = f["trace"]
    assert all(trace[k].shape == (2000,) for k in ("iteration", "loss", "s_max", "delta_min", "min_angle_deg", "grad_norm", "tau"))
    assert abs(trace["tau"][0] - 0.1) < 1e-15 and abs(trace["tau"][-1] - 5e-4) < 1e-15
    settings = json.loads(f.attrs["hopcap_settings"])
    assert settings["settings"]["restarts"] == 3
PY
then :; else fail "trained file layout"; fi

# float32 steps: the same code within the same tolerance, the precision recorded in the JSON
# settings and in the saved file's; refused where float32 cannot be trusted.
expect_json "icosahedron from float32 U-Hop+" \
  "abs(j['min_angle_deg_after']-63.43494882292201)<0.05 and j['settings']['precision']=='float32'" \
  "${code_args[@]}" --precision float32 --out "$work/ico32.h5"
"$py" -c "import h5py,json,sys; f=h5py.File('$work/ico32.h5'); s=json.loads(f.attrs['hopcap_settings']); sys.exit(0 if s['settings']['precision']=='float32' else 1)" || fail "precision attribute"
expect_json "float64 steps recorded" "j['settings']['precision']=='float64'" train --d 6 --M 8 --Dphi 3 --iters 5 --method paper
expect_error "bad training precision" "unknown precision 'half'" train --d 6 --M 8 --Dphi 3 --precision half
expect_error "float32 below its tau limit" "float32 U-Hop\\+ needs tau.*use precision float64" \
  train --d 6 --M 8 --Dphi 3 --tau 0.1 --tau-min 1e-5 --anneal 0.9 --precision float32
expect_json "retrieve trains in float32 with its own flag" \
  "j['uhop']['settings']['precision']=='float32' and j['settings']['precision']=='float64'" \
  retrieve --d 5 --M 10 --beta 1 --train-uhop --Dphi 5 --iters 20 --method paper --uhop-precision float32

expect_json "retrieve with the saved map" \
  "j['settings']['model']=='khm' and j['settings']['D_phi']==3 and abs(j['memories']['separation']['feature_min_angle_deg']-63.43494882292201)<0.05" \
  retrieve --d 24 --M 12 --beta 8 --query angle:5 --feature-map "$work/ico.h5"

# Stage II inside feature space: the 12 memories become the icosahedron's vertices on S^2.
expect_json "retrieval in feature space" \
  "j['settings']['khm_space']=='feature' and j['summary']['success_rate']==1.0" \
  retrieve --d 24 --M 12 --beta 20 --query angle:10 --feature-map "$work/ico.h5" --khm-space feature
# Queries at 10° after the map (the icosahedron's codes are 63° apart): all retrieved.
expect_json "feature-angle queries through the saved map" \
  "j['settings']['query']=='feature_angle:10' and j['summary']['success_rate']==1.0" \
  retrieve --d 24 --M 12 --beta 20 --query feature_angle:10 --feature-map "$work/ico.h5"
expect_error "demo shares its queries between models" "feature_angle.*demo" demo --query feature_angle:10
expect_error "feature space needs a map" "needs a feature map" retrieve --M 12 --khm-space feature
expect_error "bad khm space" "khm-space" retrieve --M 12 --khm-space sideways

expect_json "affine map saves b" "j['settings']['bias']==True" \
  train --d 6 --M 8 --Dphi 4 --bias --iters 20 --method paper --out "$work/affine.h5"
"$py" -c "import h5py,sys; f=h5py.File('$work/affine.h5'); sys.exit(0 if f['b'].shape==(4,) else 1)" || fail "bias dataset"

expect_json "train then retrieve" \
  "j['settings']['model']=='khm' and j['uhop']['iterations']==50 and j['summary']['queries']==30" \
  retrieve --d 5 --M 10 --beta 1 --sep entmax15 --query random --random-queries 30 --t-max 20 \
  --train-uhop --Dphi 5 --iters 50 --lr 0.05 --method paper

for loss in per_memory as_coded; do
  expect_json "loss $loss" "j['settings']['loss']=='$loss' and j['iterations']==10" \
    train --d 6 --M 9 --Dphi 3 --loss "$loss" --iters 10 --method paper
done
expect_json "sgd with projection" "j['settings']['optimizer']=='sgd' and j['settings']['projection']=='unit_rows'" \
  train --d 6 --M 9 --Dphi 3 --optimizer sgd --projection unit_rows --iters 10 --method paper

# The method is recorded: in the summary, and with the settings in the saved file.
expect_json "paper method is the loop alone" \
  "j['settings']['method']=='paper' and j['method']=='paper' and j['search_evaluations']==0 and j['min_angle_deg_paper']==j['min_angle_deg_after']" \
  train --d 6 --M 9 --Dphi 3 --method paper --iters 10
expect_json "search is the default" \
  "j['settings']['method']=='search' and j['settings']['hops']==4 and j['search_evaluations']>0 and j['min_angle_deg_after']>=j['min_angle_deg_paper']" \
  train --d 12 --M 6 --Dphi 3 --iters 10 --hops 4 --out "$work/search.h5"
"$py" -c "import h5py,json,sys; f=h5py.File('$work/search.h5'); s=json.loads(f.attrs['hopcap_settings']); sys.exit(0 if s['settings']['method']=='search' else 1)" || fail "method attribute"

# The quick-start demo runs and its two self-checks print the icosahedron angle: the generated
# code exactly, the learned one within 10^-4 deg (the search settles a code to well under 10^-3
# deg, docs/science.md; its last digits follow the CPU's BLAS kernels).
if "$hopcap" demo >"$work/demo.txt" 2>&1; then
  grep -q "icosahedron min angle 63.4349488 deg (exact arccos(1/sqrt 5) = 63.4349488 deg)" "$work/demo.txt" ||
    fail "demo generated-code self-check: $(cat "$work/demo.txt")"
  learned=$(sed -n 's/.*U-Hop+ code of 12 memories in D_Phi = 3: min angle \([0-9.]*\) deg.*/\1/p' "$work/demo.txt")
  [[ -n "$learned" ]] || fail "demo lacks the U-Hop+ self-check: $(cat "$work/demo.txt")"
  "$py" -c "import sys; sys.exit(0 if abs($learned - 63.43494882292201) < 1e-4 else 1)" ||
    fail "demo U-Hop+ self-check: $learned deg, not the icosahedron's 63.4349488 deg"
  grep -q "KHM + U-Hop+, softmax" "$work/demo.txt" || fail "demo lacks the KHM rows"
else
  fail "demo exit code $?"
fi

# --- bad settings --------------------------------------------------------------------------
expect_error "Dphi 0" "--Dphi.*\[1, " train --M 10 --Dphi 0
expect_error "Dphi missing" "Dphi" train --M 10
expect_error "tau 0" "tau" train --M 10 --Dphi 3 --tau 0
expect_error "tau negative" "tau" train --M 10 --Dphi 3 --tau -1
expect_error "lr 0" "lr" train --M 10 --Dphi 3 --lr 0
expect_error "bad loss" "loss" train --M 10 --Dphi 3 --loss hinge
expect_error "bad optimizer" "optimizer" train --M 10 --Dphi 3 --optimizer lbfgs
expect_error "bad method" "method" train --M 10 --Dphi 3 --method fast
expect_error "negative hops" "hops" train --M 10 --Dphi 3 --hops -1
expect_error "bad anneal" "anneal" train --M 10 --Dphi 3 --anneal 2
expect_error "identity too wide" "identity" train --d 4 --M 10 --Dphi 8 --init identity
expect_error "one memory" "2 memories" train --M 1 --Dphi 2
expect_error "unwritable out" "feature map" train --M 6 --Dphi 2 --iters 2 --out /nonexistent/dir/w.h5
expect_error "train-uhop without Dphi" "Dphi" retrieve --train-uhop
expect_error "train-uhop and feature map" "exclude" retrieve --train-uhop --Dphi 3 --feature-map "$work/ico.h5"

if [[ $failures -gt 0 ]]; then
  echo "$failures CLI check(s) failed"
  exit 1
fi
echo "all CLI checks passed"
