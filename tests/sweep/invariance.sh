#!/usr/bin/env bash
# The sweep result does not depend on the number of ranks, the group size or the thread count:
# tiny.toml at 1, 2, 3 and 4 ranks, groups of 1, 2 and 3, 1 or 2 threads, and U-Hop+ with
# mini-batches on one rank and in a group of three; and every other model with every
# separation at group sizes 2, 3 and 4; all bitwise (the retrieval engine's and the U-Hop+
# loss's sums over memories are exact, docs/engine.md).
source "$(dirname "$0")/common.bash" "$1" "$2"

OMP_NUM_THREADS=1 run_np 1 "$tiny" -o "$work/ref.h5" >"$work/ref.log" 2>&1 || fail "reference run: $(tail -5 "$work/ref.log")"
for setup in "2 1 1" "3 3 1" "4 2 2" "2 2 2" "3 1 2"; do
  read -r ranks group threads <<<"$setup"
  out="$work/np${ranks}_g${group}_t${threads}.h5"
  if OMP_NUM_THREADS=$threads run_np "$ranks" "$tiny" -o "$out" --set "run.group_size=$group" >"$work/run.log" 2>&1; then
    "$py" "$here/compare_runs.py" "$work/ref.h5" "$out" 0 || fail "ranks $ranks, group $group, threads $threads differ"
  else
    fail "run at ranks $ranks group $group: $(tail -5 "$work/run.log")"
  fi
done

# U-Hop+ with mini-batches: the batches are assembled on every rank of a group, so the map and
# everything after it must not depend on the group either.
batch=(--set uhop.batch=8 --set 'sweep.model=["khm_uhop"]')
OMP_NUM_THREADS=1 run_np 1 "$tiny" -o "$work/batch_ref.h5" "${batch[@]}" >"$work/ref.log" 2>&1 ||
  fail "mini-batch reference run: $(tail -5 "$work/ref.log")"
if OMP_NUM_THREADS=1 run_np 3 "$tiny" -o "$work/batch_g3.h5" "${batch[@]}" --set run.group_size=3 >"$work/run.log" 2>&1; then
  "$py" "$here/compare_runs.py" "$work/batch_ref.h5" "$work/batch_g3.h5" 0 || fail "mini-batch U-Hop+ differs in a group of 3"
else
  fail "mini-batch run in a group of 3: $(tail -5 "$work/run.log")"
fi

# Every separation with the MHM and the KHMs of fixed maps, targeted and random queries, memory
# sets split over groups of 2-4 ranks (M = 70: blocks of 16, so some ranks hold one block and
# some none), bitwise.
cat >"$work/every_model.toml" <<'EOF'
[sweep]
d = [8]
M = [70]
Dphi = [3]
beta = [4.0]
sep = ["softmax", "sparsemax", "entmax15", "entmax:1.3"]
query = ["angle:25", "random"]
model = ["mhm", "khm_random", "khm_identity"]
memories = ["sphere"]
seed = 99
[retrieval]
t_max = 12
random_queries = 30
EOF
OMP_NUM_THREADS=1 run_np 1 "$work/every_model.toml" -o "$work/every_ref.h5" >"$work/ref.log" 2>&1 ||
  fail "every-model reference run: $(tail -5 "$work/ref.log")"
for setup in "2 1" "3 1" "4 1" "2 2"; do
  read -r group threads <<<"$setup"
  out="$work/every_g${group}_t$threads.h5"
  if OMP_NUM_THREADS=$threads run_np "$group" "$work/every_model.toml" -o "$out" --set "run.group_size=$group" >"$work/run.log" 2>&1; then
    "$py" "$here/compare_runs.py" "$work/every_ref.h5" "$out" 0 || fail "every model and separation: group of $group, threads $threads differ"
  else
    fail "every-model run in a group of $group: $(tail -5 "$work/run.log")"
  fi
done
finish
