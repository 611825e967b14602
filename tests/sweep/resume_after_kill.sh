#!/usr/bin/env bash
# A run killed with SIGKILL at a random moment leaves a readable file with every committed
# configuration, and --resume finishes it into the same result as an uninterrupted run.
source "$(dirname "$0")/common.bash" "$1" "$2"

# tiny.toml made longer (about 3 s on 2 ranks) so that kills land while work is under way;
# one commit per configuration so they land between and inside commits.
longer=(--set 'sweep.M=[16,40,300,600]' --set uhop.iters=150)
OMP_NUM_THREADS=1 run_np 1 "$tiny" -o "$work/ref.h5" "${longer[@]}" >"$work/ref.log" 2>&1 || fail "reference run"
for attempt in 1 2 3; do
  out="$work/killed$attempt.h5"
  setsid env OMP_NUM_THREADS=1 "$mpiexec" -n 2 --oversubscribe --bind-to none "$hopcap" run "$tiny" -o "$out" \
    "${longer[@]}" --set run.commit_every=1 >"$work/killed.log" 2>&1 &
  leader=$!
  delay=$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", 0.3 + rand() * 2.0 }')
  sleep "$delay"
  # Kill everything at once, as a wall-time limit does: the launcher's group and every rank
  # (Open MPI may put ranks in groups of their own).
  kill -KILL -- "-$leader" 2>/dev/null
  pkill -KILL -f -- "$out" 2>/dev/null
  wait "$leader" 2>/dev/null
  for _ in $(seq 50); do pgrep -f -- "$out" >/dev/null || break; sleep 0.1; done
  if [[ ! -f "$out" ]]; then
    echo "note: attempt $attempt was killed before the file existed (after ${delay}s); --resume starts the run"
  else
  "$py" - "$out" <<'PY' || fail "killed file (attempt $attempt) is not readable"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    status = f["status"][...]
    print(f"killed file: {int((status == 1).sum())} of {status.size} grid points committed")
PY
  fi
  # The resumption may use other [run] settings (here the default commit interval).
  OMP_NUM_THREADS=1 run_np 2 "$tiny" -o "$out" "${longer[@]}" --resume >"$work/resume.log" 2>&1 || fail "resume failed: $(tail -5 "$work/resume.log")"
  "$py" "$here/compare_runs.py" "$work/ref.h5" "$out" 1e-12 || fail "resumed run $attempt differs from the reference"
done

# A batch job killed before its file existed is requeued with --resume: that starts the run.
OMP_NUM_THREADS=1 run_np 2 "$tiny" -o "$work/never_started.h5" "${longer[@]}" --resume >"$work/fresh.log" 2>&1 ||
  fail "--resume without a file: $(tail -3 "$work/fresh.log")"
grep -q "does not exist yet; starting the run" "$work/fresh.log" || fail "--resume without a file does not say it starts"
"$py" "$here/compare_runs.py" "$work/ref.h5" "$work/never_started.h5" 1e-12 || fail "--resume without a file differs"

# A resume with another config is refused with one clear line.
if run_np 1 "$tiny" -o "$work/ref.h5" "${longer[@]}" --resume --set sweep.seed=8 >"$work/out.txt" 2>"$work/err.txt"; then
  fail "resume with a different config succeeded"
else
  grep -q "different config" "$work/err.txt" || fail "resume mismatch message: $(cat "$work/err.txt")"
fi
finish
