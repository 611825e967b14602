#!/usr/bin/env bash
# tools/plot.py and tools/report.py on four files: tests/data/tiny.toml as a grid run on 2 ranks,
# a grid run with failed and skipped points, a capacity run, and a synthetic capacity file
# (made-up numbers with poisoned values at points that are not ok). Each file must give the
# figures it has data for as real PNGs and PDFs and name the others as skipped; each report must hold
# the provenance keys, the status counts, the failure messages and tables whose row counts
# are computed here independently with h5py.
# Usage: plot_and_report.sh HOPCAP MPIEXEC   (exit 77: skipped)
source "$(dirname "$0")/../sweep/common.bash" "$1" "$2"
tests_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$tests_here/../../tools"

if ! "$py" -c 'import h5py, numpy, xarray, h5netcdf, matplotlib' 2>"$work/import.log"; then
  echo "SKIP: $py cannot import h5py, numpy, xarray, h5netcdf and matplotlib ($(tail -1 "$work/import.log"));"
  echo "      on Debian: apt-get install python3-h5py python3-numpy python3-xarray python3-h5netcdf python3-matplotlib"
  exit 77
fi
export OMP_NUM_THREADS=1 MPLBACKEND=Agg

all_figures="capacity_vs_dphi delta_min_uhop success_vs_M metastable_sizes uhop_traces"

# ---- the input files
run_np 2 "$tiny" -o "$work/grid.h5" >"$work/grid.log" 2>&1 || fail "grid run: $(tail -5 "$work/grid.log")"
# khm_identity cannot exist at Dphi = 16 > d = 8 (skipped); data queries from a set of 20 rows
# fail at M = 40 (failed: more queries asked than the set has); the filter skips the KHMs at
# Dphi = 4, which leaves one D_Phi with KHM data: no capacity-vs-D_Phi figure.
"$py" -c 'import numpy as np; np.savetxt("'"$work"'/queries.txt", np.random.default_rng(1).standard_normal((20, 8)))'
run_np 1 "$tiny" -o "$work/mixed.h5" --set 'sweep.model=["mhm","khm_uhop","khm_identity"]' \
  --set 'sweep.Dphi=[4,16]' --set 'sweep.filter="Dphi >= d"' --set sweep.replicas=2 \
  --set "sweep.query=[\"angle:20\",\"data:text:$work/queries.txt\"]" \
  >"$work/mixed.log" 2>&1 || fail "mixed run: $(tail -5 "$work/mixed.log")"
run_np 1 "$tiny" -o "$work/capacity.h5" --set capacity.enabled=true --set capacity.M_min=2 \
  --set capacity.M_max=64 --set 'sweep.Dphi=[2,4,8]' --set uhop.iters=20 \
  >"$work/capacity.log" 2>&1 || fail "capacity run: $(tail -5 "$work/capacity.log")"
"$py" "$tests_here/make_synthetic_capacity_file.py" "$work/synthetic.h5" || fail "synthetic capacity file"

# check_figures NAME "MADE..." "SKIPPED...": plot.py's exit code, its made/skipped lines and the PNGs.
check_figures() {
  local name="$1" made="$2" skipped="$3"
  "$py" "$tools/plot.py" "$work/$name.h5" --out "$work/$name-figures" >"$work/$name-plot.log" 2>&1 ||
    fail "$name: plot.py failed: $(tail -5 "$work/$name-plot.log")"
  for figure in $made; do
    grep -q "^made .*/$figure.png" "$work/$name-plot.log" || fail "$name: plot.py did not report $figure as made"
  done
  for figure in $skipped; do
    grep -q "^skipped  $figure: ." "$work/$name-plot.log" || fail "$name: plot.py did not say why it skipped $figure"
    [[ ! -e "$work/$name-figures/$figure.png" ]] || fail "$name: $figure.png drawn without data"
  done
  for figure in $made; do
    [[ "$(head -c 5 "$work/$name-figures/$figure.pdf" 2>/dev/null)" == "%PDF-" ]] || fail "$name: no $figure.pdf"
  done
  "$py" - "$work/$name-figures" $made <<'PY' || fail "$name: figures are not valid PNGs of some size"
import struct
import sys
from pathlib import Path
folder = Path(sys.argv[1])
for name in sys.argv[2:]:
    data = (folder / f"{name}.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{name}: not a PNG"
    assert data[12:16] == b"IHDR", f"{name}: no IHDR chunk"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 500 and height >= 400, f"{name}: {width} x {height} pixels"
    assert len(data) > 20_000, f"{name}: only {len(data)} bytes"
PY
}

check_figures grid "$all_figures" ""
check_figures mixed "delta_min_uhop success_vs_M metastable_sizes uhop_traces" "capacity_vs_dphi"
check_figures capacity "capacity_vs_dphi success_vs_M" "delta_min_uhop metastable_sizes uhop_traces"
check_figures synthetic "capacity_vs_dphi success_vs_M" "delta_min_uhop metastable_sizes uhop_traces"

# ---- reports: drawn by report.py, and linked from plot.py's folder with --no-plot
for name in grid mixed capacity synthetic; do
  "$py" "$tools/report.py" "$work/$name.h5" --out "$work/reports/$name.md" --figures "$work/reports/$name-figures" \
    >"$work/$name-report.log" 2>&1 || fail "$name: report.py failed: $(tail -5 "$work/$name-report.log")"
  "$py" "$tools/report.py" "$work/$name.h5" --out "$work/$name-linked.md" --figures "$work/$name-figures" --no-plot \
    >>"$work/$name-report.log" 2>&1 || fail "$name: report.py --no-plot failed: $(tail -5 "$work/$name-report.log")"
  "$py" - "$work/$name.h5" "$work/reports/$name.md" "$work/$name-linked.md" <<'PY' || fail "$name: report content"
import re
import sys
from pathlib import Path
import h5py
import numpy as np

source, report_path, linked_path = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
report = report_path.read_text(encoding="utf-8")
lines = report.splitlines()

def table_rows(heading):
    """Data rows of the first Markdown table after the heading."""
    start = lines.index(heading)
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("|"):
            rows.append(line)
        elif rows or line.startswith("#"):
            break
    assert len(rows) >= 2, f"no table under {heading}"
    return rows[2:]

provenance = ["title", "mode", "hopcap_version", "git_sha", "git_dirty", "command_line", "mpi_ranks",
              "group_size", "omp_threads_per_rank", "blas", "blas_threading", "mpi_library", "hdf5_library",
              "hosts", "start_time", "end_time", "timings", "configurations_run", "configurations_failed"]
for key in provenance:
    assert f"| `{key}` |" in report, f"provenance key {key} missing"

with h5py.File(source, "r") as f:
    mode = f.attrs.get("mode", b"grid")
    mode = mode.decode() if isinstance(mode, bytes) else str(mode)
    sha = f.attrs["git_sha"]
    sha = sha.decode() if isinstance(sha, bytes) else str(sha)
    status = f["status"][...]
    axes = [f["status"].dims[i][0].name.lstrip("/") for i in range(status.ndim)]
    messages = {m.rstrip(b"\0").decode() for m in f["message"][...][status == 2]}
    models = [m.decode() if isinstance(m, bytes) else str(m) for m in f["model"][...]]
assert sha in report, "git sha missing"
counts = dict(zip(["not_run", "ok", "failed", "skipped"], [int((status == k).sum()) for k in range(4)]))
for name, count in counts.items():
    assert f"| {name} | {count} |" in report, f"status count {name} = {count} missing"
for message in messages:
    assert message in report, f"failure message {message!r} missing"
ok = status == 1

if mode == "capacity":
    assert len(table_rows("### Capacity per point")) == int(ok.sum()), "capacity table: one row per ok point"
    assert "1000000000" not in report and "1e+09" not in report, "values of points that are not ok reached the report"
    expected = ["capacity_vs_dphi", "success_vs_M"]
else:
    keep = [axes.index(a) for a in ("M", "model", "sep")]
    others = tuple(i for i in range(status.ndim) if i not in keep)
    expected_rows = int(ok.any(axis=others).sum())
    found = len(table_rows("### Success rate per M, model and separation"))
    assert found == expected_rows, f"success table has {found} rows, h5py says {expected_rows}"
    expected = ["delta_min_uhop", "success_vs_M", "metastable_sizes", "uhop_traces"]
    # The capacity figure needs KHM points at two D_Phi values (the MHM ignores D_Phi).
    ok_points = np.argwhere(ok)
    khm_points = ok_points[[models[i] != "mhm" for i in ok_points[:, axes.index("model")]]]
    if np.unique(khm_points[:, axes.index("Dphi")]).size >= 2:
        expected.append("capacity_vs_dphi")

for path, text in ((report_path, report), (linked_path, linked_path.read_text(encoding="utf-8"))):
    links = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", text)
    names = {Path(link).stem for link in links}
    assert set(expected) <= names, f"{path.name}: figures {sorted(set(expected) - names)} not linked"
    for link in links:
        assert (path.parent / link).is_file(), f"{path.name}: broken link {link}"
PY
done

# ---- the tools are thin: no spherical-code bound is computed in Python (hopcap bounds does it,
# checked by tests/python/test_bounds.py)
if grep -nE "def (csw|kl|levenshtein|rankin|fejes)|log2\(np\.sin|0\.0990|62\.9974" "$tools"/*.py "$tests_here"/../../python/hopcap/*.py; then
  fail "a spherical-code bound is re-implemented in Python"
fi

finish
