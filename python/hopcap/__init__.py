"""Analysis of hopcap results files: reading, tidy tables, capacities, figures and bounds.

    import hopcap
    ds = hopcap.open_run("runs/tiny.h5")      # xarray.Dataset, points that are not ok masked
    hopcap.to_frame(ds)                        # pandas DataFrame, one row per ok point
    hopcap.capacity(ds)                        # M* per point, its bound and the Prop 3.1 capacity
    fig = hopcap.figures.capacity_vs_dphi(ds)  # a matplotlib Figure
    hopcap.bounds.code_bounds(3, 12)           # `hopcap bounds --dim 3 --count 12`
"""
from . import bounds, figures
from .capacity import capacity, capacity_frame, grid_capacity, pooled_success
from .errors import BinaryNotFound, BoundsUnavailable, FigureSkipped, HopcapError, RunFileError
from .figure_set import FigureResult, drawn_figures, make_figures
from .plotting import caption_of, save
from .run import (STATUS_NAMES, default_delta, failures, file_mode, grid_dims, open_run, open_runs, run_config,
                  status_counts, to_frame)

__version__ = "0.1.0"
__all__ = [
    "bounds", "figures", "capacity", "capacity_frame", "grid_capacity", "pooled_success", "BinaryNotFound",
    "BoundsUnavailable", "FigureSkipped", "HopcapError", "RunFileError", "FigureResult", "drawn_figures",
    "make_figures", "caption_of", "save", "STATUS_NAMES", "default_delta", "failures", "file_mode", "grid_dims",
    "open_run", "open_runs", "run_config", "status_counts", "to_frame",
]
