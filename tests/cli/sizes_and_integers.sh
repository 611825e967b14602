#!/usr/bin/env bash
# Sizes and integers that cannot overflow, wrap or be clamped: sizes whose product does not fit
# and integers outside an option's or a config key's range are refused with exit code 2 and one
# line `hopcap: error: ...` that names the option or key, never a crash, a hang or a wrapped
# value. Usage: sizes_and_integers.sh PATH/TO/hopcap
source "$(dirname "$0")/common.bash" "$1"
tiny="$(dirname "$0")/../data/tiny.toml"
# `hopcap run` starts MPI as a singleton; Open MPI refuses root without these.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1

# expect_exit CODE NAME PATTERN ARGS...: exit code CODE within 20 s, exactly one stderr line,
# which starts with `hopcap: error:` and matches PATTERN.
expect_exit() {
  local code="$1" name="$2" pattern="$3"
  shift 3
  timeout 20 "$hopcap" "$@" >"$work/out.txt" 2>"$work/err.txt"
  local rc=$?
  if [[ $rc -eq 124 ]]; then fail "$name: did not finish within 20 s"; return; fi
  if [[ $rc -ge 128 ]]; then fail "$name: crashed with exit code $rc"; return; fi
  if [[ $rc -ne $code ]]; then fail "$name: exit code $rc, expected $code ($(head -c 300 "$work/err.txt"))"; return; fi
  local lines
  lines=$(grep -c . "$work/err.txt")
  if [[ "$lines" -ne 1 ]]; then fail "$name: expected one error line, got $lines: $(cat "$work/err.txt")"; return; fi
  if ! grep -q '^hopcap: error: ' "$work/err.txt"; then fail "$name: not a hopcap error line: $(cat "$work/err.txt")"; fi
  if ! grep -qE -- "$pattern" "$work/err.txt"; then fail "$name: stderr lacks /$pattern/: $(cat "$work/err.txt")"; fi
}
# A bad setting: exit code 2.
expect_refused() { expect_exit 2 "$@"; }

# --- the reproducers ---------------------------------------------------------------------------
# M·d wrapped to 4 values: a 32-byte buffer written with 2^64 values.
expect_refused "M x d wraps" "--M.*2147483647" retrieve --d 4 --M 4611686018427387905
expect_refused "d and M of 2^32" "--d.*2147483647" retrieve --d 4294967296 --M 4294967296
expect_refused "sweep M of 2^62" "sweep\.M.*2147483647" run "$tiny" -o "$work/r.h5" --set 'sweep.M=[4611686018427387904]'
expect_refused "negative seed" "--seed.*18446744073709551615" retrieve --seed -1
expect_refused "d beyond int64" "--d" retrieve --d 99999999999999999999
printf '[retrieval]\nt_max = 4294967297\n' >"$work/tmax.toml"
expect_refused "t_max in a config" "retrieval\.t_max.*2147483647" run "$work/tmax.toml" -o "$work/r.h5"
expect_refused "t_max by --set" "retrieval\.t_max.*2147483647" run "$tiny" -o "$work/r.h5" --set retrieval.t_max=4294967297
[[ ! -e "$work/r.h5" ]] || fail "a refused sweep wrote its output file"

# --- every integer option of every command: negative, one past the limit, not an integer ----------
# retrieve and the memory options it shares with train
expect_refused "retrieve --M 0" "--M" retrieve --M 0
expect_refused "retrieve --M 2^31" "--M.*2147483647" retrieve --M 2147483648
expect_refused "retrieve --d -3" "--d" retrieve --d -3
expect_refused "retrieve --d 2.5" "--d" retrieve --d 2.5
expect_refused "retrieve --seed 2^64" "--seed" retrieve --seed 18446744073709551616
expect_refused "retrieve --queries-per-memory" "--queries-per-memory.*2147483647" retrieve --queries-per-memory 2147483648
expect_refused "retrieve --random-queries" "--random-queries" retrieve --query random --random-queries -1
expect_refused "retrieve --t-max 2^32+1" "--t-max.*2147483647" retrieve --t-max 4294967297
expect_refused "retrieve --t-max 0" "--t-max" retrieve --t-max 0
expect_refused "retrieve --block" "--block" retrieve --block -1
# The product of two allowed sizes: 2^31 - 1 memories x 2^31 - 1 coordinates.
expect_refused "retrieve M x d" "--M x --d.*2\^45" retrieve --d 2147483647 --M 2147483647
expect_refused "queries x M" "--queries-per-memory.*2147483647" retrieve --M 65536 --queries-per-memory 65536
# U-Hop+ options (train, retrieve --train-uhop, landscape)
expect_refused "train --Dphi" "--Dphi.*2147483647" train --Dphi 2147483648
expect_refused "train --iters" "--iters" train --Dphi 2 --iters -1
expect_refused "train --batch" "--batch" train --Dphi 2 --batch 9223372036854775808
expect_refused "train --plateau-window" "--plateau-window" train --Dphi 2 --plateau-window -5
expect_refused "train --restarts" "--restarts" train --Dphi 2 --restarts 0
expect_refused "train --seed" "--seed" train --Dphi 2 --seed -1
# landscape
expect_refused "landscape --M" "--M" landscape --M 1 --out "$work/l.h5"
expect_refused "landscape --seed" "--seed" landscape --seed -1 --out "$work/l.h5"
expect_refused "landscape --snapshots" "--snapshots" landscape --snapshots 0,-1 --out "$work/l.h5"
expect_refused "landscape --grid" "--grid" landscape --grid 99999999999999999999 --out "$work/l.h5"
expect_refused "landscape --updates" "--updates" landscape --updates 4294967297 --out "$work/l.h5"
# demo and codes
expect_refused "demo --d" "--d" demo --d 0
expect_refused "demo --M" "--M.*100000" demo --M 100001
expect_refused "demo --seed" "--seed" demo --seed -1
expect_refused "codes --dim" "--dim" codes --generate icosahedron --dim -1
expect_refused "codes cross 2^62" "cross" codes --generate cross:4611686018427387904

# --- sizes read from files -----------------------------------------------------------------------
# W of 2^33 x 2^31 (chunked, nothing stored): the extents' product wraps to 0 values in 64 bits,
# and the map was taken as read. A damaged input file: exit code 1.
"$py" - "$work/huge_w.h5" <<'PYEOF'
import sys, h5py
with h5py.File(sys.argv[1], "w") as f:
    f.create_dataset("W", shape=(2**33, 2**31), dtype="f8", chunks=(1, 1024))
PYEOF
expect_exit 1 "feature map extents wrap" "huge_w\.h5.*too large" retrieve --d 4 --M 8 --feature-map "$work/huge_w.h5"

# --- integer config keys, in a file and by --set --------------------------------------------------
expect_refused "replicas 2^31" "sweep\.replicas" run "$tiny" -o "$work/r.h5" --set sweep.replicas=2147483648
expect_refused "grid size" "sweep grid size" run "$tiny" -o "$work/r.h5" --set sweep.replicas=1073741824
expect_refused "queries per memory x M" "retrieval\.queries_per_memory" run "$tiny" -o "$work/r.h5" --set retrieval.queries_per_memory=1073741824
expect_refused "integer beyond int64 in --set" "retrieval\.t_max" run "$tiny" -o "$work/r.h5" --set retrieval.t_max=99999999999999999999
printf '[sweep]\nseed = -1\n' >"$work/seed.toml"
expect_refused "negative seed in a config" "sweep\.seed" run "$work/seed.toml" -o "$work/r.h5"
printf '[uhop]\niters = 2147483648\n' >"$work/iters.toml"
expect_refused "uhop.iters in a config" "uhop\.iters.*2147483647" run "$work/iters.toml" -o "$work/r.h5"

# --- values at the limits are taken exactly, in decimal ------------------------------------------
expect_json "largest seed" "j['settings']['seed']==18446744073709551615 and j['memories']['seed']==18446744073709551615" retrieve --d 3 --M 4 --seed 18446744073709551615
expect_json "leading zero is decimal" "j['memories']['seed']==10 and j['memories']['M']==8" retrieve --d 3 --M 08 --seed 010

if [[ $failures -gt 0 ]]; then
  echo "$failures size and integer check(s) failed"
  exit 1
fi
echo "all size and integer checks passed"
