#!/usr/bin/python3
"""Opens a hopcap run file exactly as a user would and checks what the docs promise."""
import sys

import h5py
import numpy as np
import xarray as xr

path = sys.argv[1]
ds = xr.open_dataset(path, engine="h5netcdf")
axes = ["d", "M", "Dphi", "beta", "sep", "query", "model", "memories", "replica"]
assert ds["success_rate"].dims == tuple(axes), ds["success_rate"].dims
assert list(ds["M"].values) == [16, 40], ds["M"].values
assert list(ds["model"].values) == ["mhm", "khm_uhop"], ds["model"].values
assert list(ds["sep"].values) == ["softmax", "entmax15"], ds["sep"].values
assert ds["uhop_loss_trace"].dims == tuple(axes) + ("uhop_iteration",)
assert ds["metastable_histogram"].dims == tuple(axes) + ("metastable_size",)
for name in ("success_rate", "delta_min", "feature_delta_min", "uhop_loss_trace"):
    assert "long_name" in ds[name].attrs and "units" in ds[name].attrs, name
assert (ds["status"].values == 1).all(), "every point ran"
# Label-based selection works without extra code; the MHM has no feature-space values and the
# U-Hop+ model has a loss curve.
khm = ds["feature_delta_min"].sel(model="khm_uhop")
mhm = ds["feature_delta_min"].sel(model="mhm")
assert np.isfinite(khm.values).all() and np.isnan(mhm.values).all()
assert np.isfinite(ds["uhop_loss_trace"].sel(model="khm_uhop").values).all()
# The MHM result is the same at every D_Phi (one run fills the row).
s = ds["success_rate"].sel(model="mhm")
assert (s.isel(Dphi=0) == s.isel(Dphi=1)).all()
with h5py.File(path, "r") as f:
    for key in ("config", "retrieval_precision", "uhop_precision", "git_sha", "mpi_ranks", "hdf5_library", "blas_threading", "start_time", "end_time"):
        assert key in f.attrs, key
print("xarray and h5py read the file as documented")
