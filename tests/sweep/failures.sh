#!/usr/bin/env bash
# Every failure after the start ends the whole job: a fault on rank 0, on rank k, on a group
# member that is not its root, in the results writer, and SIGTERM to the ranks or to the
# launcher. None may hang (each run is bounded by timeout), each leaves a readable file with
# one `hopcap: error:` line (or the interrupt line), and --resume completes the file to the
# uninterrupted result.
source "$(dirname "$0")/common.bash" "$1" "$2"

# tiny.toml made longer (about 3 s on 2 ranks, 48 configurations, the largest first), so that
# every rank takes several configurations (scheduling is dynamic) and interrupts land while
# work is under way.
longer=(--set 'sweep.M=[16,40,300,600]' --set uhop.iters=150 --set run.commit_every=1)
OMP_NUM_THREADS=1 run_np 2 "$tiny" -o "$work/ref.h5" "${longer[@]}" >"$work/ref.log" 2>&1 || fail "reference run"

file_readable() {
  "$py" - "$1" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    status = f["status"][...]
    print(f"  file readable: {int((status == 1).sum())} of {status.size} grid points committed")
PY
}

resume_to_reference() {  # OUT LABEL
  OMP_NUM_THREADS=1 timeout 120 "$mpiexec" -n 2 --oversubscribe --bind-to none "$hopcap" run "$tiny" -o "$1" \
    "${longer[@]}" --resume >"$work/resume.log" 2>&1 || fail "$2: resume failed: $(tail -3 "$work/resume.log")"
  "$py" "$here/compare_runs.py" "$work/ref.h5" "$1" 1e-12 >/dev/null ||
    fail "$2: resumed file differs from the reference"
}

# fault RANKS FAULT LABEL [EXTRA ARGS]: the job ends non-zero, without hanging, with one error line
fault() {
  local ranks="$1" spec="$2" label="$3"
  shift 3
  local out="$work/$label.h5"
  OMP_NUM_THREADS=1 HOPCAP_FAULT="$spec" timeout 60 "$mpiexec" -n "$ranks" --oversubscribe --bind-to none \
    "$hopcap" run "$tiny" -o "$out" "${longer[@]}" "$@" >"$work/$label.out" 2>"$work/$label.err"
  local rc=$?
  echo "$label: exit $rc"
  if [[ $rc -eq 124 ]]; then fail "$label: hung (killed by timeout)"; return; fi
  [[ $rc -ne 0 ]] || fail "$label: exit code 0 after an injected fault"
  local lines
  lines=$(grep -c '^hopcap: error:' "$work/$label.err")
  [[ "$lines" == 1 ]] || fail "$label: $lines 'hopcap: error:' lines on stderr: $(cat "$work/$label.err")"
  grep '^hopcap: error:' "$work/$label.err"
  if [[ "$spec" == compute:* ]]; then
    local rank="${spec#compute:}"
    rank="${rank%%:*}"
    grep -q "^hopcap: error: rank $rank, configuration [0-9]* (d=" "$work/$label.err" ||
      fail "$label: the error line does not name rank $rank and the configuration"
  fi
  file_readable "$out" || fail "$label: file not readable after the fault"
  resume_to_reference "$out" "$label"
}

fault 2 compute:0:2 rank0_of_2
fault 2 compute:1:1 rank1_of_2
fault 4 compute:2:1 rank2_of_4
fault 3 compute:1:2 rank1_of_3
HOPCAP_COORDINATOR=rank fault 3 compute:2:1 rank2_of_3_dedicated_coordinator
# A member of a two-rank group that is not the group's root.
fault 4 compute:3:1 member_of_group --set run.group_size=2
fault 2 writer:3 writer_of_2
fault 1 writer:2 writer_of_1

# interrupt RANKS LABEL TARGET: SIGTERM to every rank (as Slurm does) or to the launcher only
interrupt() {
  local ranks="$1" label="$2" target="$3"
  local out="$work/$label.h5"
  OMP_NUM_THREADS=1 timeout 60 "$mpiexec" -n "$ranks" --oversubscribe --bind-to none "$hopcap" run "$tiny" \
    -o "$out" "${longer[@]}" >"$work/$label.out" 2>"$work/$label.err" &
  local launcher=$!
  # Wait until some configuration is committed, then interrupt.
  for _ in $(seq 100); do
    if [[ -f "$out" ]] && HDF5_USE_FILE_LOCKING=FALSE "$py" -c "
import sys, h5py
with h5py.File(sys.argv[1], 'r') as f: sys.exit(0 if (f['status'][...] == 1).any() else 1)" "$out" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  local t0=$SECONDS
  if [[ "$target" == ranks ]]; then
    pkill -TERM -f -- "^$hopcap run .*$out"
  else
    kill -TERM "$launcher"
  fi
  wait "$launcher"
  local rc=$?
  # mpirun may return before its ranks have finished their final update: wait for them.
  for _ in $(seq 100); do pgrep -f -- "^$hopcap run .*$out" >/dev/null || break; sleep 0.1; done
  pgrep -f -- "^$hopcap run .*$out" >/dev/null && fail "$label: ranks still alive 10 s after the launcher ended"
  echo "$label: exit $rc after $((SECONDS - t0)) s"
  [[ $rc -ne 124 ]] || fail "$label: hung after SIGTERM"
  [[ $rc -ne 0 ]] || fail "$label: exit code 0 after SIGTERM"
  (( SECONDS - t0 <= 10 )) || fail "$label: took more than 10 s to end after SIGTERM"
  file_readable "$out" || fail "$label: file not readable after SIGTERM"
  # Signalled themselves (as batch systems do), the ranks end the run as interrupted. Through
  # mpirun, Open MPI may kill them about a second after forwarding the signal: the file then
  # may lack the mark, but never a committed result, and it is never called complete.
  if [[ "$target" == ranks ]]; then
    [[ $rc -eq 3 ]] || fail "$label: exit code $rc, expected 3 (interrupted)"
    grep -q 'interrupted by SIGTERM: .* --resume to continue' "$work/$label.err" ||
      fail "$label: no interrupt line on stderr: $(cat "$work/$label.err")"
  fi
  "$py" - "$out" "$target" <<'PY' || fail "$label: run_state is not 'interrupted'"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    state = f.attrs.get("run_state", b"")
    state = state.decode() if isinstance(state, bytes) else str(state)
    marked = state == "interrupted" and "end_time" not in f.attrs
    unmarked_kill = sys.argv[2] == "launcher" and state == "" and "end_time" not in f.attrs
    print(f"  run_state: {state or '(none: killed before the final update)'}")
    sys.exit(0 if marked or unmarked_kill else 1)
PY
  resume_to_reference "$out" "$label"
}

interrupt 2 sigterm_ranks_of_2 ranks
interrupt 3 sigterm_ranks_of_3 ranks
interrupt 2 sigterm_launcher_of_2 launcher
finish
