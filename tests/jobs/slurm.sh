#!/usr/bin/env bash
# jobs/slurm/hopcap.sbatch on a real single-node Slurm: slurmctld, slurmd and a private munged,
# all on loopback with their configuration, state and logs in a temporary directory.
#   1. tiny.toml on 2 ranks through srun, and again through the mpirun fallback: complete files.
#   2. The wall-time path: a longer sweep gets the batch script's USR1 warning mid-run,
#      requeues itself and resumes the file to completion.
# Usage: bash tests/jobs/slurm.sh HOPCAP MPIEXEC. Exit 77 (skipped) without root, without the
# Slurm and munge daemons, or without h5py.
set -euo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 HOPCAP [MPIEXEC]" >&2; exit 2; }
hopcap="$(realpath "$1")"
mpiexec="${2:-mpiexec}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
sbatch_script="$repo/jobs/slurm/hopcap.sbatch"
tiny="$repo/tests/data/tiny.toml"
py=/usr/bin/python3

# shellcheck source=tests/jobs/job_test_prerequisites.bash
source "$repo/tests/jobs/job_test_prerequisites.bash"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# The daemons, the teardown and the job helpers (job_field, wait_job, check_complete).
# shellcheck source=tests/jobs/single_node_slurm.bash
source "$repo/tests/jobs/single_node_slurm.bash"

# submit VARIABLE EXPORTS [ARGS...]: submits the template on 2 ranks x 1 thread with the extra
# environment EXPORTS (NAME=VALUE,...) and ARGS; stores the job id in VARIABLE.
submit() {
  local id
  id="$(sbatch --parsable --ntasks=2 --cpus-per-task=1 --time=5 --mem=1G \
    --export="ALL,HOPCAP_BIN=$hopcap,HOPCAP_OUTDIR=$work/runs,$2" "$sbatch_script" "${@:3}")"
  id="${id%%;*}"
  job_ids+=("$id")
  printf -v "$1" '%s' "$id"
}

cd "$work/submit"
started=$SECONDS
srun_job="" mpirun_job="" again_job="" requeue_job=""

# ---- 1. the tiny sweep through srun (pmix) and through the mpirun fallback
submit srun_job HOPCAP_LAUNCHER=auto "$tiny"
submit mpirun_job HOPCAP_LAUNCHER=mpirun,HOPCAP_RUN_NAME=tiny-mpirun "$tiny"
for job in "$srun_job" "$mpirun_job"; do
  state="$(wait_job "$job" 60)"
  [[ "$state" == COMPLETED ]] || fail "job $job: $state; log: $(tail -n 5 "hopcap-$job.out" 2>/dev/null)"
done
grep -q "via srun" "hopcap-$srun_job.out" || fail "auto did not choose srun: $(head -n 1 "hopcap-$srun_job.out")"
check_complete "$work/runs/tiny/tiny.h5" || fail "srun run's file is incomplete"
check_complete "$work/runs/tiny-mpirun/tiny-mpirun.h5" || fail "mpirun run's file is incomplete"

# Submitting a finished run again does nothing.
submit again_job HOPCAP_LAUNCHER=auto "$tiny"
[[ "$(wait_job "$again_job" 30)" == COMPLETED ]] || fail "resubmission of a finished run did not complete"
grep -q "already finished" "hopcap-$again_job.out" || fail "resubmission of a finished run did not say so"

# ---- 2. wall-time warning mid-run: requeue and resume. The sweep is tiny.toml made longer
# (several seconds on 2 ranks), one commit per configuration.
longer=(--set 'sweep.M=[16,40,300,600]' --set uhop.iters=150 --set sweep.replicas=2 --set run.commit_every=1)
requeue_file="$work/runs/requeue/requeue.h5"
submit requeue_job HOPCAP_LAUNCHER=auto,HOPCAP_RUN_NAME=requeue "$tiny" "${longer[@]}"
committed=0
for _ in $(seq 300); do
  if [[ -f "$requeue_file" ]]; then
    committed="$(HDF5_USE_FILE_LOCKING=FALSE "$py" -c '
import sys, h5py
with h5py.File(sys.argv[1], "r", locking=False) as f:
    print(int((f["status"][...] == 1).sum()))' "$requeue_file" 2>/dev/null || echo 0)"
    (( committed > 0 )) && break
  fi
  sleep 0.2
done
if (( committed == 0 )); then
  fail "the longer sweep committed nothing within 60 s"
else
  # What --signal=B:USR1@120 sends before the time limit, sent now.
  scancel --batch --signal=USR1 "$requeue_job"
  requeued=0
  for _ in $(seq 150); do
    if [[ "$(job_field "$requeue_job" Restarts)" == 1 && "$(job_field "$requeue_job" JobState)" == PENDING ]]; then
      requeued=1
      break
    fi
    sleep 0.2
  done
  if (( requeued )); then
    # Slurm holds a requeued job back for two minutes; a few seconds suffice here. Not zero:
    # slurmd refuses the job's new credential if it is issued within the second of the
    # revocation of the old one ("Job credential revoked").
    scontrol update JobId="$requeue_job" StartTime=now+3
    state="$(wait_job "$requeue_job" 90)"
    [[ "$state" == COMPLETED ]] || fail "requeued job: $state"
    grep -q "hopcap run: resuming" "hopcap-$requeue_job.out" || fail "the requeued job did not resume"
    check_complete "$requeue_file" || fail "the resumed file is incomplete"
    echo "requeue: signalled after $committed committed point(s); $(grep "hopcap run: resuming" "hopcap-$requeue_job.out")"
  else
    fail "job $requeue_job was not requeued after USR1 (state $(job_field "$requeue_job" JobState))"
  fi
fi

echo "slurm jobs took $(( SECONDS - started )) s"
if (( failures > 0 )); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
