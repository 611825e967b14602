#!/usr/bin/env bash
# Output files of train, landscape and run are never lost, never half-written and never put
# over what is not hopcap's: FIFOs and symbolic links (stand-ins for /dev/null) are refused,
# existing files need --overwrite, a full disk or an I/O error is one error line without a
# crash and leaves no partial file, and a second run on a running run's output is refused.
# Usage: output_safety.sh PATH/TO/hopcap   (HOPCAP_WRITE_FAULT_LIB: tests/fault/write_fault.c
# built as a shared library; the fault-injection cases are skipped without it)
source "$(dirname "$0")/common.bash" "$1"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
tiny="$(cd "$(dirname "$0")/.." && pwd)/data/tiny.toml"
fault_lib="${HOPCAP_WRITE_FAULT_LIB:-$(dirname "$hopcap")/tests/libhopcap_write_fault.so}"
train_args=(train --d 6 --M 8 --Dphi 4 --iters 20)
landscape_args=(landscape --M 3 --grid 8 --snapshots 0,1)

# Sanitizer builds run several times slower: HOPCAP_TEST_TIMEOUT (their test preset) raises the bound.
time_limit="${HOPCAP_TEST_TIMEOUT:-30}"
# expect_exit NAME CODES PATTERN CMD...: hopcap CMD... (under timeout 30) exits with one of
# CODES ("1" or "1|2") and, unless that is 0, prints exactly one stderr line matching PATTERN.
expect_exit() {
  local name="$1" code="$2" pattern="$3"
  shift 3
  timeout "$time_limit" "$hopcap" "$@" >"$work/out.txt" 2>"$work/err.txt"
  local rc=$?
  if ! [[ $rc =~ ^($code)$ ]]; then
    fail "$name: exit code $rc, expected $code ($(head -c 300 "$work/err.txt"))"
    return
  fi
  [[ $rc -eq 0 ]] && return
  local lines
  lines=$(grep -c . "$work/err.txt")
  if [[ "$lines" -ne 1 ]]; then fail "$name: expected one error line, got $lines: $(head -c 600 "$work/err.txt")"; fi
  if ! grep -qE -- "$pattern" "$work/err.txt"; then fail "$name: stderr lacks /$pattern/: $(cat "$work/err.txt")"; fi
}

# no_leftovers NAME DIR: DIR holds no temporary (.partial-*) or lock (.lock) files.
no_leftovers() {
  local found
  found=$(find "$2" -maxdepth 1 \( -name '*.partial*' -o -name '*.lock' \) -printf '%f ')
  if [[ -n "$found" ]]; then fail "$1: left behind: $found"; fi
}

# results_check FILE PYTHON-EXPR: the results file opens; EXPR sees ok (points with status 1),
# n (all points) and attrs.
results_check() {
  "$py" - "$1" "$2" <<'PY' || fail "results check '$2' on $1"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    status = f["status"][...]
    ok, n, attrs = int((status == 1).sum()), status.size, dict(f.attrs)
    sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}

# --- targets that are not regular files: refused always, left as they are ----------------------
mkfifo "$work/fifo.h5"
echo "someone else's data" >"$work/theirs.txt"
ln -s "$work/theirs.txt" "$work/link.h5"
for target in fifo link; do
  for extra in "" --overwrite; do
    expect_exit "train onto a $target $extra" 2 "not a regular file" "${train_args[@]}" --out "$work/$target.h5" $extra
    expect_exit "landscape onto a $target $extra" 2 "not a regular file" "${landscape_args[@]}" --out "$work/$target.h5" $extra
    expect_exit "run onto a $target $extra" 2 "not a regular file" run "$tiny" -o "$work/$target.h5" $extra
  done
done
[[ -p "$work/fifo.h5" ]] || fail "the FIFO was replaced"
[[ -L "$work/link.h5" && "$(cat "$work/theirs.txt")" == "someone else's data" ]] || fail "the symbolic link or its target changed"
no_leftovers "non-regular targets" "$work"

# --- existing files: refused without --overwrite, replaced with it ------------------------------
for kind in train landscape; do
  args=("${train_args[@]}")
  [[ $kind == landscape ]] && args=("${landscape_args[@]}")
  echo "old" >"$work/$kind.h5"
  expect_exit "$kind over an existing file" 2 "already exists; use --overwrite" "${args[@]}" --out "$work/$kind.h5"
  [[ "$(cat "$work/$kind.h5")" == "old" ]] || fail "$kind replaced an existing file without --overwrite"
  expect_exit "$kind --overwrite" 0 "" "${args[@]}" --out "$work/$kind.h5" --overwrite
  "$py" -c "import h5py, sys; h5py.File(sys.argv[1], 'r')" "$work/$kind.h5" || fail "$kind --overwrite wrote no HDF5 file"
done
expect_exit "run into a new file" 0 "" run "$tiny" -o "$work/run.h5"
expect_exit "run over an existing file" 2 "already exists; use --resume to continue it or --overwrite" run "$tiny" -o "$work/run.h5"
expect_exit "run --overwrite" 0 "" run "$tiny" -o "$work/run.h5" --overwrite
results_check "$work/run.h5" "ok == 32 and 'end_time' in attrs"
no_leftovers "existing files" "$work"

# --- a second run on the output of a running one ----------------------------------------------
slow=(run "$tiny" -o "$work/busy.h5" --set uhop.iters=20000)
timeout "$((2 * time_limit))" "$hopcap" "${slow[@]}" >/dev/null 2>"$work/first.txt" &
first=$!
for _ in $(seq 200); do [[ -s "$work/busy.h5.lock" ]] && break; sleep 0.1; done
if [[ -s "$work/busy.h5.lock" ]]; then
  holder=$(tr -d '\n' <"$work/busy.h5.lock")
  # A busy output is a runtime failure (exit 1), not a bad setting.
  expect_exit "second run on a busy output" 1 "in use by another hopcap run \(pid $holder" "${slow[@]}" --overwrite
  expect_exit "resume of a busy output" 1 "in use by another hopcap run" "${slow[@]}" --resume
  kill -9 "$holder" 2>/dev/null
  wait "$first" 2>/dev/null
  # The killed run's flock is gone with it; its sidecar file does not block --resume.
  expect_exit "resume after kill -9" 0 "" "${slow[@]}" --resume
  results_check "$work/busy.h5" "ok == 32 and 'end_time' in attrs"
else
  fail "the first run never took its lock ($(head -c 300 "$work/first.txt"))"
  kill "$first" 2>/dev/null
  wait "$first" 2>/dev/null
fi

# --- a full disk: a small tmpfs, filled up ---------------------------------------------------
mkdir -p "$work/full"
if mount -t tmpfs -o size=200k tmpfs "$work/full" 2>/dev/null; then
  dd if=/dev/zero of="$work/full/filler" bs=4k 2>/dev/null
  expect_exit "train on a full disk" 1 "No space left on device" "${train_args[@]}" --out "$work/full/W.h5"
  expect_exit "landscape on a full disk" 1 "No space left on device" "${landscape_args[@]}" --out "$work/full/land.h5"
  expect_exit "run on a full disk" "1|2" "No space left on device" run "$tiny" -o "$work/full/run.h5"
  for f in W.h5 land.h5 run.h5; do [[ -e "$work/full/$f" ]] && fail "a full disk left $f behind"; done
  no_leftovers "full disk" "$work/full"
  umount "$work/full"
else
  echo "note: cannot mount a tmpfs here; skipping the full-disk cases"
fi

# --- I/O errors in the middle of a run and at its final update (preloaded fault library) -----
if [[ -f "$fault_lib" ]]; then
  faulty() {  # faulty PATH-PART SUCCESSFUL-WRITES ERRNO CMD...
    local part="$1" after="$2" err="$3"
    shift 3
    HOPCAP_FAULT_PATH="$part" HOPCAP_FAULT_AFTER="$after" HOPCAP_FAULT_ERRNO="$err" LD_PRELOAD="$preload" expect_exit "$@"
  }
  # A sanitizer build needs its runtime first among the preloaded libraries.
  asan_runtime="$(ldd "$hopcap" | awk '/libasan/ { print $3 }')"
  preload="${asan_runtime:+$asan_runtime:}$fault_lib"
  faulty "$work/W.h5" 0 EIO "train with an I/O error" 1 "Input/output error" "${train_args[@]}" --out "$work/W.h5"
  [[ -e "$work/W.h5" ]] && fail "a failed train left W.h5"
  faulty "$work/mid.h5" 200 EIO "run with an I/O error mid-run" 1 "cannot write .*at grid point" run "$tiny" -o "$work/mid.h5"
  results_check "$work/mid.h5" "0 < ok < 32 and 'end_time' not in attrs"
  expect_exit "resume after the I/O error" 0 "" run "$tiny" -o "$work/mid.h5" --resume
  results_check "$work/mid.h5" "ok == 32 and 'end_time' in attrs"
  # The skeleton is the first (single) write to a temporary file; the final update the second.
  faulty "$work/final.h5.partial" 1 ENOSPC "run with a full disk at the final update" 1 "No space left on device" run "$tiny" -o "$work/final.h5"
  results_check "$work/final.h5" "ok == 32 and 'end_time' not in attrs"
  expect_exit "resume after the failed final update" 0 "" run "$tiny" -o "$work/final.h5" --resume
  results_check "$work/final.h5" "ok == 32 and 'end_time' in attrs"
  no_leftovers "I/O errors" "$work"
else
  echo "note: no fault library at $fault_lib; skipping the I/O error cases"
fi

if [[ $failures -gt 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all CLI checks passed"
