#!/usr/bin/python3
"""Checks that a hopcap results file reads as intended with xarray (engines "h5netcdf" and
"netcdf4", the latter through netCDF-C) and h5py.

Usage: check_results_file.py RESULTS.h5 EXPECTED.json

EXPECTED.json (written by tests/test_results_file.cpp) lists the axes, extra dimensions,
variables, global attributes and the points that were written, each with its status, message
and values (null for a missing value). Every point not listed must read as never run.

Exit status: 0 when every check passes, 1 when one fails (all failures are printed), 77 when
xarray, h5netcdf, netCDF4 or h5py is not installed.
"""

import json
import math
import sys

try:
    import h5netcdf  # noqa: F401  (the engines xarray uses below)
    import h5py
    import netCDF4  # noqa: F401
    import numpy as np
    import xarray as xr
except ImportError as error:
    print(f"missing Python module: {error}", file=sys.stderr)
    sys.exit(77)

FAILURES = []


def check(condition, what):
    if not condition:
        FAILURES.append(what)


def same_values(actual, expected):
    """Exact comparison; NaN equals NaN."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        return False
    if actual.dtype.kind in "fc" or expected.dtype.kind in "fc":
        return bool(np.array_equal(actual.astype(float), expected.astype(float), equal_nan=True))
    return bool(np.array_equal(actual, expected))


def as_str(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def main(path, expected_path):
    with open(expected_path, encoding="utf-8") as f:
        spec = json.load(f)
    axes = spec["axes"]
    extra = spec["extra_dims"]
    variables = spec["variables"]
    axis_names = [a["name"] for a in axes]
    grid_shape = tuple(len(a["values"]) for a in axes)
    sizes = {a["name"]: len(a["values"]) for a in axes}
    sizes.update({e["name"]: e["size"] for e in extra})

    # What the whole file should hold: fill everywhere, then the written points.
    status = np.zeros(grid_shape, dtype=np.int8)
    messages = np.full(grid_shape, "", dtype=object)
    data = {}
    for v in variables:
        extra_shape = tuple(sizes[d] for d in v["dims"] if d not in axis_names)
        data[v["name"]] = np.full(grid_shape + extra_shape, np.nan)
    for p in spec["points"]:
        index = tuple(int(i) for i in p["index"])
        status[index] = p["status"]
        messages[index] = p["message"]
        for name, values in p["values"].items():
            flat = data[name][index].reshape(-1)
            flat[: len(values)] = [math.nan if x is None else x for x in values]
            data[name][index] = flat.reshape(data[name][index].shape)

    for engine in ("h5netcdf", "netcdf4"):
        def check_in(condition, what, engine=engine):
            check(condition, f"[{engine}] {what}")

        ds = xr.open_dataset(path, engine=engine)
        ds.load()

        # Dimensions and coordinate variables.
        check_in(set(ds.dims) == set(sizes), f"dimensions {dict(ds.dims)} != {sizes}")
        for name, size in sizes.items():
            check_in(ds.dims.get(name) == size, f"dimension {name}: size {ds.dims.get(name)} != {size}")
        for a in axes:
            name = a["name"]
            check_in(name in ds.coords, f"axis {name} is not a coordinate")
            if name not in ds.coords:
                continue
            coord = ds[name]
            check_in(coord.dims == (name,), f"coordinate {name} has dims {coord.dims}")
            values = coord.values
            if a["kind"] == "str":
                check_in(all(isinstance(x, str) for x in values), f"coordinate {name}: not str: {values!r}")
                check_in(list(values) == a["values"], f"coordinate {name}: {list(values)} != {a['values']}")
            elif a["kind"] == "int":
                check_in(values.dtype == np.int64, f"coordinate {name}: dtype {values.dtype} != int64")
                check_in(same_values(values, a["values"]), f"coordinate {name}: {values} != {a['values']}")
            else:
                check_in(values.dtype == np.float64, f"coordinate {name}: dtype {values.dtype}")
                check_in(same_values(values, a["values"]), f"coordinate {name}: {values} != {a['values']}")
            check_in(coord.attrs.get("long_name") == a["long_name"],
                  f"coordinate {name}: long_name {coord.attrs.get('long_name')!r}")
            if a["units"]:
                check_in(coord.attrs.get("units") == a["units"],
                         f"coordinate {name}: units {coord.attrs.get('units')!r} != {a['units']!r}")
            else:
                check_in("units" not in coord.attrs, f"coordinate {name}: has units {coord.attrs.get('units')!r}")
        for e in extra:
            name = e["name"]
            check_in(name in ds.coords, f"extra dimension {name} has no coordinate")
            if name in ds.coords:
                check_in(same_values(ds[name].values, np.arange(e["size"])),
                      f"coordinate {name}: {ds[name].values}")
                check_in(ds[name].values.dtype == np.int64, f"coordinate {name}: {ds[name].dtype}")
                check_in(ds[name].attrs.get("long_name") == e["long_name"],
                      f"coordinate {name}: long_name {ds[name].attrs.get('long_name')!r}")
                check_in(ds[name].attrs.get("units") == e["units"],
                      f"coordinate {name}: units {ds[name].attrs.get('units')!r}")

        # Data variables: dims, attributes, decoded values (fill values become NaN).
        for v in variables:
            name = v["name"]
            check_in(name in ds.data_vars, f"variable {name} missing")
            if name not in ds.data_vars:
                continue
            var = ds[name]
            check_in(var.dims == tuple(v["dims"]), f"variable {name}: dims {var.dims} != {v['dims']}")
            check_in(var.attrs.get("long_name") == v["long_name"], f"variable {name}: long_name")
            check_in(var.attrs.get("units") == v["units"], f"variable {name}: units")
            # Masking fill values turns integers into floats (int8 into float32).
            decoded = {"f64": np.float64, "i64": np.float64, "i8": np.float32}[v["type"]]
            check_in(var.dtype == decoded, f"variable {name}: decoded dtype {var.dtype} != {decoded}")
            expected_fill = {"f64": math.nan, "i64": -1, "i8": -127}[v["type"]]
            fill = var.encoding.get("_FillValue")
            check_in(fill is not None and same_values(fill, expected_fill),
                  f"variable {name}: _FillValue {fill!r} != {expected_fill!r}")
            check_in(same_values(var.values, data[name]),
                  f"variable {name}: values\n{var.values}\n!= expected\n{data[name]}")

        check_in("status" in ds.data_vars, "variable status missing")
        if "status" in ds.data_vars:
            st = ds["status"]
            check_in(st.dims == tuple(axis_names), f"status: dims {st.dims}")
            check_in(st.dtype == np.int8, f"status: dtype {st.dtype} (masked as missing?)")
            check_in(same_values(st.attrs.get("flag_values"), np.array([0, 1, 2, 3], dtype=np.int8)),
                  f"status: flag_values {st.attrs.get('flag_values')!r}")
            check_in(np.asarray(st.attrs.get("flag_values")).dtype == np.int8, "status: flag_values type")
            check_in(st.attrs.get("flag_meanings") == "not_run ok failed skipped",
                  f"status: flag_meanings {st.attrs.get('flag_meanings')!r}")
            check_in(same_values(st.values, status), f"status: {st.values} != {status}")

        check_in("message" in ds.data_vars, "variable message missing")
        if "message" in ds.data_vars:
            msg = ds["message"]
            check_in(msg.dims == tuple(axis_names), f"message: dims {msg.dims}")
            actual = np.vectorize(as_str, otypes=[object])(msg.values)
            check_in(all(isinstance(x, str) for x in msg.values.flat), "message: not decoded to str")
            check_in(np.array_equal(actual, messages), f"message: {actual} != {messages}")

        for key, value in spec["attributes"].items():
            actual = ds.attrs.get(key)
            same_type = isinstance(actual, str) == isinstance(value, str)
            check_in(same_type and actual == value, f"global attribute {key}: {actual!r} != {value!r}")
        for key in ("Conventions", "source", "references"):
            check_in(isinstance(ds.attrs.get(key), str), f"global attribute {key}: {ds.attrs.get(key)!r}")
        check_in("arXiv:2410.23126" in str(ds.attrs.get("references")), "references: no arXiv number")
        check_in(int(ds.attrs.get("hopcap_format_version", -1)) == spec["format_version"],
              f"hopcap_format_version {ds.attrs.get('hopcap_format_version')!r}")
        ds.close()

    # The same file through h5py: dimension scales, storage, raw fill values.
    with h5py.File(path, "r") as f:
        for name in sizes:
            check(f[name].attrs.get("CLASS") == b"DIMENSION_SCALE", f"{name}: not a dimension scale")
            check(as_str(f[name].attrs.get("NAME")) == name, f"{name}: scale NAME")
        for a in axes:
            if a["kind"] == "str":
                check(h5py.check_string_dtype(f[a["name"]].dtype).length is None,
                      f"{a['name']}: labels are not variable-length strings")
        for v in variables + [{"name": "status", "dims": axis_names},
                              {"name": "message", "dims": axis_names}]:
            ds5 = f[v["name"]]
            check(ds5.chunks is None and ds5.compression is None,
                  f"{v['name']}: not contiguous and unfiltered")
            check(ds5.id.get_offset() is not None, f"{v['name']}: storage not allocated")
            for k, dim in enumerate(v["dims"]):
                scales = [s.name for s in ds5.dims[k].values()]
                check(scales == ["/" + dim], f"{v['name']}: dimension {k} scales {scales}")
        check(f["status"].fillvalue == 0, "status: fill value")
        info = h5py.check_string_dtype(f["message"].dtype)
        check(info is not None and info.length is None and info.encoding == "utf-8",
              "message: not a variable-length UTF-8 string")
        check(all(len(m or b"") <= spec["message_length"] for m in f["message"][...].flat),
              "message: longer than message_length bytes")
        for v in variables:
            raw = f[v["name"]].fillvalue
            if v["type"] == "f64":
                check(math.isnan(raw), f"{v['name']}: HDF5 fill value {raw}")
            else:
                expected = {"i64": -1, "i8": -127}[v["type"]]
                check(raw == expected, f"{v['name']}: HDF5 fill value {raw}")
                check(f[v["name"]].attrs["_FillValue"].dtype == f[v["name"]].dtype,
                      f"{v['name']}: _FillValue type differs from the variable")
        check(f.attrs["hopcap_format_version"] == spec["format_version"], "format version (h5py)")

    if FAILURES:
        for failure in FAILURES:
            print("FAIL:", failure)
        return 1
    print(f"{path}: all checks passed")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
