#!/usr/bin/env bash
# docs/notebooks/quickstart.ipynb executes from top to bottom (jupyter nbconvert --execute) with
# the hopcap program under test: no cell raises, and it shows its two figures and its tables.
# Usage: notebook.sh HOPCAP   (exit 77: jupyter-nbconvert or the kernel is not installed)
set -uo pipefail
hopcap="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
py=/usr/bin/python3
if ! command -v jupyter-nbconvert >/dev/null || ! "$py" -c 'import ipykernel, nbformat, matplotlib_inline' 2>/dev/null; then
  echo "SKIP: jupyter-nbconvert or python3-ipykernel is not installed (apt-get install jupyter-nbconvert python3-ipykernel)"
  exit 77
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The kernel is Debian's /usr/bin/python3; run from the repository root as a user would.
cd "$root" || exit 1
PATH="/usr/bin:$PATH" HOPCAP="$hopcap" PYTHONDONTWRITEBYTECODE=1 PYDEVD_DISABLE_FILE_VALIDATION=1 \
  jupyter-nbconvert --to notebook --execute --ExecutePreprocessor.timeout=120 \
  "$root/docs/notebooks/quickstart.ipynb" --output-dir "$work" --output executed >"$work/nbconvert.log" 2>&1 ||
  { echo "FAIL: the notebook did not execute:"; tail -30 "$work/nbconvert.log"; exit 1; }
"$py" - "$work/executed.ipynb" "$root/docs/notebooks/quickstart.ipynb" <<'PY'
import sys
import nbformat
executed = nbformat.read(sys.argv[1], as_version=4)
outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
errors = [o for o in outputs if o.output_type == "error"]
assert not errors, errors
images = [o for o in outputs if o.output_type in ("display_data", "execute_result") and "image/png" in o.data]
assert len(images) == 2, f"{len(images)} figures shown, expected 2"
text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
assert "'ok': 24" in text, text  # every point of the small sweep completed
assert "capacity_vs_dphi.pdf" in text and "capacity_vs_dphi.png" in text, text
tables = [o for o in outputs if o.output_type == "execute_result" and "text/html" in o.data]
assert len(tables) == 2, f"{len(tables)} tables shown, expected 2"
assert "khm_uhop" in tables[1].data["text/plain"] and "mhm" in tables[1].data["text/plain"]
committed = nbformat.read(sys.argv[2], as_version=4)
size = sum(len(str(o)) for c in committed.cells if c.cell_type == "code" for o in c.outputs)
assert size < 20000, f"the committed notebook carries {size} characters of outputs: commit it cleared"
print("notebook executed: 2 figures, 2 tables, no error")
PY
