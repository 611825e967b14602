#!/usr/bin/python3
"""Writes a SYNTHETIC capacity-mode file: test input for tools/plot.py and tools/report.py.

The numbers are made up (capacities growing like 2^(0.3 D_Phi), a few censored searches, one
failed, one skipped and one not-run point); they are not hopcap results. The layout follows
docs/output-format.md for capacity files (netCDF-4 compatible: dimension scales, fill values,
fixed-length UTF-8 attributes), so that the tools read it like a file hopcap writes.

Usage: make_synthetic_capacity_file.py OUT.h5
"""
import sys

import h5py
import numpy as np

AXES = {
    "d": np.array([16], dtype=np.int64),
    "Dphi": np.array([4, 8, 12, 16], dtype=np.int64),
    "beta": np.array([4.0, 16.0]),
    "sep": ["softmax", "entmax15"],
    "query": ["angle:20"],
    "model": ["mhm", "khm_uhop"],
    "memories": ["sphere"],
}
PROBES = 14
M_MIN, M_MAX, DELTA = 2, 4096, 0.05
MESSAGE_LENGTH = 160

CONFIG = f"""# SYNTHETIC test input for tools/plot.py and tools/report.py, not results
[sweep]
d = [16]
Dphi = [4, 8, 12, 16]
beta = [4.0, 16.0]
sep = ["softmax", "entmax15"]
query = ["angle:20"]
model = ["mhm", "khm_uhop"]
memories = ["sphere"]
replicas = 2
seed = 1

[capacity]
enabled = true
delta = {DELTA}
M_min = {M_MIN}
M_max = {M_MAX}
"""

ATTRIBUTES = {
    "title": "SYNTHETIC test input for tools/plot.py and tools/report.py (made-up numbers, not hopcap results)",
    "mode": "capacity",
    "Conventions": "CF-1.8",
    "hopcap_version": "synthetic",
    "git_sha": "0" * 40,
    "git_dirty": "false",
    "config": CONFIG,
    "command_line": "tests/tools/make_synthetic_capacity_file.py",
    "mpi_ranks": "1",
    "group_size": "1",
    "omp_threads_per_rank": "1",
    "omp_threads_chosen_by": "synthetic",
    "blas": "none (synthetic)",
    "blas_threading": "none",
    "mpi_library": "none (synthetic)",
    "hdf5_library": "none (synthetic)",
    "hosts": "synthetic",
    "start_time": "2000-01-01T00:00:00Z",
    "seeds": "synthetic",
    "end_time": "2000-01-01T00:00:01Z",
    "timings": "compute_seconds min 1 mean 1 max 1; wall_seconds min 1 mean 1 max 1",
    "configurations_run": "13",
    "configurations_failed": "1",
    "gflops_counted": "0",
}

VARIABLES = {
    "capacity": "largest M with retrieval success >= 1 - delta (replicas pooled)",
    "capacity_bound": "how capacity is bounded: -1 below M_min, 0 bracketed, 1 reached M_max",
    "success_at_capacity": "retrieval success at M = capacity",
    "success_above_capacity": "retrieval success at the smallest failing probe above capacity",
    "capacity_prop31": "largest M the well-separation condition allows at the Prop 3.1 optimal separation",
    "capacity_provable": "largest probed M at which the well-separation condition proves every memory stored",
    "probes": "number of probes of the search",
    "seconds": "wall time of the search",
}
PROBE_VARIABLES = {
    "probe_M": "M of each probe, in search order",
    "probe_success": "retrieval success of each probe (replicas pooled)",
    "probe_stored_fraction": "smallest provably stored fraction over the replicas at each probe",
}


def text_attribute(obj, name, value):
    data = value.encode("utf-8")
    obj.attrs.create(name, np.array(data, dtype=h5py.string_dtype("utf-8", max(len(data), 1))))


def success_at(m, capacity):
    """Made-up success curve: 1 up to the capacity, then falling."""
    return 1.0 if m <= capacity else max(0.0, 1.0 - DELTA - 0.3 * np.log2(m / capacity))


def search(capacity):
    """Probe sequence like hopcap's: doubling from M_MIN, then bisection."""
    probes, m = [], M_MIN
    while True:
        probes.append(m)
        if success_at(m, capacity) < 1 - DELTA or m == M_MAX:
            break
        m = min(2 * m, M_MAX)
    if success_at(probes[-1], capacity) < 1 - DELTA and len(probes) > 1:
        low, high = probes[-2], probes[-1]
        while high - low > 1:
            mid = (low + high) // 2
            probes.append(mid)
            low, high = (mid, high) if success_at(mid, capacity) >= 1 - DELTA else (low, mid)
    return probes


def main(path):
    names = list(AXES)
    shape = tuple(len(AXES[a]) for a in names)
    values = {name: np.full(shape, np.nan) for name in VARIABLES}
    probe_values = {name: np.full(shape + (PROBES,), np.nan) for name in PROBE_VARIABLES}
    status = np.ones(shape, dtype=np.int8)
    messages = np.zeros(shape, dtype=f"S{MESSAGE_LENGTH}")

    for index in np.ndindex(shape):
        point = {a: AXES[a][i] for a, i in zip(names, index)}
        beta = float(point["beta"])
        mhm = point["model"] == "mhm"
        dimension = 16 if mhm else int(point["Dphi"])  # the MHM works in d and ignores D_Phi
        exponent = 0.3 * dimension + (1.0 if beta > 8 else 0.0) + (0.5 if point["sep"] == "entmax15" else 0.0)
        true_capacity = int(round(2.0 ** exponent))
        if point["sep"] == "softmax" and beta < 8 and point["Dphi"] == 4 and not mhm:
            true_capacity = 1  # fails already at M_MIN
        if point["sep"] == "softmax" and beta > 8 and point["Dphi"] == 16 and not mhm:
            true_capacity = 10 ** 6  # still succeeds at M_MAX
        probes = search(true_capacity)
        passed = [m for m in probes if success_at(m, true_capacity) >= 1 - DELTA]
        failed = [m for m in probes if success_at(m, true_capacity) < 1 - DELTA]
        capacity = max(passed) if passed else M_MIN - 1
        bound = -1 if not passed else (1 if not failed else 0)
        values["capacity"][index] = capacity
        values["capacity_bound"][index] = bound
        values["success_at_capacity"][index] = success_at(capacity, true_capacity) if passed else np.nan
        values["success_above_capacity"][index] = success_at(min(failed), true_capacity) if failed else np.nan
        values["capacity_prop31"][index] = max(1, true_capacity // 3)
        values["capacity_provable"][index] = max(passed) // 2 if passed and max(passed) >= 4 else np.nan
        values["probes"][index] = len(probes)
        values["seconds"][index] = 0.01 * len(probes)
        for k, m in enumerate(probes[:PROBES]):
            probe_values["probe_M"][index + (k,)] = m
            probe_values["probe_success"][index + (k,)] = success_at(m, true_capacity)
            probe_values["probe_stored_fraction"][index + (k,)] = min(1.0, 4.0 / m)

    # One failed, one skipped and one never-run point: their values must not reach any figure.
    special = {(0, 3, 1, 1, 0, 1, 0): 2, (0, 2, 0, 0, 0, 1, 0): 3, (0, 1, 1, 0, 0, 1, 0): 0}
    for index, code in special.items():
        status[index] = code
        if code == 2:
            messages[index] = b"synthetic failure: out of memory"
        elif code == 3:
            messages[index] = b"excluded by sweep.filter"
        if code != 1:
            for array in values.values():
                array[index] = 1e9  # poison: a tool that ignores status would plot this
            probe_values["probe_M"][index] = np.nan

    with h5py.File(path, "w") as f:
        for name, text in ATTRIBUTES.items():
            text_attribute(f, name, text)
        f.attrs.create("hopcap_format_version", np.int32(1))
        for axis, coordinate in AXES.items():
            if isinstance(coordinate, list):
                dataset = f.create_dataset(axis, data=np.array(coordinate, dtype=object),
                                           dtype=h5py.string_dtype("utf-8"))
            else:
                dataset = f.create_dataset(axis, data=coordinate)
            dataset.make_scale(axis)
            text_attribute(dataset, "long_name", f"{axis} (synthetic)")
            text_attribute(dataset, "units", "1")
        probe_axis = f.create_dataset("capacity_probe", data=np.arange(PROBES, dtype=np.int64))
        probe_axis.make_scale("capacity_probe")
        text_attribute(probe_axis, "long_name", "probe of the capacity search")

        def attach(dataset, extra=False):
            for i, axis in enumerate(names):
                dataset.dims[i].attach_scale(f[axis])
            if extra:
                dataset.dims[len(names)].attach_scale(probe_axis)

        for name, long_name in {**VARIABLES, **PROBE_VARIABLES}.items():
            data = values.get(name, probe_values.get(name))
            dataset = f.create_dataset(name, data=data, fillvalue=np.nan)
            text_attribute(dataset, "long_name", long_name)
            text_attribute(dataset, "units", "s" if name == "seconds" else "1")
            dataset.attrs.create("_FillValue", np.float64(np.nan))
            attach(dataset, extra=name in PROBE_VARIABLES)
        dataset = f.create_dataset("status", data=status)
        text_attribute(dataset, "long_name", "status of the grid point")
        dataset.attrs.create("flag_values", np.array([0, 1, 2, 3], dtype=np.int8))
        text_attribute(dataset, "flag_meanings", "not_run ok failed skipped")
        attach(dataset)
        dataset = f.create_dataset("message", data=messages)
        text_attribute(dataset, "long_name", "failure message")
        text_attribute(dataset, "_Encoding", "utf-8")
        attach(dataset)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
