#!/usr/bin/env bash
# jobs/pbs/hopcap.pbs through a PBS interface: Slurm's PBS wrappers (Debian's slurm-wlm-torque,
# qsub and qstat over sbatch and squeue) on the private single-node Slurm of
# tests/jobs/single_node_slurm.bash.
#   1. qsub of tiny.toml with 2 MPI processes: the template starts the 2 ranks it was given (no
#      PBS_NODEFILE there: SLURM_NTASKS) and the file is complete.
#   2. A resubmission of the finished run on 1 rank says it is finished, and warns that it
#      starts 1 of the 2 cores allocated.
#   3. The wall-time path: a longer sweep with a 1-minute wall time and a 45 s margin is stopped
#      by the template, which submits itself again; the chain of jobs resumes the file to
#      completion.
#   4. A resubmission that qsub refuses (an option it does not know) ends in one
#      'hopcap.pbs: error:' line.
# Usage: bash tests/jobs/pbs.sh HOPCAP MPIEXEC. Exit 77 (skipped) without root, without the
# Slurm, munge or PBS-wrapper commands, or without h5py.
# shellcheck disable=SC2154  # job-id variables are set by qsub_job through printf -v
set -euo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 HOPCAP [MPIEXEC]" >&2; exit 2; }
hopcap="$(realpath "$1")"
mpiexec="${2:-mpiexec}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
template="$repo/jobs/pbs/hopcap.pbs"
tiny="$repo/tests/data/tiny.toml"
py=/usr/bin/python3

# shellcheck source=tests/jobs/job_test_prerequisites.bash
source "$repo/tests/jobs/job_test_prerequisites.bash"
require_job_test_tools slurm-wlm-torque qsub qstat

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# shellcheck source=tests/jobs/single_node_slurm.bash
source "$repo/tests/jobs/single_node_slurm.bash"
started=$SECONDS
cd "$work/submit"
common="HOPCAP_BIN=$hopcap,HOPCAP_OUTDIR=$work/runs"

# Copies of the template sized for this node, as docs/jobs.md tells users to make them: sbatch
# reads the #PBS lines itself, and they take precedence over qsub's -l options. One with a
# wall time of 5 minutes, one of 1 minute for the wall-time path.
for minutes in 5 1; do
  sed -e "s/^#PBS -l select=.*/#PBS -l select=1:ncpus=2:mpiprocs=2:ompthreads=1:mem=1gb/" \
      -e "s/^#PBS -l walltime=.*/#PBS -l walltime=00:0$minutes:00/" "$template" >"$work/hopcap-$minutes.pbs"
  grep -q "^#PBS -l walltime=00:0$minutes:00" "$work/hopcap-$minutes.pbs" || { fail "template's #PBS lines changed"; exit 1; }
done

# qsub_job VARIABLE MINUTES NAME=VALUE,... : submits the copy with that wall time and these
# variables (one qsub -v: a second one would replace the first); stores the job id in
# VARIABLE. Slurm's qsub prints the bare job id.
qsub_job() {
  local id
  id="$(qsub -v "$3,HOPCAP_PBS_SCRIPT=$work/hopcap-$2.pbs,$common" "$work/hopcap-$2.pbs")"
  [[ "$id" =~ ^[0-9]+$ ]] || { fail "qsub printed '$id', not a job id"; exit 1; }
  job_ids+=("$id")
  printf -v "$1" '%s' "$id"
}
# The job's output and error files (the wrapper names them after the script).
job_log() { cat "hopcap-"?".pbs.o$1" "hopcap-"?".pbs.e$1" 2>/dev/null || true; }

# ---- 1. tiny.toml as PBS asks for it
qsub_job tiny_job 5 "HOPCAP_CONFIG=$tiny"
state="$(wait_job "$tiny_job" 120)"
[[ "$state" == COMPLETED ]] || fail "job $tiny_job: $state; log: $(job_log "$tiny_job" | tail -n 5)"
job_log "$tiny_job" | grep -q "2 rank(s) x 1 thread(s)" ||
  fail "the template did not start the 2 ranks it was given: $(job_log "$tiny_job" | grep -m1 'hopcap.pbs: job')"
job_log "$tiny_job" | grep -q "warning: starting" && fail "warned about idle cores though it used them all"
check_complete "$work/runs/tiny/tiny.h5" || fail "the tiny run's file is incomplete"

# ---- 2. the finished run again, on fewer ranks than allocated
qsub_job again_job 5 "HOPCAP_CONFIG=$tiny,HOPCAP_RANKS=1"
state="$(wait_job "$again_job" 60)"
[[ "$state" == COMPLETED ]] || fail "resubmission of a finished run: $state"
job_log "$again_job" | grep -q "already finished" || fail "resubmission of a finished run did not say so"
job_log "$again_job" | grep -q "warning: starting 1 rank(s) x 1 thread(s) = 1 of the 2 core(s) allocated" ||
  fail "no warning for 1 of 2 cores: $(job_log "$again_job")"

# ---- 3. wall time: stop, resubmit, resume. The sweep is tiny.toml made longer (as in
# tests/jobs/slurm.sh), one commit per configuration, written out as a config of its own
# (qsub -v splits values at commas); each job has about 15 s of its minute. The sweep takes
# about 40 s of work on a quiet 2-core machine (its U-Hop+ steps most of it; sized again when
# the U-Hop+ kernel got 4x faster: 2-3 jobs here), so even a fast one needs a second job, and up to 30
# resubmissions leave room for a machine eight times slower.
"$hopcap" run "$tiny" --print-config --set 'sweep.M=[16,40,300,600]' --set uhop.iters=1500 \
  --set sweep.replicas=6 --set run.commit_every=1 >"$work/longer.toml"
longer="HOPCAP_CONFIG=$work/longer.toml"
chain_file="$work/runs/chain/chain.h5"
qsub_job chain_job 1 "$longer,HOPCAP_RUN_NAME=chain,HOPCAP_MARGIN=45,HOPCAP_MAX_RESUBMITS=30"
chain=("$chain_job")
job="$chain_job"
resubmitted=0
for _ in $(seq 31); do
  state="$(wait_job "$job" 150)"
  [[ "$state" == COMPLETED ]] || { fail "chain job $job: $state; log: $(job_log "$job" | tail -n 5)"; break; }
  next="$(job_log "$job" | sed -n 's/^hopcap.pbs: stopped .* submitted \([0-9]*\) to resume .*/\1/p')"
  [[ -n "$next" ]] || break
  resubmitted=$((resubmitted + 1))
  job_ids+=("$next")
  chain+=("$next")
  job="$next"
done
if (( resubmitted == 0 )); then
  fail "the longer sweep finished within one job's 15 s: the wall-time path was not taken"
else
  job_log "${chain[1]}" | grep -q "hopcap run: resuming" || fail "job ${chain[1]} did not resume the file"
  check_complete "$chain_file" || fail "the resumed file is incomplete"
  echo "wall time: ${#chain[@]} jobs (${chain[*]}) completed $chain_file"
fi

# ---- 4. a resubmission that fails. (Slurm's qsub runs sbatch through a shell: a -v value
# with a space would split there, so the bad option is one word.)
qsub_job refused_job 1 "$longer,HOPCAP_RUN_NAME=refused,HOPCAP_MARGIN=55,HOPCAP_QSUB_OPTS=-qno_such_partition"
state="$(wait_job "$refused_job" 120)"
[[ "$state" == FAILED ]] || fail "job $refused_job with a refused resubmission: $state (expected FAILED)"
errors="$(job_log "$refused_job" | grep -c "^hopcap.pbs: error: stopped before the wall time, but the resubmission failed" || true)"
(( errors == 1 )) || fail "expected one 'hopcap.pbs: error:' line for the refused resubmission: $(job_log "$refused_job" | tail -n 5)"

echo "pbs jobs took $(( SECONDS - started )) s"
if (( failures > 0 )); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
