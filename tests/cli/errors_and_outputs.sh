#!/usr/bin/env bash
# Command-line behaviour of the hopcap executable: JSON outputs carry the right exact numbers,
# bad arguments and files give one error line and a non-zero exit code, never a crash.
# Usage: errors_and_outputs.sh PATH/TO/hopcap
source "$(dirname "$0")/common.bash" "$1"

# --- codes: exact closed forms ---------------------------------------------------------------
expect_json "icosahedron" "j['M']==12 and j['d']==3 and abs(j['max_cos']-1/math.sqrt(5))<1e-12 and abs(j['delta_min']-(1-1/math.sqrt(5)))<1e-12" codes --generate icosahedron
expect_json "simplex" "abs(j['delta_min']-7/6)<1e-12 and j['d']==6" codes --generate simplex:7
expect_json "e8" "j['M']==240 and abs(j['max_cos']-0.5)<1e-12 and abs(j['min_angle_deg']-60)<1e-9" codes --generate e8
expect_json "600cell" "j['M']==120 and abs(j['min_angle_deg']-36)<1e-9" codes --generate 600cell
expect_json "prop31 d3" "abs(j['prop31_lower']-2/(3*12))<1e-12 and abs(j['prop31_upper']-4/math.sqrt(12))<1e-12" codes --generate icosahedron
expect_json "polygon" "abs(j['min_angle_deg']-360/7)<1e-9" codes --generate polygon:7

# A file of vectors: the square in the plane.
printf '1 0\n0 1\n-1 0\n0 -1\n' >"$work/square.txt"
expect_json "text file" "j['M']==4 and abs(j['min_angle_deg']-90)<1e-12 and abs(j['max_cos'])<1e-15" codes --input "$work/square.txt"

shared="${HOPCAP_SHARED_DIR:-}"
if [[ -n "$shared" && -d "$shared/spherical-codes" ]]; then
  expect_json "sloane 24" "j['M']==24 and abs(j['min_angle_deg']-43.6907671)<1e-6" codes --input "$shared/spherical-codes/sloane-dim3/pack.3.24.txt"
  expect_json "sloane 124 integer" "j['M']==124 and abs(j['min_angle_deg']-18.9513993)<1e-6" codes --input "$shared/spherical-codes/sloane-dim3/pack.3.124.txt" --format sloane
  expect_json "600cell file" "j['M']==120 and abs(j['max_cos']-(1+math.sqrt(5))/4)<1e-12" codes --input "$shared/spherical-codes/dim4/600cell.4.120.txt"
else
  echo "note: ../shared not found; skipping the Sloane-file checks"
fi

# --- retrieve --------------------------------------------------------------------------------
expect_json "retrieve defaults" "j['summary']['queries']==64 and 0<=j['summary']['success_rate']<=1 and j['settings']['model']=='mhm'" retrieve
# A well-separated exact code at large beta: every angle-perturbed query comes back.
printf '1 0 0\n-1 0 0\n0 1 0\n0 -1 0\n0 0 1\n0 0 -1\n' >"$work/octahedron.txt"
expect_json "octahedron retrieval" "j['summary']['success_rate']==1.0 and j['summary']['metastable']['histogram_from_size_0'][1]==18" retrieve --memories "text:$work/octahedron.txt" --beta 50 --query angle:15 --queries-per-memory 3 --epsilon 1e-6
expect_json "sparsemax retrieval" "j['settings']['sep']=='sparsemax' and j['summary']['success_rate']==1.0" retrieve --memories "text:$work/octahedron.txt" --beta 50 --sep sparsemax --query angle:15
# Far beyond capacity: d = 8, M = 10^4, beta = 1.
expect_json "beyond capacity" "j['summary']['success_rate']==0.0" retrieve --d 8 --M 10000 --beta 1 --query angle:0
expect_json "random queries" "j['summary']['queries']==50 and j['summary']['retrieved']==0" retrieve --M 20 --query random --random-queries 50
# float32: recorded in the settings, the same outcome on the exact code; refused at a beta where
# float32 scores cannot be trusted.
expect_json "float32 retrieval" "j['settings']['precision']=='float32' and j['summary']['success_rate']==1.0 and j['summary']['converged_rate']==1.0" retrieve --memories "text:$work/octahedron.txt" --beta 50 --query angle:15 --queries-per-memory 3 --epsilon 1e-6 --precision float32
expect_json "float64 recorded" "j['settings']['precision']=='float64'" retrieve --M 8
expect_error "bad precision" "--precision: unknown precision 'half'" retrieve --precision half
expect_error "float32 at huge beta" "precision float32.*use precision float64" retrieve --beta 1e5 --precision float32
expect_error "demo bad precision" "--precision: unknown precision" demo --precision float16

# KHM with a feature map file: a random 5x3 W keeps the octahedron separated enough at beta 50.
"$py" - "$work/w.h5" <<'PYEOF'
import sys, h5py, numpy as np
rng = np.random.default_rng(3)
with h5py.File(sys.argv[1], "w") as f:
    f["W"] = np.vstack([np.eye(3), rng.standard_normal((2, 3)) * 0.1])
PYEOF
expect_json "khm feature map" "j['settings']['model']=='khm' and j['settings']['D_phi']==5 and j['summary']['success_rate']==1.0 and 'feature_delta_min' in j['memories']['separation']" retrieve --memories "text:$work/octahedron.txt" --beta 50 --query angle:10 --feature-map "$work/w.h5"

# --- errors: one line, non-zero, no crash ------------------------------------------------------
expect_error "negative beta" "beta" retrieve --beta -1
expect_error "zero beta" "beta" retrieve --beta 0
expect_error "bad sep" "entmax|separation" retrieve --sep entmax:0.5
expect_error "data queries outside a sweep" "sweep query model" retrieve --query data:text:queries.txt
expect_error "unknown sep" "separation|sep" retrieve --sep foo
expect_error "bad query" "query" retrieve --query angle:400
expect_error "bad M" "M" retrieve --M 0
expect_error "missing file" "no such file|cannot open|not found" retrieve --memories text:/nonexistent/file.txt
printf '1 2 3\n4 5\n' >"$work/ragged.txt"
expect_error "ragged file" "ragged.txt" codes --input "$work/ragged.txt"
printf 'hello world\n' >"$work/words.txt"
expect_error "non-numeric" "words.txt" codes --input "$work/words.txt"
expect_error "codes needs input" "exactly one" codes
expect_error "unknown code" "code|spec|unknown" codes --generate dodecagon
expect_error "missing feature map" "feature map" retrieve --feature-map "$work/none.h5"
printf 'not hdf5' >"$work/bad.h5"
expect_error "bad feature map" "feature map" retrieve --feature-map "$work/bad.h5"
expect_error "unknown option" "--frobnicate" retrieve --frobnicate
expect_error "no subcommand" "subcommand" 

if [[ $failures -gt 0 ]]; then
  echo "$failures CLI check(s) failed"
  exit 1
fi
echo "all CLI checks passed"
