#!/usr/bin/env bash
# --resume knows what it resumes: the file records the program and a fingerprint of every input
# data file; a resumption after the data changed is refused (exit 2, one line naming the file
# and --allow-changed-inputs), and accepted with --allow-changed-inputs, which the file records.
source "$(dirname "$0")/common.bash" "$1" "$2"

"$py" - "$work/memories.txt" <<'PY'
import sys
import numpy as np
rng = np.random.default_rng(5)
np.savetxt(sys.argv[1], rng.standard_normal((24, 6)))
PY
cat >"$work/data.toml" <<TOML
[sweep]
d = [6]
M = [8, 16]
memories = ["text:$work/memories.txt"]
beta = [4.0]
[retrieval]
t_max = 10
[run]
output = "data.h5"
TOML
OMP_NUM_THREADS=1 run_np 1 "$work/data.toml" -o "$work/data.h5" >"$work/run.log" 2>&1 || fail "first run: $(tail -3 "$work/run.log")"
h5dump -a inputs "$work/data.h5" | grep -q "memories.txt: size [0-9]* bytes, crc32 [0-9a-f]\{8\}" ||
  fail "the file does not record the input's fingerprint"

# Unchanged inputs: the resumption is accepted.
OMP_NUM_THREADS=1 run_np 1 "$work/data.toml" -o "$work/data.h5" --resume >"$work/run.log" 2>&1 ||
  fail "resume with unchanged inputs refused: $(tail -3 "$work/run.log")"

# The data file rewritten between the kill and the resumption.
echo "0 0 0 0 0 1" >>"$work/memories.txt"
OMP_NUM_THREADS=1 run_np 1 "$work/data.toml" -o "$work/data.h5" --resume >"$work/out.txt" 2>"$work/err.txt"
rc=$?
[[ $rc -eq 2 ]] || fail "resume with changed data: exit $rc, expected 2"
[[ $(grep -c '^hopcap: error:' "$work/err.txt") == 1 ]] || fail "changed-data refusal: $(cat "$work/err.txt")"
grep -q "memories.txt.*--allow-changed-inputs" "$work/err.txt" ||
  fail "refusal does not name the file and the flag: $(cat "$work/err.txt")"

OMP_NUM_THREADS=1 run_np 1 "$work/data.toml" -o "$work/data.h5" --resume --allow-changed-inputs >"$work/run.log" 2>&1 ||
  fail "--allow-changed-inputs refused: $(tail -3 "$work/run.log")"
h5dump -a inputs_changed_on_resume "$work/data.h5" >/dev/null 2>&1 || fail "the accepted change is not recorded in the file"

# The flag means nothing without --resume.
if "$hopcap" run "$work/data.toml" -o "$work/other.h5" --allow-changed-inputs >/dev/null 2>"$work/err.txt"; then
  fail "--allow-changed-inputs without --resume accepted"
fi
finish
