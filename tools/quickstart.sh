#!/usr/bin/env bash
# One-command entry points used by the README's quick start and by CI.
#   tools/quickstart.sh run    install what running needs, build, run the demo and a small 2-rank sweep
#   tools/quickstart.sh test   install everything the tests need too, build, run the whole test suite
# BUILD_DIR (default build) and JOBS (default: all cores) can be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"
build_dir="${BUILD_DIR:-build}"
jobs="${JOBS:-$(nproc)}"

case "$mode" in
  run) .ci/install-deps.sh --run ;;
  test) .ci/install-deps.sh ;;
  *) echo "usage: tools/quickstart.sh run|test" >&2; exit 2 ;;
esac
# Running needs neither GoogleTest nor Google Benchmark; set both ways, so that a test after a
# run (same build directory) builds the tests again.
options=(-DCMAKE_BUILD_TYPE=Release)
if [[ "$mode" == run ]]; then
  options+=(-DHOPCAP_BUILD_TESTS=OFF -DHOPCAP_BUILD_BENCH=OFF)
else
  options+=(-DHOPCAP_BUILD_TESTS=ON -DHOPCAP_BUILD_BENCH=ON)
fi
if command -v ccache >/dev/null; then
  options+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build_dir" "${options[@]}" >/dev/null
cmake --build "$build_dir" -j "$jobs"

case "$mode" in
  run)
    "$build_dir/hopcap" demo
    # Then a small sweep on 2 MPI ranks into an HDF5 file (tests/data/tiny.toml: 32 grid
    # points, a U-Hop+ model among them). Root and more ranks than cores need Open MPI's
    # permission; unbound ranks suit a laptop.
    echo
    echo "== hopcap run: a small sweep on 2 MPI ranks =="
    mkdir -p runs
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    threads=$(( $(nproc) / 2 ))
    OMP_NUM_THREADS=$(( threads > 0 ? threads : 1 )) OMP_WAIT_POLICY=passive \
      mpiexec -n 2 --oversubscribe --bind-to none "$build_dir/hopcap" run tests/data/tiny.toml -o runs/tiny.h5 --overwrite
    echo "open it with: /usr/bin/python3 -c 'import xarray as xr; print(xr.open_dataset(\"runs/tiny.h5\", engine=\"h5netcdf\"))'"
    ;;
  test)
    cd "$build_dir"
    exec ctest --output-on-failure -j "$jobs"
    ;;
  *)
    echo "usage: tools/quickstart.sh run|test" >&2
    exit 2
    ;;
esac
