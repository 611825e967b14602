# A private single-node Slurm for the job-template tests (tests/jobs/slurm.sh, tests/jobs/pbs.sh),
# sourced after they checked root and the tools: a munged with a fresh key on its own socket,
# slurmctld and slurmd on free loopback ports, all state and logs in $work, stopped by process
# id at exit. Needs: py (a Python with h5py), fail. Provides: work, job_ids (cancelled at exit),
# job_field, wait_job, check_complete.
# A job running this test must not hand its own Slurm settings to the inner Slurm, nor a
# user's hopcap job settings to the template.
while read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(SLURM|SBATCH|SRUN|SALLOC|PBS|HOPCAP)_' || true)

work="$(mktemp -d /tmp/hopcap-slurm-test.XXXXXX)"
# munged refuses a socket in a directory that not everyone may traverse.
chmod 755 "$work"
daemon_pids=()
job_ids=()

show_logs() {
  local log
  for log in "$work"/*.log "$work"/submit/*; do
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
