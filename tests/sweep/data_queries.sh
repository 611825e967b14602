#!/usr/bin/env bash
# Queries read from a data set (query = "data:SOURCE"): the metastable-state sizes of exactly
# known retrievals. Memories are the cross-polytope ±e_k in d = 6; queries are the 12 memories
# themselves and 5 normalised midpoints (e_k + e_{k+1})/√2. With sparsemax at β = 4, a memory
# query keeps all its weight on itself (size 1) and a midpoint query converges to the equal
# mixture of its two memories (size 2): the histogram is [0, 12, 5, 0, ...] exactly, at 1 rank
# and with the memories partitioned over 3 ranks. Also: a missing query file is a config error
# and too few query rows fails the point with a message. tools/metastable_table.py reads the
# histogram back as percentages.
source "$(dirname "$0")/common.bash" "$1" "$2"

"$py" - "$work" <<'PY' || fail "writing the data files"
import sys
import numpy as np
work = sys.argv[1]
d = 6
memories = []
for k in range(d):
    for sign in (1.0, -1.0):
        e = np.zeros(d)
        e[k] = sign
        memories.append(e)
queries = list(memories)
for k in range(d - 1):
    m = np.zeros(d)
    m[k] = m[k + 1] = 1.0 / np.sqrt(2.0)
    queries.append(m)
np.savetxt(f"{work}/memories.txt", np.array(memories))
np.savetxt(f"{work}/queries.txt", np.array(queries))
PY

cat >"$work/data.toml" <<EOF
[sweep]
d = [6]
M = [12]
beta = [4.0]
sep = ["sparsemax"]
query = ["data:text:$work/queries.txt"]
model = ["mhm"]
memories = ["text:$work/memories.txt"]
[retrieval]
random_queries = 17
t_max = 20
EOF

for setup in "1 1" "3 3"; do
  read -r ranks group <<<"$setup"
  run_np "$ranks" "$work/data.toml" -o "$work/data_np$ranks.h5" --set "run.group_size=$group" >"$work/run.log" 2>&1 ||
    fail "data queries at $ranks ranks: $(tail -5 "$work/run.log")"
  "$py" - "$work/data_np$ranks.h5" <<'PY' || fail "histogram of data queries at $ranks ranks"
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r") as f:
    assert f["status"][...].ravel().tolist() == [1], f["message"][...]
    h = f["metastable_histogram"][...].reshape(-1)
    want = np.zeros_like(h)
    want[1], want[2] = 12, 5
    assert np.array_equal(h, want), h
    assert f["queries"][...].ravel()[0] == 17
    assert abs(f["metastable_mean"][...].ravel()[0] - (12 * 1 + 5 * 2) / 17) < 1e-15
PY
done

# tools/metastable_table.py on that file: 12/17 queries of size 1, 5/17 of size 2.
if "$py" -c "import xarray" 2>/dev/null; then
  "$here/../../tools/metastable_table.py" "$work/data_np1.h5" --max-size 3 >"$work/table.md" || fail "metastable_table.py"
  grep -qx '| 1 | 70.6 |' "$work/table.md" && grep -qx '| 2 | 29.4 |' "$work/table.md" &&
    grep -qx '| 3 | 0.0 |' "$work/table.md" && grep -qx '| > 3 | 0.0 |' "$work/table.md" &&
    grep -qx '| mean size | 1.29 |' "$work/table.md" && grep -qx '| queries | 17 |' "$work/table.md" &&
    grep -q '^| ‖p‖ | sparsemax MHM |$' "$work/table.md" || fail "metastable table: $(cat "$work/table.md")"
else
  echo "skipping tools/metastable_table.py: python3-xarray is not installed"
fi

# More queries than the set has rows: the point fails with a message naming the source.
run_np 1 "$work/data.toml" -o "$work/few.h5" --set retrieval.random_queries=18 >"$work/run.log" 2>&1 ||
  fail "a failed point must not fail the run: $(tail -5 "$work/run.log")"
"$py" - "$work/few.h5" <<'PY' || fail "too few query rows is not recorded as a failure"
import sys
import h5py
with h5py.File(sys.argv[1], "r") as f:
    assert f["status"][...].ravel().tolist() == [2]
    message = f["message"][...].ravel()[0].decode()
    assert "has 17 rows" in message, message
PY

# A query file that does not exist: one error line naming the key, no output file.
if run_np 1 "$work/data.toml" -o "$work/missing.h5" --set "sweep.query=[\"data:text:$work/nope.txt\"]" \
  >"$work/run.log" 2>&1; then
  fail "a missing query file was accepted"
fi
grep -q "sweep.query" "$work/run.log" || fail "the error does not name sweep.query: $(cat "$work/run.log")"
[[ -e "$work/missing.h5" ]] && fail "an output file was written for an invalid config"

finish
