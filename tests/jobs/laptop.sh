#!/usr/bin/env bash
# jobs/laptop.sh runs a config on 2 ranks into OUTDIR/<name>.h5, resumes a killed run's file
# into the uninterrupted result, and leaves a finished file alone.
source "$(dirname "$0")/../sweep/common.bash" "$1" "$2"
script="$here/../../jobs/laptop.sh"
export HOPCAP="$hopcap" PATH="$(dirname "$mpiexec"):$PATH"
# A slower variant of tiny.toml, so that a kill lands while work is under way.
sed -e 's/^M = .*/M = [16, 40, 300, 600]/' -e 's/^iters = .*/iters = 150/' "$tiny" >"$work/laptop.toml"

OMP_NUM_THREADS=1 bash "$script" "$work/laptop.toml" 2 "$work/ref" >"$work/ref.log" 2>&1 || fail "laptop run: $(tail -5 "$work/ref.log")"
[[ -f "$work/ref/laptop.h5" ]] || fail "no output at OUTDIR/<config name>.h5"
bash "$script" "$work/laptop.toml" 2 "$work/ref" | grep -q "already complete" || fail "a finished file was not left alone"

setsid env OMP_NUM_THREADS=1 bash "$script" "$work/laptop.toml" 2 "$work/killed" >"$work/killed.log" 2>&1 &
leader=$!
sleep 1.2
kill -KILL -- "-$leader" 2>/dev/null
pkill -KILL -f -- "$work/killed" 2>/dev/null
wait "$leader" 2>/dev/null
for _ in $(seq 50); do pgrep -f -- "$work/killed" >/dev/null || break; sleep 0.1; done
if [[ -f "$work/killed/laptop.h5" ]]; then
  OMP_NUM_THREADS=1 bash "$script" "$work/laptop.toml" 2 "$work/killed" >"$work/resume.log" 2>&1 ||
    fail "resume: $(tail -5 "$work/resume.log")"
  grep -q "resuming" "$work/resume.log" || fail "the second call did not resume: $(cat "$work/resume.log")"
  "$py" "$here/../sweep/compare_runs.py" "$work/ref/laptop.h5" "$work/killed/laptop.h5" 1e-12 || fail "resumed file differs"
else
  echo "note: killed before the file existed; resume not exercised"
fi
finish
