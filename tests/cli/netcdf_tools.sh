#!/usr/bin/env bash
# Every file hopcap writes reads with the netCDF-C tools and with xarray through both of its
# engines: a results file of `hopcap run` with ok, failed and skipped points (and a capacity
# file), a `hopcap train` file and a `hopcap landscape` file each go through ncdump (header,
# everything, one variable), nccopy -k nc4, NCO's ncks, and /usr/bin/python3 with xarray
# (engines netcdf4 and h5netcdf: open, load every variable, close; groups too). Any non-zero
# exit or signal fails, and so does a phony dimension (a dimension without a scale). The
# failure message reads back through netCDF-C, and docs/output-format.md describes the four
# files exactly (tests/python/check_output_doc.py).
# Usage: netcdf_tools.sh PATH/TO/hopcap
source "$(dirname "$0")/common.bash" "$1"
here="$(cd "$(dirname "$0")" && pwd)"

for tool in ncdump nccopy ncks; do
  if ! command -v "$tool" >/dev/null; then
    echo "skipping: $tool is not installed (Debian: netcdf-bin nco)"
    exit 77
  fi
done
if ! "$py" -c "import xarray, netCDF4, h5netcdf, h5py" 2>/dev/null; then
  echo "skipping: /usr/bin/python3 lacks xarray, netCDF4, h5netcdf or h5py (Debian: python3-xarray python3-netcdf4 python3-h5netcdf python3-h5py)"
  exit 77
fi

# runs CMD... and fails on a non-zero exit, naming a signal when there was one
must() {
  local label="$1"
  shift
  "$@" >"$work/tool.out" 2>"$work/tool.err"
  local rc=$?
  if [[ $rc -ge 128 ]]; then
    fail "$label: killed by signal $((rc - 128)): $(head -c 300 "$work/tool.err")"
  elif [[ $rc -ne 0 ]]; then
    fail "$label: exit code $rc: $(head -c 300 "$work/tool.err")"
  fi
  return $rc
}

# A grid where each status occurs: data queries with fewer rows than asked fail, khm_identity
# with Dphi > d is skipped, the rest is ok.
"$py" -c "
import numpy as np
np.savetxt('$work/queries.txt', np.eye(3, 8))" || fail "writing the query file"
cat >"$work/grid.toml" <<EOF
[sweep]
d = [8]
M = [12]
Dphi = [4, 16]
beta = [4.0]
sep = ["softmax"]
query = ["angle:20", "data:text:$work/queries.txt"]
model = ["mhm", "khm_identity"]
[retrieval]
random_queries = 5
t_max = 10
EOF
must "hopcap run (grid)" env OMP_NUM_THREADS=1 "$hopcap" run "$work/grid.toml" -o "$work/grid.h5"
"$py" - "$work/grid.h5" <<'PY' || fail "the grid file lacks an ok, a failed or a skipped point"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    status = set(f["status"][...].ravel().tolist())
    sys.exit(0 if {1, 2, 3} <= status else 1)
PY

cat >"$work/capacity.toml" <<'EOF'
[sweep]
d = [8]
Dphi = [4]
beta = [16.0]
sep = ["softmax"]
query = ["angle:10"]
model = ["mhm"]
[retrieval]
t_max = 10
[capacity]
enabled = true
M_min = 2
M_max = 16
EOF
must "hopcap run (capacity)" env OMP_NUM_THREADS=1 "$hopcap" run "$work/capacity.toml" -o "$work/capacity.h5"
must "hopcap train" "$hopcap" train --d 6 --M 8 --Dphi 3 --bias --iters 10 --out "$work/map.h5"
must "hopcap landscape" "$hopcap" landscape --M 3 --seed 5 --beta 6 --grid 7 --snapshots 0,2 \
  --sep softmax,sparsemax --bias --tau 0.5 --lr 0.1 --out "$work/land.h5"

netcdf_tools() {  # FILE VARIABLE
  local file="$1" variable="$2" name
  name="$(basename "$file")"
  must "ncdump -h $name" ncdump -h "$file" && grep -q "phony_dim" "$work/tool.out" &&
    fail "ncdump -h $name: phony dimensions: $(grep phony_dim "$work/tool.out" | head -3)"
  must "ncdump $name" ncdump "$file"
  must "ncdump -v $variable $name" ncdump -v "$variable" "$file"
  cp "$work/tool.out" "$work/$name.var.txt"
  must "nccopy -k nc4 $name" nccopy -k nc4 "$file" "$work/$name.copy.nc" &&
    must "ncdump of the nccopy of $name" ncdump "$work/$name.copy.nc"
  must "ncks $name" ncks -O "$file" "$work/$name.ncks.nc" &&
    must "ncdump of the ncks copy of $name" ncdump "$work/$name.ncks.nc"
}

netcdf_tools "$work/grid.h5" message
netcdf_tools "$work/capacity.h5" message
netcdf_tools "$work/map.h5" W
netcdf_tools "$work/land.h5" energy

# xarray through both engines, every group of every file (one interpreter: xarray loads slowly).
must "xarray" "$py" - "$work/grid.h5" "$work/capacity.h5" "$work/map.h5:trace" "$work/land.h5" <<'PY'
import sys
import xarray as xr
for arg in sys.argv[1:]:
    path, _, groups = arg.partition(":")
    for engine in ("netcdf4", "h5netcdf"):
        for group in [None] + [g for g in groups.split(",") if g]:
            ds = xr.open_dataset(path, engine=engine, group=group)
            ds.load()
            phony = [d for d in ds.dims if str(d).startswith("phony_dim")]
            assert not phony, f"{path} {engine} {group}: phony dimensions {phony}"
            assert ds.data_vars, f"{path} {engine} {group}: no variables"
            ds.close()
PY

# The failure message itself, through netCDF-C.
grep -q 'has 3 rows' "$work/grid.h5.var.txt" ||
  fail "ncdump -v message shows no failure message: $(head -c 600 "$work/grid.h5.var.txt")"
grep -q 'khm_identity needs Dphi <= d' "$work/grid.h5.var.txt" ||
  fail "ncdump -v message shows no skip message"

must "docs/output-format.md against the files" "$py" "$here/../python/check_output_doc.py" \
  "$here/../../docs/output-format.md" "$work/grid.h5" "$work/capacity.h5" "$work/map.h5" "$work/land.h5" ||
  cat "$work/tool.out"

if [[ $failures -gt 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all netCDF checks passed"
