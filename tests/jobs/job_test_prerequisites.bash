# What the job-template tests (tests/jobs/slurm.sh, tests/jobs/pbs.sh) need before they start a
# private Slurm: root, the Slurm tools and any extra ones, h5py, and the MPI hopcap was built
# with first on PATH (the templates' mpirun fallback uses it). Sourced with py and mpiexec set.
# Provides skip; require_job_test_tools PACKAGE TOOL... checks extra tools from one package.

skip() { echo "SKIP: $*"; exit 77; }

require_job_test_tools() {
  local package="$1" tool
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || skip "'$tool' not found (Debian: apt-get install $package)"
  done
}

# The daemons live in sbin, which is not always on a test runner's PATH.
export PATH="$PATH:/usr/sbin:/usr/local/sbin"
[[ "$(id -u)" -eq 0 ]] || skip "starting slurmctld, slurmd and munged needs root"
require_job_test_tools "slurm-wlm munge" slurmctld slurmd munged sbatch scontrol squeue sinfo srun scancel
"$py" -c 'import h5py' 2>/dev/null || skip "$py cannot import h5py (Debian: python3-h5py)"
if [[ "$mpiexec" == */* ]]; then
  export PATH="$(dirname "$mpiexec"):$PATH"
fi
