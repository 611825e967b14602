#!/usr/bin/env bash
# One-command entry points used by the README's quick start and by CI.
#   tools/quickstart.sh run    install dependencies, build, run a small default case
#   tools/quickstart.sh test   install dependencies, build, run the whole test suite
# BUILD_DIR (default build) and JOBS (default: all cores) can be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"
build_dir="${BUILD_DIR:-build}"
jobs="${JOBS:-$(nproc)}"

.ci/install-deps.sh
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j "$jobs"

case "$mode" in
  run)
    exec "$build_dir/hopcap" demo
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
