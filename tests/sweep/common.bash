# Shared by the sweep test scripts. Usage: source common.bash HOPCAP MPIEXEC
set -uo pipefail
hopcap="$1"
mpiexec="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tiny="$here/../data/tiny.toml"
py=/usr/bin/python3
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
# The tests oversubscribe small machines on purpose (ranks x threads > cores): idle OpenMP
# threads must sleep, not spin, or they starve MPI's progress.
export OMP_WAIT_POLICY=passive
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# run_np N [ARGS...]: hopcap run on N ranks (oversubscribed, unbound: test machines are small).
run_np() {
  local n="$1"
  shift
  "$mpiexec" -n "$n" --oversubscribe --bind-to none "$hopcap" run "$@"
}

finish() {
  if [[ $failures -gt 0 ]]; then
    echo "$failures check(s) failed"
    exit 1
  fi
  echo "all checks passed"
}
