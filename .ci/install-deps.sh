#!/usr/bin/env bash
# Installs hopcap's dependencies from Debian 12's archive.
# Idempotent and non-interactive; uses sudo when not run as root.
# Usage: .ci/install-deps.sh [--run] [--with-torch]
#   (default)     everything: building and running, and the test suite and CI gates
#   --run         only what building and running hopcap needs (tools/quickstart.sh run)
#   --with-torch  adds python3-torch for the peer benchmark
set -euo pipefail

# Building hopcap, running it, its tools and its man page.
run_packages=(
  build-essential cmake git pkg-config
  libopenmpi-dev openmpi-bin
  libhdf5-openmpi-dev hdf5-tools
  libopenblas-dev
  libopenblas-openmp-dev
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev librandom123-dev zlib1g-dev
  python3-h5py python3-numpy python3-xarray python3-h5netcdf python3-matplotlib
  help2man
)
# The test suite, the benchmarks and the CI gates.
test_packages=(
  libgtest-dev libbenchmark-dev
  # A real single-node Slurm for tests/jobs/slurm.sh and, through Slurm's PBS wrappers,
  # tests/jobs/pbs.sh (the tests start their own daemons)
  slurm-wlm munge slurm-wlm-torque
  dataset-fashion-mnist
  ccache
  # The Python package's offline install test and the executed quick-start notebook
  python3-venv python3-pip python3-setuptools jupyter-nbconvert python3-ipykernel
  # netCDF-C tools, NCO and xarray's netcdf4 engine: tests/cli/netcdf_tools.sh
  netcdf-bin nco python3-netcdf4
  # .ci/portable: another BLAS and another MPI beside the default ones
  libblis-dev libmpich-dev libhdf5-mpich-dev
)

packages=("${run_packages[@]}")
with_tests=1
for argument in "$@"; do
  case "$argument" in
    --run) with_tests=0 ;;
    --with-torch) packages+=(python3-torch) ;;
    *) echo "usage: .ci/install-deps.sh [--run] [--with-torch]" >&2; exit 2 ;;
  esac
done
if (( with_tests )); then packages+=("${test_packages[@]}"); fi

sudo_cmd=()
if [[ "$(id -u)" -ne 0 ]]; then
  sudo_cmd=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if (( ${#missing[@]} == 0 )); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
