#!/usr/bin/env bash
# Inputs that once hung or exhausted hopcap: FIFOs and devices given as data, config files
# that are not regular files, truncated gzip streams, memories of huge norm. Each must end
# within a bound with one error line (or, for valid huge-norm memories, a result).
# Usage: special_inputs.sh PATH/TO/hopcap
source "$(dirname "$0")/common.bash" "$1"
# Open MPI refuses root without these; `hopcap run` starts MPI even for one process.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bound=20

# bounded NAME CODE PATTERN ARGS...: hopcap ARGS ends within $bound s with exit code CODE and,
# for CODE != 0, exactly one line "hopcap: error: ..." matching PATTERN on stderr. Returns 1 after
# a failed check, so a result is only inspected when the command ended as expected.
bounded() {
  local name="$1" code="$2" pattern="$3"
  shift 3
  timeout -s KILL "$bound" "$hopcap" "$@" >"$work/out.txt" 2>"$work/err.txt"
  local rc=$?
  if [[ $rc -eq 137 ]]; then fail "$name: still running after $bound s (killed)"; return 1; fi
  if [[ $rc -ge 128 ]]; then fail "$name: killed by a signal (exit code $rc)"; return 1; fi
  if [[ $rc -ne $code ]]; then fail "$name: exit code $rc, expected $code: $(head -c 300 "$work/err.txt")"; return 1; fi
  [[ $code -eq 0 ]] && return 0
  local lines
  lines=$(grep -c . "$work/err.txt")
  if [[ "$lines" -ne 1 ]]; then fail "$name: expected one error line, got $lines: $(cat "$work/err.txt")"; return 1; fi
  if ! grep -q '^hopcap: error: ' "$work/err.txt"; then fail "$name: no 'hopcap: error:' line: $(cat "$work/err.txt")"; return 1; fi
  if ! grep -qE -- "$pattern" "$work/err.txt"; then fail "$name: stderr lacks /$pattern/: $(cat "$work/err.txt")"; return 1; fi
}

# --- memories of huge norm: angle queries terminate and stay finite ---------------------------
printf '1e13 0 0\n0 1e13 0\n0 0 1e13\n' >"$work/big.txt"
# summary_is_sane NAME: the last command's JSON summary counts queries and a rate in [0, 1].
summary_is_sane() {
  "$py" -c "import json,sys; s=json.load(open('$work/out.txt'))['summary']; sys.exit(0 if s['queries']>0 and 0<=s['success_rate']<=1 else 1)" ||
    fail "$1: bad summary: $(head -c 400 "$work/out.txt")"
}
bounded "retrieve 1e13" 0 "" retrieve --memories "text:$work/big.txt" && summary_is_sane "retrieve 1e13"
printf '1e300 0 0\n0 1e300 0\n0 0 1e300\n' >"$work/huge.txt"
bounded "retrieve 1e300" 1 "squared norm overflows" retrieve --memories "text:$work/huge.txt"
"$py" - "$work/u64.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f["X"] = np.array([[2**63, 0, 0], [0, 2**64 - 1, 0], [0, 0, 2**62]], dtype=np.uint64)
PY
bounded "retrieve uint64 h5" 0 "" retrieve --memories "h5:$work/u64.h5:X" && summary_is_sane "retrieve uint64 h5"

cat >"$work/big.toml" <<EOF2
[sweep]
d = [3]
M = [3]
Dphi = [3]
beta = [1.0]
query = ["angle:20"]
model = ["mhm"]
memories = ["text:$work/big.txt"]
[retrieval]
normalize = false
[run]
output = "$work/big.h5"
EOF2
if OMP_NUM_THREADS=1 bounded "sweep 1e13" 0 "" run "$work/big.toml"; then
  "$py" - "$work/big.h5" <<'PY' || fail "sweep 1e13: the point did not finish with finite results"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    ok = (f["status"][...] == 1).all() and np.isfinite(f["success_rate"][...]).all()
sys.exit(0 if ok else 1)
PY
fi

# --- special files as data ------------------------------------------------------------------
mkfifo "$work/pipe"
bounded "text /dev/zero" 1 "character device" retrieve --memories text:/dev/zero
bounded "idx /dev/zero" 1 "character device" retrieve --memories idx:/dev/zero
bounded "text FIFO" 1 "FIFO" retrieve --memories "text:$work/pipe"
bounded "idx FIFO" 1 "FIFO" retrieve --memories "idx:$work/pipe"
bounded "h5 FIFO" 1 "FIFO" retrieve --memories "h5:$work/pipe:X"
bounded "feature map FIFO" 1 "FIFO" retrieve --memories "text:$work/big.txt" --feature-map "$work/pipe"
bounded "text directory" 1 "directory" retrieve --memories "text:$work"

# A gzip IDX file cut before its trailer: every payload byte is there, the stream is not whole.
"$py" - "$work/cut-idx1-ubyte.gz" <<'PY'
import gzip, struct, sys
data = gzip.compress(struct.pack(">BBBBI", 0, 0, 8, 1, 4) + bytes([1, 2, 3, 4]))
open(sys.argv[1], "wb").write(data[:-8])
PY
bounded "truncated gzip" 1 "truncated gzip stream" retrieve --memories "idx:$work/cut-idx1-ubyte.gz"

# --- the sweep config itself, and its sources, checked before any point runs -----------------
bounded "config directory" 1 "config file.*directory" run "$work"
bounded "config FIFO" 1 "config file.*FIFO" run "$work/pipe"
bounded "config /dev/zero" 1 "config file.*character device" run /dev/zero
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$work/passwd"
sweep_with_memories() {
  printf '[sweep]\nd = [3]\nmemories = ["%s"]\n[run]\noutput = "%s/never.h5"\n' "$1" "$work" >"$work/bad.toml"
}
for spec in "text:$work/passwd" "text:$work" "idx:/dev/zero" "h5:$work/passwd:W" "idx:$work/cut-idx1-ubyte.gz"; do
  sweep_with_memories "$spec"
  OMP_NUM_THREADS=1 bounded "sweep memories $spec" 2 "sweep.memories" run "$work/bad.toml"
  [[ ! -e "$work/never.h5" ]] || fail "sweep memories $spec: an output file was created"
done

if [[ $failures -gt 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
