#!/usr/bin/env bash
# The small commands choose their threads from the size of the work unless OMP_NUM_THREADS is
# set (src/cli/work_threads.hpp); the results must not depend on the choice. Each command runs
# with the choice left to hopcap, with 1 thread and with 3, on a small case (where hopcap takes
# one thread) and a larger one (where it takes all cores), and the outputs, timings removed,
# must be identical.
source "$(dirname "$0")/common.bash" "$1"

# compare_threads NAME ARGS...: runs hopcap three ways and compares stdout without "seconds" fields.
compare_threads() {
  local name="$1"
  shift
  local variant
  for variant in chosen 1 3; do
    if [[ "$variant" == chosen ]]; then
      env -u OMP_NUM_THREADS "$hopcap" "$@" >"$work/$variant.out" 2>"$work/err.txt" || fail "$name ($variant): exit $?"
    else
      OMP_NUM_THREADS="$variant" "$hopcap" "$@" >"$work/$variant.out" 2>"$work/err.txt" || fail "$name ($variant): exit $?"
    fi
    sed -i -E '/"seconds"/d' "$work/$variant.out"
  done
  [[ -s "$work/chosen.out" ]] || fail "$name: no output"
  cmp -s "$work/chosen.out" "$work/1.out" || fail "$name: output differs between the chosen threads and 1 thread"
  cmp -s "$work/chosen.out" "$work/3.out" || fail "$name: output differs between the chosen threads and 3 threads"
}

compare_threads "demo" demo
compare_threads "codes" codes --generate sphere:32,400,5
compare_threads "retrieve" retrieve --d 16 --M 64 --beta 16 --sep entmax15 --seed 2
compare_threads "retrieve, larger" retrieve --d 64 --M 512 --beta 8 --sep sparsemax --queries-per-memory 2 --seed 3
compare_threads "train" train --d 24 --M 12 --Dphi 3 --iters 200 --seed 4
compare_threads "landscape" landscape --M 4 --snapshots 0,2 --grid 40 --out "$work/land.h5" --overwrite

(( failures == 0 )) || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
