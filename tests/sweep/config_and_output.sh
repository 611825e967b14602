#!/usr/bin/env bash
# Config validation before any work, --print-config round trip, and the documented output
# opened by xarray (engine h5netcdf) and h5py with no extra code.
source "$(dirname "$0")/common.bash" "$1" "$2"

# expect_config_error NAME PATTERN TOML: one error line naming the key, exit != 0, no file.
expect_config_error() {
  local name="$1" pattern="$2" toml="$3"
  printf '%s\n[run]\noutput = "%s/bad.h5"\n' "$toml" "$work" >"$work/bad.toml"
  rm -f "$work/bad.h5"
  "$hopcap" run "$work/bad.toml" >"$work/out.txt" 2>"$work/err.txt"
  local rc=$?
  [[ $rc -ne 0 && $rc -lt 128 ]] || fail "$name: exit code $rc"
  [[ $(grep -c . "$work/err.txt") -eq 1 ]] || fail "$name: expected one error line: $(cat "$work/err.txt")"
  grep -qE -- "$pattern" "$work/err.txt" || fail "$name: stderr lacks /$pattern/: $(cat "$work/err.txt")"
  [[ ! -e "$work/bad.h5" ]] || fail "$name: an output file was created"
}
expect_config_error "unknown key" "sweep.colour" $'[sweep]\ncolour = 3'
expect_config_error "unknown section" "plot" $'[plot]\nx = 1'
expect_config_error "wrong type" "sweep.beta" $'[sweep]\nbeta = "hot"'
expect_config_error "empty axis" "sweep.d" $'[sweep]\nd = []'
expect_config_error "M < 1" "sweep.M" $'[sweep]\nM = [0]'
expect_config_error "beta <= 0" "sweep.beta" $'[sweep]\nbeta = [-1.0]'
expect_config_error "alpha <= 1" "sweep.sep" $'[sweep]\nsep = ["entmax:1.0"]'
expect_config_error "Dphi < 1" "sweep.Dphi" $'[sweep]\nDphi = [0]'
expect_config_error "syntax" "line" $'[sweep\nd = 3'

# --print-config prints every key; feeding it back reproduces the config and the run.
"$hopcap" run "$tiny" -o "$work/a.h5" --print-config >"$work/printed.toml" || fail "print-config"
grep -q "^\[uhop\]" "$work/printed.toml" || fail "printed config lacks [uhop]"
"$hopcap" run "$work/printed.toml" --print-config >"$work/printed2.toml" || fail "print-config of printed"
cmp -s "$work/printed.toml" "$work/printed2.toml" || fail "print-config is not a fixed point"
OMP_NUM_THREADS=1 run_np 1 "$tiny" -o "$work/a.h5" >/dev/null 2>&1 || fail "run a"
OMP_NUM_THREADS=1 run_np 1 "$work/printed.toml" -o "$work/b.h5" >/dev/null 2>&1 || fail "run b"
grep -q "^output = \"$work/a.h5\"" "$work/printed.toml" || fail "-o is not part of the printed config"
"$py" "$here/compare_runs.py" "$work/a.h5" "$work/b.h5" 1e-15 || fail "printed config does not reproduce the run"
"$py" - "$work/a.h5" <<'PY' || fail "stored config differs from --print-config"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    stored = f.attrs["config"]
    stored = stored.decode() if isinstance(stored, bytes) else stored
printed = open(sys.argv[1].replace("a.h5", "printed.toml")).read()
sys.exit(0 if stored == printed else 1)
PY

# The final attributes: per-phase seconds fit inside the compute time, and the counted flops
# equal the counting model re-evaluated from the file's own per-configuration data.
"$py" - "$work/a.h5" <<'PY' || fail "timings or counted flops"
import re, sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    text = f.attrs["timings"]
    text = text.decode() if isinstance(text, bytes) else text
    mean = {k: float(v) for k, v in re.findall(r"(\w+_seconds) min \S+ mean ([0-9.eE+-]+)", text)}
    phases = mean["uhop_seconds"] + mean["metrics_seconds"] + mean["retrieval_seconds"]
    assert 0 < phases <= mean["compute_seconds"] <= mean["wall_seconds"], mean
    ok = f["status"][...] == 1
    models = [m.decode() if isinstance(m, bytes) else m for m in f["model"][...]]
    def uhop_step(m, d, dphi):
        # The pairwise loss kernel's GEMMs (tiny.toml's loss): blocks of M/8 rows, 64 to 256,
        # each tile of the Gram triangle formed once (D·(M² + Σ r²)), its gradient GEMMs
        # (2·M²·D), the features and ∂L/∂W (2·M·D·d each).
        block = min(m, min(max((m + 7) // 8, 64), 256))
        rows = [min(block, m - b) for b in range(0, int(m), int(block))]
        return 4 * m * d * dphi + dphi * (m * m + sum(r * r for r in rows)) + 2 * m * m * dphi
    counted = 0.0
    for ix in zip(*np.nonzero(ok)):
        d, m, dphi = (float(f[a][ix[k]]) for k, a in ((0, "d"), (1, "M"), (2, "Dphi")))
        model = models[ix[6]]
        if model == "mhm" and ix[2] != 0:
            continue  # the MHM runs once per D_Phi row; the other D_Phi share its result
        steps = f["iterations_mean"][ix] * f["queries"][ix]
        counted += steps * (4 * m * d if model == "mhm" else 2 * (m * dphi + m * d + dphi * d))
        if model == "khm_uhop":
            counted += f["uhop_iterations"][ix] * uhop_step(m, d, dphi)
        if m >= 2:  # exact separation metrics, each pair once: raw Gram tiles, and the features' for a KHM
            counted += m * m * d + (0 if model == "mhm" else 2 * m * dphi * d + m * m * dphi)
    stored = float(f.attrs["gflops_counted"]) * 1e9
    assert abs(stored - counted) <= 1e-9 * counted, (stored, counted)
PY

# --dry-run validates and writes nothing.
OMP_NUM_THREADS=1 "$hopcap" run "$tiny" -o "$work/dry.h5" --dry-run >"$work/dry.txt" || fail "dry run failed"
grep -q "configurations to run" "$work/dry.txt" || fail "dry run output: $(cat "$work/dry.txt")"
[[ ! -e "$work/dry.h5" ]] || fail "dry run wrote a file"
# The cost table: one row per model and a total, whose configurations add up to the plan's 24.
"$py" - "$work/dry.txt" <<'PY' || fail "dry run cost table: $(cat "$work/dry.txt")"
import sys
rows = {}
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) == 5 and parts[0] in ("mhm", "khm_uhop", "total"):
        rows[parts[0]] = [float(x) for x in parts[1:]]
assert set(rows) == {"mhm", "khm_uhop", "total"}, rows
assert rows["mhm"][0] + rows["khm_uhop"][0] == rows["total"][0] == 24, rows
assert abs(rows["mhm"][1] + rows["khm_uhop"][1] - rows["total"][1]) <= 1e-3 * rows["total"][1] + 2e-3, rows
assert all(v[2] > 0 and v[3] >= 0 for v in rows.values()), rows
assert "core-hours" in open(sys.argv[1]).read()
PY
# A grid too large to plan is refused at once, not built in memory (--dry-run used to never return).
timeout 60 "$hopcap" run "$tiny" --dry-run --set 'sweep.beta={ start = 1, stop = 2, num = 100000000 }' \
  >/dev/null 2>"$work/err.txt"
rc=$?
[[ $rc -eq 2 ]] || fail "a 1e8-point range: exit $rc, expected 2"
grep -q "4194304" "$work/err.txt" || fail "1e8-point range message: $(cat "$work/err.txt")"

# A point whose memory set alone cannot fit a rank's share of the node's memory is refused
# before any work (exit 2, one line, no file): 2^30 memories in d = 32768 are 256 TiB.
OMP_NUM_THREADS=1 "$hopcap" run "$tiny" -o "$work/huge.h5" --set 'sweep.M=[1073741824]' --set 'sweep.d=[32768]' \
  >/dev/null 2>"$work/err.txt"
rc=$?
[[ $rc -eq 2 ]] || fail "a point that cannot fit memory: exit $rc, expected 2"
grep -q '^hopcap: error: sweep.M x sweep.d: .* GiB per rank' "$work/err.txt" || fail "cannot-fit message: $(cat "$work/err.txt")"
[[ $(wc -l <"$work/err.txt") -eq 1 ]] || fail "cannot-fit: more than one line on stderr"
[[ ! -e "$work/huge.h5" ]] || fail "a refused sweep left a file"

# xarray and h5py open the file with named dimensions and no extra code.
"$py" "$here/open_with_xarray.py" "$work/a.h5" || fail "xarray/h5py check"
finish
