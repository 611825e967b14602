#!/usr/bin/env bash
# Installs hopcap's build and test dependencies from Debian 12's archive.
# Idempotent and non-interactive; uses sudo when not run as root.
# Usage: .ci/install-deps.sh [--with-torch]   (--with-torch adds python3-torch for the peer benchmark)
set -euo pipefail

packages=(
  build-essential cmake git pkg-config
  libopenmpi-dev openmpi-bin
  libhdf5-openmpi-dev hdf5-tools
  libopenblas-dev
  libopenblas-openmp-dev
  libgtest-dev libbenchmark-dev
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev librandom123-dev zlib1g-dev
  python3-h5py python3-numpy python3-xarray python3-h5netcdf python3-matplotlib
  # A real single-node Slurm for tests/jobs/slurm.sh (the test starts its own daemons)
  slurm-wlm munge
  dataset-fashion-mnist
)
if [[ "${1:-}" == "--with-torch" ]]; then
  packages+=(python3-torch)
fi

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
