#!/usr/bin/env bash
# The package installs offline into a virtual environment that sees Debian's packages
# (python3 -m venv --system-site-packages; pip install --no-deps --no-build-isolation), and the
# installed copy, not the source tree's, opens a results file and draws with its hopcap-plot
# command.
# Usage: install.sh HOPCAP   (exit 77: python3-venv, python3-pip or the dependencies are missing)
set -uo pipefail
hopcap="$1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
py=/usr/bin/python3
if ! "$py" -c 'import venv, ensurepip, setuptools, numpy, h5py, h5netcdf, xarray, matplotlib' 2>/dev/null; then
  echo "SKIP: python3-venv, python3-setuptools or a dependency of the package is not installed"
  exit 77
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# A copy of the sources: building writes build/ and *.egg-info next to them.
cp -r "$root/python" "$work/src"
"$py" -m venv --system-site-packages "$work/venv" || fail "venv"
PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 "$work/venv/bin/pip" install --no-deps --no-build-isolation \
  "$work/src" >"$work/pip.log" 2>&1 || fail "pip install: $(tail -5 "$work/pip.log")"
OMP_NUM_THREADS=1 "$hopcap" run "$root/tests/data/tiny.toml" -o "$work/tiny.h5" >/dev/null 2>&1 || fail "hopcap run"
cd "$work" || exit 1
env -u PYTHONPATH "$work/venv/bin/python" - "$work" <<'PY' || fail "the installed package"
import sys
from pathlib import Path
import hopcap
work = Path(sys.argv[1])
where = Path(hopcap.__file__).resolve()
assert str(where).startswith(str(work / "venv")), f"imported {where}, not the installed copy"
ds = hopcap.open_run(work / "tiny.h5")
assert hopcap.status_counts(ds)["ok"] == 32, hopcap.status_counts(ds)
assert len(hopcap.to_frame(ds)) == 32
PY
MPLBACKEND=Agg env -u PYTHONPATH "$work/venv/bin/hopcap-plot" "$work/tiny.h5" --out "$work/figures" >"$work/plot.log" 2>&1 ||
  fail "hopcap-plot: $(tail -5 "$work/plot.log")"
for name in capacity_vs_dphi success_vs_M; do
  [[ -s "$work/figures/$name.pdf" && -s "$work/figures/$name.png" ]] || fail "hopcap-plot did not write $name"
done
echo "installed into a venv: import, open_run and hopcap-plot work"
