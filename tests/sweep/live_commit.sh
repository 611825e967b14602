#!/usr/bin/env bash
# No finished result waits behind another rank's computation: in a sweep where one rank holds
# one slow configuration and the other ranks finish many fast ones, the fast results are in the
# file (read read-only by h5py while the run is live) within run.commit_seconds plus slack, and
# they survive a SIGKILL of the whole job. Both coordinator modes: a thread of rank 0 (which
# also computes, and takes the slow configuration first: largest estimated cost first) and a
# dedicated rank 0.
source "$(dirname "$0")/common.bash" "$1" "$2"

cat >"$work/live.toml" <<'EOF'
[sweep]
d = [32]
M = [5000, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40]
model = ["mhm"]
beta = [8.0]
sep = ["softmax"]
query = ["angle:20"]
seed = 3
[retrieval]
t_max = 30
[run]
output = "live.h5"
commit_every = 100000
commit_seconds = 1.0
EOF

commit_seconds=1
slack=4

live_check() {  # LABEL RANKS [ENV...]
  local label="$1" ranks="$2"
  shift 2
  local out="$work/$label.h5"
  setsid env OMP_NUM_THREADS=1 "$@" "$mpiexec" -n "$ranks" --oversubscribe --bind-to none "$hopcap" run \
    "$work/live.toml" -o "$out" >"$work/$label.log" 2>&1 &
  local leader=$!
  # The file appears once rank 0 has prepared it; from then on the fast points must be committed
  # within commit_seconds + slack, while the slow one is still running.
  for _ in $(seq 300); do [[ -f "$out" ]] && break; sleep 0.05; done
  local appeared
  appeared=$(date +%s.%N)
  local verdict
  verdict=$(HDF5_USE_FILE_LOCKING=FALSE "$py" - "$out" "$((commit_seconds + slack))" "$appeared" <<'PY'
import sys, time, h5py
path, limit, appeared = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
# Seconds since the file appeared: the wall clock, shared with the shell that saw it appear.
start = appeared
while True:
    try:
        with h5py.File(path, "r") as f:
            status = f["status"][...].reshape(-1)   # M is the only axis longer than 1
            M = f["M"][...]
    except OSError:
        status = None
    if status is not None:
        slow = status[M == 5000][0]
        fast = status[M != 5000]
        if (fast == 1).all():
            print(f"fast-committed-after {time.time() - start:.1f}s slow-status {int(slow)}")
            break
    if time.time() - start > limit:
        print(f"timeout: {int((status == 1).sum()) if status is not None else 0} committed after {limit}s")
        break
    time.sleep(0.1)
PY
)
  echo "$label: $verdict"
  [[ "$verdict" == fast-committed-after* ]] || fail "$label: fast results not committed within ${commit_seconds}+${slack} s"
  [[ "$verdict" == *"slow-status 0" ]] || fail "$label: the slow configuration ended first; the check proves nothing"
  kill -0 "$leader" 2>/dev/null || fail "$label: the run was no longer live"
  kill -KILL -- "-$leader" 2>/dev/null
  pkill -KILL -f -- "$out" 2>/dev/null
  wait "$leader" 2>/dev/null
  for _ in $(seq 50); do pgrep -f -- "$out" >/dev/null || break; sleep 0.1; done
  "$py" - "$out" <<'PY' || fail "$label: fast results did not survive SIGKILL"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    status = f["status"][...].reshape(-1)
    M = f["M"][...]
    ok = (status[M != 5000] == 1).all()
    print(f"  after SIGKILL: {int((status == 1).sum())} of {status.size} committed")
    sys.exit(0 if ok else 1)
PY
}

live_check thread_coordinator 2
live_check thread_coordinator_3 3
live_check dedicated_coordinator 3 HOPCAP_COORDINATOR=rank
finish
