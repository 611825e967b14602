#!/usr/bin/env bash
# jobs/slurm/hopcap.sbatch on a real single-node Slurm: slurmctld, slurmd and a private munged,
# all on loopback with their configuration, state and logs in a temporary directory.
#   1. tiny.toml on 2 ranks through srun, and again through the mpirun fallback: complete files.
#   2. The wall-time path: a longer sweep gets the batch script's USR1 warning mid-run,
#      requeues itself and resumes the file to completion.
# Usage: bash tests/jobs/slurm.sh HOPCAP MPIEXEC. Exit 77 (skipped) without root, without the
# Slurm and munge daemons, or without h5py.
set -euo pipefail

skip() { echo "SKIP: $*"; exit 77; }
[[ $# -ge 1 ]] || { echo "usage: $0 HOPCAP [MPIEXEC]" >&2; exit 2; }
hopcap="$(realpath "$1")"
mpiexec="${2:-mpiexec}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
sbatch_script="$repo/jobs/slurm/hopcap.sbatch"
tiny="$repo/tests/data/tiny.toml"
py=/usr/bin/python3

# The daemons live in sbin, which is not always on a test runner's PATH.
export PATH="$PATH:/usr/sbin:/usr/local/sbin"
[[ "$(id -u)" -eq 0 ]] || skip "starting slurmctld, slurmd and munged needs root"
for tool in slurmctld slurmd munged sbatch scontrol squeue sinfo srun scancel; do
  command -v "$tool" >/dev/null || skip "'$tool' not found (Debian: apt-get install slurm-wlm munge)"
done
"$py" -c 'import h5py' 2>/dev/null || skip "$py cannot import h5py (Debian: python3-h5py)"
# The mpirun fallback must use the MPI that hopcap was built with.
if [[ "$mpiexec" == */* ]]; then
  mpi_dir="$(dirname "$mpiexec")"
  export PATH="$mpi_dir:$PATH"
fi

# A job running this test must not hand its own Slurm settings to the inner Slurm, nor a
# user's hopcap job settings to the template.
while read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(SLURM|SBATCH|SRUN|SALLOC|HOPCAP)_' || true)

work="$(mktemp -d /tmp/hopcap-slurm-test.XXXXXX)"
# munged refuses a socket in a directory that not everyone may traverse.
chmod 755 "$work"
daemon_pids=()
job_ids=()
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

show_logs() {
  local log
  for log in "$work"/*.log "$work"/submit/hopcap-*.out; do
    [[ -f "$log" ]] || continue
    echo "---- $(basename "$log") (last lines)"
    tail -n 15 "$log"
  done
}

# Stops what this test started, and only that: its jobs, then its daemons by process id.
teardown() {
  local status=$?
  trap - EXIT INT TERM
  if [[ $status -ne 0 && $status -ne 77 ]]; then show_logs; fi
  if (( ${#job_ids[@]} > 0 )); then scancel "${job_ids[@]}" 2>/dev/null || true; fi
  local pid
  for pid in "${daemon_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${daemon_pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    (( alive )) || break
    sleep 0.1
  done
  for pid in "${daemon_pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$work"
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# ---- munge: a key of random bytes and a daemon of our own on a socket in $work
head -c 1024 /dev/urandom >"$work/munge.key"
chmod 600 "$work/munge.key"
munged --socket="$work/munge.socket" --key-file="$work/munge.key" --pid-file="$work/munged.pid" \
  --log-file="$work/munged.log" --seed-file="$work/munged.seed" </dev/null >/dev/null 2>&1 ||
  { fail "munged did not start"; exit 1; }
daemon_pids+=("$(cat "$work/munged.pid")")

# ---- Slurm: two free loopback ports; this host as controller and as the only node
read -r ctld_port slurmd_port < <("$py" -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
node="$(hostname -s)"
cpus="$(nproc)"
(( cpus >= 2 )) || cpus=2  # 2 ranks must fit; config_overrides lets Slurm trust this number
memory_mb=$(( $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) / 1024 ))
mkdir -p "$work/state" "$work/spool" "$work/submit"
cat >"$work/slurm.conf" <<EOF
ClusterName=hopcaptest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge.socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$work/slurm.conf"

# In the foreground (-D) and in the background, so that their process ids are known at once.
slurmctld -D -i -f "$SLURM_CONF" </dev/null >>"$work/slurmctld.log" 2>&1 &
daemon_pids+=("$!")
slurmd -D -N "$node" -f "$SLURM_CONF" </dev/null >>"$work/slurmd.log" 2>&1 &
daemon_pids+=("$!")

node_ready=0
for _ in $(seq 100); do
  if [[ "$(sinfo -h -n "$node" -o %T 2>/dev/null)" == idle ]]; then node_ready=1; break; fi
  sleep 0.2
done
(( node_ready )) || { fail "the Slurm node did not become idle within 20 s"; exit 1; }

# ---- helpers
job_field() { scontrol show job -o "$1" 2>/dev/null | grep -oE "(^| )$2=[^ ]*" | cut -d= -f2- || true; }

# wait_job JOBID SECONDS: waits until the job has ended; prints its final state.
wait_job() {
  local state=""
  for _ in $(seq $(( $2 * 5 ))); do
    state="$(job_field "$1" JobState)"
    case "$state" in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED)
        echo "$state"
        return ;;
    esac
    sleep 0.2
  done
  echo "still ${state:-unknown} after $2 s"
}

# check_complete FILE: every grid point ok (1) or skipped (3), and the run's end_time written.
check_complete() {
  "$py" - "$1" <<'PY'
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r") as f:
    status = f["status"][...]
    bad = int(np.count_nonzero((status != 1) & (status != 3)))
    assert bad == 0, f"{bad} of {status.size} grid points neither ok nor skipped"
    assert "end_time" in f.attrs, "no end_time attribute"
    ended = f.attrs["end_time"]
    ended = ended.decode() if isinstance(ended, bytes) else ended
    print(f"{sys.argv[1]}: {status.size} grid points, all ok or skipped; ended {ended}")
PY
}

# submit VARIABLE EXPORTS [ARGS...]: submits the template on 2 ranks x 1 thread with the extra
# environment EXPORTS (NAME=VALUE,...) and ARGS; stores the job id in VARIABLE.
submit() {
  local id
  id="$(sbatch --parsable --ntasks=2 --cpus-per-task=1 --time=5 \
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
