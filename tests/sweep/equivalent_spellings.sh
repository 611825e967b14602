#!/usr/bin/env bash
# Two spellings of one axis value are one value: a sweep written with entmax:1.5, entmax:2 and
# angle:20.0 writes the same results file as one written with entmax15, sparsemax and
# angle:20 (every variable bitwise, the axis labels and the recorded config), and an axis that
# lists both spellings is refused naming the key.
source "$(dirname "$0")/common.bash" "$1" "$2"

common=(--set 'sweep.model=["mhm", "khm_random"]' --set 'sweep.M=[16]')
OMP_NUM_THREADS=1 run_np 1 "$tiny" -o "$work/written.h5" "${common[@]}" \
  --set 'sweep.sep=["entmax:1.5", "entmax:2", "entmax:1.30"]' --set 'sweep.query=["angle:20.0"]' >/dev/null 2>&1 ||
  fail "run with equivalent spellings"
OMP_NUM_THREADS=1 run_np 1 "$tiny" -o "$work/canonical.h5" "${common[@]}" \
  --set 'sweep.sep=["entmax15", "sparsemax", "entmax:1.3"]' --set 'sweep.query=["angle:20"]' >/dev/null 2>&1 ||
  fail "run with canonical names"
"$py" "$here/compare_runs.py" "$work/written.h5" "$work/canonical.h5" 0 || fail "results differ"
"$py" - "$work/written.h5" "$work/canonical.h5" <<'PY' || fail "labels or recorded config differ"
import sys, h5py, numpy as np
def text(v):
    return v.decode() if isinstance(v, bytes) else v
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    for axis in ("sep", "query", "model", "memories"):
        la, lb = [text(x) for x in a[axis][...]], [text(x) for x in b[axis][...]]
        assert la == lb, (axis, la, lb)
    assert [text(x) for x in a["sep"][...]] == ["entmax15", "sparsemax", "entmax:1.3"]
    assert [text(x) for x in a["query"][...]] == ["angle:20"]
    # The recorded config differs only in the output path.
    ca, cb = text(a.attrs["config"]), text(b.attrs["config"])
    assert ca.replace("written.h5", "canonical.h5") == cb, (ca, cb)
    # Every variable over the grid, bitwise (wall times aside).
    skip = {"seconds", "seconds_uhop", "seconds_metrics", "seconds_retrieval"}
    for name in a:
        if isinstance(a[name], h5py.Dataset) and name not in skip and a[name].dtype.kind in "fi":
            x, y = a[name][...], b[name][...]
            assert x.shape == y.shape and x.tobytes() == y.tobytes(), name
PY

# --print-config writes the canonical names.
"$hopcap" run "$tiny" --print-config --set 'sweep.sep=["entmax:1.5"]' --set 'sweep.query=["gauss:1e-1"]' \
  >"$work/printed.toml" || fail "print-config"
grep -qx 'sep = \["entmax15"\]' "$work/printed.toml" || fail "printed sep: $(grep '^sep' "$work/printed.toml")"
grep -qx 'query = \["gauss:0.1"\]' "$work/printed.toml" || fail "printed query: $(grep '^query' "$work/printed.toml")"

# Both spellings on one axis: refused before any work, one line naming the key and both spellings.
"$hopcap" run "$tiny" -o "$work/dup.h5" --set 'sweep.sep=["entmax15", "entmax:1.5"]' >/dev/null 2>"$work/err.txt"
rc=$?
[[ $rc -eq 2 ]] || fail "duplicate spellings: exit $rc, expected 2"
grep -q "sweep.sep: 'entmax:1.5' and 'entmax15' are one value" "$work/err.txt" || fail "duplicate message: $(cat "$work/err.txt")"
[[ ! -e "$work/dup.h5" ]] || fail "a refused sweep left a file"
finish
