# Shared by the command-line test scripts: expect_json / expect_error and a failure counter.
# Usage (from a script): source "$(dirname "$0")/common.bash" PATH/TO/hopcap
set -uo pipefail
hopcap="$1"
py=/usr/bin/python3
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect_json NAME PYTHON-EXPR ARGS...: runs hopcap, parses stdout as JSON into `j`, checks EXPR.
expect_json() {
  local name="$1" expr="$2"
  shift 2
  if ! "$hopcap" "$@" >"$work/out.json" 2>"$work/err.txt"; then
    fail "$name: exit code $? ($(head -c 300 "$work/err.txt"))"
    return
  fi
  if ! "$py" -c "import json,math,sys; j=json.load(open('$work/out.json')); sys.exit(0 if ($expr) else 1)"; then
    fail "$name: check '$expr' failed on: $(head -c 600 "$work/out.json")"
  fi
}

# expect_error NAME PATTERN ARGS...: non-zero exit, exactly one stderr line matching PATTERN,
# and an exit code that is not a signal (>= 128 means a crash).
expect_error() {
  local name="$1" pattern="$2"
  shift 2
  "$hopcap" "$@" >"$work/out.txt" 2>"$work/err.txt"
  local rc=$?
  if [[ $rc -eq 0 ]]; then fail "$name: exit code 0"; return; fi
  if [[ $rc -ge 128 ]]; then fail "$name: crashed with exit code $rc"; return; fi
  local lines
  lines=$(grep -c . "$work/err.txt")
  if [[ "$lines" -ne 1 ]]; then fail "$name: expected one error line, got $lines: $(cat "$work/err.txt")"; fi
  if ! grep -qE -- "$pattern" "$work/err.txt"; then fail "$name: stderr lacks /$pattern/: $(cat "$work/err.txt")"; fi
}

