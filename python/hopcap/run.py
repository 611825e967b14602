"""Reading a results file of `hopcap run` into an xarray Dataset (docs/output-format.md)."""
from __future__ import annotations

import os
from pathlib import Path

# A sweep that is still running holds the HDF5 file lock; reading must not need it. HDF5 reads
# the variable when it opens a file, so setting it before the first open is enough.
os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from .errors import RunFileError  # noqa: E402

STATUS_NOT_RUN, STATUS_OK, STATUS_FAILED, STATUS_SKIPPED = 0, 1, 2, 3
STATUS_NAMES = {STATUS_NOT_RUN: "not_run", STATUS_OK: "ok", STATUS_FAILED: "failed", STATUS_SKIPPED: "skipped"}
DEFAULT_GRID_DELTA = 0.01


def _text(value) -> str:
    """A message cell as text: fixed-length strings arrive as null-padded bytes, variable-length
    ones as str (or bytes, depending on the reader's string decoding)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).rstrip("\0")


def _scalar(value):
    return value.item() if hasattr(value, "item") else value


def _decode_messages(ds: xr.Dataset) -> xr.Dataset:
    if "message" not in ds:
        return ds
    message = ds["message"]
    values = np.vectorize(_text, otypes=[object])(message.values) if message.size else message.values.astype(object)
    ds["message"] = message.copy(data=values)
    return ds


def _decode_status(ds: xr.Dataset) -> xr.Dataset:
    status = ds["status"]
    codes = np.asarray(status.values)
    if np.issubdtype(codes.dtype, np.floating):
        codes = np.nan_to_num(codes, nan=STATUS_NOT_RUN)
    codes = codes.astype(np.int8)
    meanings = str(status.attrs.get("flag_meanings", "")).split()
    flags = np.atleast_1d(status.attrs.get("flag_values", []))
    names = dict(STATUS_NAMES)
    if len(meanings) == len(flags):
        names.update({int(f): m for f, m in zip(flags, meanings)})
    ds["status"] = status.copy(data=codes)
    labels = np.vectorize(lambda c: names.get(int(c), f"status {int(c)}"), otypes=[object])(codes) if codes.size \
        else codes.astype(object)
    ds["status_name"] = (status.dims, labels, {"long_name": "point status, decoded"})
    return ds


def _mask(ds: xr.Dataset) -> xr.Dataset:
    """Every numeric variable over the grid axes set to NaN where the point is not ok."""
    ok = ds["status"] == STATUS_OK
    grid = set(ds["status"].dims)
    for name, variable in ds.data_vars.items():
        if name in ("status", "status_name", "message"):
            continue
        if grid <= set(variable.dims) and np.issubdtype(variable.dtype, np.number):
            ds[name] = variable.where(ok)
    return ds


def open_run(path, mask: bool = True) -> xr.Dataset:
    """The results file at `path` as an in-memory xarray Dataset.

    `status` holds the codes (0 not_run, 1 ok, 2 failed, 3 skipped), `status_name` their names
    and `message` the failure messages as str (fixed- or variable-length strings in the file).
    With `mask` (the default), every numeric variable over the grid axes is NaN at points whose
    status is not ok, so failed, skipped and unfinished points never enter a statistic."""
    path = Path(path)
    if not path.is_file():
        raise RunFileError(f"{path}: no such file")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            ds = ds.load()
    except (OSError, ValueError) as error:
        raise RunFileError(f"{path}: not a readable hopcap results file ({error})") from error
    if "status" not in ds:
        raise RunFileError(f"{path}: no status variable (not a file written by hopcap run)")
    ds = _decode_status(ds)
    ds = _decode_messages(ds)
    if mask:
        ds = _mask(ds)
    ds.attrs.setdefault("source", str(path))
    ds.encoding["source"] = str(path)
    return ds


def open_runs(paths, mask: bool = True) -> xr.Dataset:
    """Several results files of one experiment that differ only in their models (e.g. a
    trained model in one file and cheap baselines with more replicas in another) as one
    Dataset, concatenated along `model`: the same mode, the same values of every other axis
    except `replica` (points a file lacks are not run, so they never enter a statistic) and,
    for capacity files, the same capacity.delta. One path is open_run. The identifying
    attributes of the files are joined, so figures drawn from the set know which files made it."""
    paths = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    if not paths:
        raise RunFileError("no results file given")
    runs = [open_run(p, mask) for p in paths]
    if len(runs) == 1:
        return runs[0]
    first, where = runs[0], paths[0]
    for ds, path in zip(runs[1:], paths[1:]):
        if file_mode(ds) != file_mode(first):
            raise RunFileError(f"{path} is a {file_mode(ds)} file, {where} a {file_mode(first)} file: not one experiment")
        if set(grid_dims(ds)) != set(grid_dims(first)) or "model" not in grid_dims(ds):
            raise RunFileError(f"{path} has the axes {list(grid_dims(ds))}, {where} {list(grid_dims(first))}: "
                               "files combine along model only")
        for axis in grid_dims(ds):
            if axis not in ("model", "replica") and not np.array_equal(ds[axis].values, first[axis].values):
                raise RunFileError(f"{path} and {where} differ in axis {axis}: files combine along model only")
        if default_delta(ds) != default_delta(first):
            raise RunFileError(f"{path} and {where} were searched at different capacity.delta")
    models = [str(m) for ds in runs for m in ds["model"].values]
    if len(set(models)) != len(models):
        raise RunFileError(f"a model appears in two of the files ({', '.join(map(str, paths))}): each model once")
    combined = xr.concat(runs, dim="model", join="outer", data_vars="all", coords="different",
                         combine_attrs="override", fill_value={"status": STATUS_NOT_RUN})
    # Points a file does not hold (its missing replicas) are not run.
    combined["status"] = combined["status"].fillna(STATUS_NOT_RUN).astype(np.int8)
    combined["status_name"] = combined["status_name"].where(combined["status_name"].notnull(),
                                                           STATUS_NAMES[STATUS_NOT_RUN])
    for key in ("title", "mode", "hopcap_version", "git_sha", "command_line", "config", "start_time", "end_time",
                "run_state", "configurations_run", "configurations_failed"):
        values = [str(ds.attrs.get(key, "")) for ds in runs]
        combined.attrs[key] = values[0] if key in ("mode", "title") else "\n---\n".join(values)
    combined.attrs["config"] = first.attrs.get("config", "")  # run_config reads the first file's settings
    combined.attrs["combined_config"] = "\n---\n".join(str(ds.attrs.get("config", "")) for ds in runs)
    combined.attrs["source"] = " + ".join(str(p) for p in paths)
    return combined


def file_mode(ds: xr.Dataset) -> str:
    """'grid' or 'capacity'; files written before the attribute existed are grid files."""
    return str(ds.attrs.get("mode", "grid"))


def grid_dims(ds: xr.Dataset) -> tuple:
    """The grid axes (the dimensions of `status`), in file order."""
    return tuple(ds["status"].dims)


def run_config(ds: xr.Dataset) -> dict:
    """The effective config stored in the file, parsed; {} when absent or unreadable."""
    text = str(ds.attrs.get("config", ""))
    if not text:
        return {}
    try:
        import tomllib  # Python >= 3.11
    except ImportError:  # pragma: no cover - older Pythons
        try:
            import tomli as tomllib
        except ImportError:
            return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def default_delta(ds: xr.Dataset) -> float:
    """A capacity file was searched at its own delta; grid files have none, so 0.01."""
    if file_mode(ds) == "capacity":
        return float(run_config(ds).get("capacity", {}).get("delta", DEFAULT_GRID_DELTA))
    return DEFAULT_GRID_DELTA


def ok(ds: xr.Dataset) -> xr.DataArray:
    """True at the points whose status is ok."""
    return ds["status"] == STATUS_OK


def status_counts(ds: xr.Dataset) -> dict:
    """{status name: number of points}, every status listed."""
    codes = np.asarray(ds["status"].values).ravel()
    return {name: int((codes == code).sum()) for code, name in STATUS_NAMES.items()}


def failures(ds: xr.Dataset) -> list:
    """[(message, number of points, first point as {axis: value})] of the failed points, the
    most frequent message first."""
    status = np.asarray(ds["status"].values)
    dims = grid_dims(ds)
    grouped = {}
    for index in np.argwhere(status == STATUS_FAILED):
        index = tuple(index)
        text = ds["message"].values[index] if "message" in ds else ""
        grouped.setdefault(_text(text) or "(no message)", []).append(index)
    rows = []
    for message, points in sorted(grouped.items(), key=lambda item: -len(item[1])):
        first = {d: _scalar(ds[d].values[i]) for d, i in zip(dims, points[0])}
        rows.append((message, len(points), first))
    return rows


def to_frame(ds: xr.Dataset, variables=None, only_ok: bool = True):
    """A tidy pandas DataFrame: one row per grid point, one column per axis and per variable.

    `variables` defaults to every numeric variable over exactly the grid axes (variables with an
    extra dimension, such as histograms and traces, are left out; name them to get one row per
    extra index). With `only_ok`, only the points whose status is ok are kept."""
    dims = grid_dims(ds)
    if variables is None:
        variables = [n for n, v in ds.data_vars.items()
                     if tuple(v.dims) == dims and np.issubdtype(v.dtype, np.number) and n != "status"]
    variables = list(variables)
    missing = [v for v in variables if v not in ds]
    if missing:
        raise RunFileError(f"the file has no {', '.join(missing)}")
    columns = list(dict.fromkeys(["status", "status_name"] + variables + (["message"] if "message" in ds else [])))
    frame = ds[columns].to_dataframe().reset_index()
    if only_ok:
        frame = frame[frame["status"] == STATUS_OK].drop(columns=["message"], errors="ignore")
    return frame.reset_index(drop=True)
