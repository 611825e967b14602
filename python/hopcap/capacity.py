"""Capacity M* per point: searched (capacity files) or read off the M grid (grid files).

Bound codes, as in capacity files (`capacity_bound`): 0 bracketed (a failing M lies above
M*), 1 success still held at the largest M (M* is a lower bound on the capacity), -1 success
failed already at the smallest M (M* = that M - 1, an upper bound).
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from .errors import RunFileError
from .run import default_delta, file_mode, ok

BRACKETED, LOWER_BOUND, UPPER_BOUND = 0, 1, -1
BOUND_NAMES = {BRACKETED: "bracketed", LOWER_BOUND: "lower bound", UPPER_BOUND: "upper bound"}


def _ok_only(ds, name):
    return ds[name].where(ok(ds))


def keep_one_mhm_dphi(da: xr.DataArray, status_dims) -> xr.DataArray:
    """The MHM does not depend on D_Phi: hopcap fills every Dphi of an MHM row with the same
    values. Keeps only the first Dphi with data for the MHM, so that pooling over D_Phi counts
    each MHM result once."""
    if "model" not in da.dims or "Dphi" not in da.dims or da.sizes["Dphi"] < 2:
        return da
    valid = da.notnull()
    extra = [d for d in valid.dims if d not in status_dims]
    if extra:
        valid = valid.any(extra)
    first_valid = valid & (valid.cumsum("Dphi") == 1)
    is_mhm = da["model"] == "mhm"
    return da.where(~is_mhm | first_valid)


def pooled_success(ds: xr.Dataset) -> xr.DataArray:
    """Grid files: success rate per point pooled over the replicas that completed (weighted by
    their query counts), the way the capacity search pools them."""
    for name in ("success_rate", "queries"):
        if name not in ds:
            raise RunFileError(f"the file has no {name}")
    rate = _ok_only(ds, "success_rate")
    if "replica" not in rate.dims:
        return rate
    queries = _ok_only(ds, "queries").where(rate.notnull())
    return (rate * queries).sum("replica", min_count=1) / queries.sum("replica", min_count=1)


def grid_capacity(pooled: xr.DataArray, delta: float):
    """Grid files: (capacity, bound), the largest grid M whose pooled success is >= 1 - delta."""
    has_data = pooled.notnull()
    any_data = has_data.any("M")
    m = pooled["M"].astype(float)
    largest_pass = m.where(pooled >= 1.0 - delta).max("M")
    largest_probed = m.where(has_data).max("M")
    smallest_probed = m.where(has_data).min("M")
    bound = xr.where(largest_pass.isnull(), float(UPPER_BOUND),
                     xr.where(largest_pass >= largest_probed, float(LOWER_BOUND), float(BRACKETED)))
    capacity = largest_pass.fillna(smallest_probed - 1)
    return capacity.where(any_data), bound.where(any_data)


def capacity(ds: xr.Dataset, delta=None) -> xr.Dataset:
    """The capacity of every point of the axes other than M and replica.

    Variables: `capacity` (M*), `bound` (the codes above), `theory` (the Proposition 3.1
    capacity the file records: `capacity_prop31`, or a grid file's `theoretical_capacity`) and
    `angle_deg`: the smallest angle between two features (KHMs) at M = M*, the smallest over
    the replicas (capacity files: `min_angle_at_capacity_deg`). A capacity file of
    capacity.per_replica keeps its `replica` axis: one M* per replica. `delta`: success >= 1 - delta counts (default: the
    capacity file's own delta, 0.01 for grid files)."""
    if delta is None:
        delta = default_delta(ds)
    if file_mode(ds) == "capacity":
        if "capacity" not in ds or "capacity_bound" not in ds:
            raise RunFileError("the capacity file has no capacity or capacity_bound")
        out = xr.Dataset({"capacity": _ok_only(ds, "capacity"), "bound": _ok_only(ds, "capacity_bound")})
        if "capacity_prop31" in ds:
            out["theory"] = _ok_only(ds, "capacity_prop31")
        if "min_angle_at_capacity_deg" in ds:
            # The KHMs' codes; the MHM's angle is that of its raw memories, in dimension d.
            angle = _ok_only(ds, "min_angle_at_capacity_deg")
            out["angle_deg"] = angle.where(ds["model"] != "mhm") if "model" in ds.dims else angle
        out.attrs["delta"] = delta
        return out
    if "M" not in ds.dims:
        raise RunFileError("the grid file has no M axis")
    cap, bound = grid_capacity(pooled_success(ds), delta)
    out = xr.Dataset({"capacity": cap, "bound": bound})
    pooled_dims = [d for d in ("M", "replica") if d in ds.dims]
    if "theoretical_capacity" in ds:
        # Independent of M (the Prop 3.1 separation at the capacity), so any M will do.
        out["theory"] = _ok_only(ds, "theoretical_capacity").max(pooled_dims)
    if "feature_min_angle_deg" in ds:
        angle = _ok_only(ds, "feature_min_angle_deg")
        out["angle_deg"] = angle.where(ds["M"] == cap).min(pooled_dims)
    out.attrs["delta"] = delta
    return out


def over_replicas(result: xr.Dataset) -> xr.Dataset:
    """capacity() with its `replica` axis (capacity.per_replica files) reduced: `capacity` the
    mean M* over the replicas with a value, `capacity_low` and `capacity_high` their least and
    largest, `replicas` how many, `bound` bracketed only where every replica is bracketed (else
    lower bound if any replica reached M_max, else upper bound), `angle_deg` the smallest (the
    upper bound at the smallest angle holds for every replica's code) and `theory` any (it does
    not depend on the replica). Without a replica axis: capacity_low = capacity_high = capacity."""
    if "replica" not in result.dims:
        out = result.copy()
        out["capacity_low"] = result["capacity"]
        out["capacity_high"] = result["capacity"]
        out["replicas"] = result["capacity"].notnull().astype(float).where(result["capacity"].notnull())
        return out
    cap, bound = result["capacity"], result["bound"]
    have = cap.notnull()
    out = xr.Dataset({
        "capacity": cap.mean("replica"),
        "capacity_low": cap.min("replica"),
        "capacity_high": cap.max("replica"),
        "replicas": have.sum("replica").where(have.any("replica")).astype(float),
    })
    all_bracketed = (bound == BRACKETED).where(have).fillna(True).all("replica")
    any_lower = (bound == LOWER_BOUND).any("replica")
    out["bound"] = xr.where(all_bracketed, float(BRACKETED),
                            xr.where(any_lower, float(LOWER_BOUND), float(UPPER_BOUND))).where(have.any("replica"))
    if "angle_deg" in result:
        out["angle_deg"] = result["angle_deg"].min("replica")
    if "theory" in result:
        out["theory"] = result["theory"].max("replica")
    out.attrs = dict(result.attrs)
    return out


def capacity_frame(ds: xr.Dataset, delta=None):
    """capacity() as a tidy pandas DataFrame, one row per point with a capacity, with the bound
    also as text (`bound_name`)."""
    table = capacity(ds, delta).to_dataframe().reset_index()
    table = table[np.isfinite(table["capacity"])].reset_index(drop=True)
    table["bound_name"] = [BOUND_NAMES.get(int(b), "?") for b in table["bound"]]
    return table


