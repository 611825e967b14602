#!/usr/bin/python3
"""The hopcap Python package (python/hopcap) on files written by the hopcap program.

Usage: test_package.py HOPCAP   (exit 77: the Python dependencies are missing)

A grid run with ok, failed and skipped points is made once; reading, masking, the tidy table,
the capacities, the figures and the report are compared with what h5py and numpy compute here
independently from the raw file. The spherical-code bounds themselves are checked by
test_bounds.py, which needs the program's bounds command.
"""
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
try:
    import h5py
    import numpy as np
    import xarray  # noqa: F401
    import h5netcdf  # noqa: F401
    import matplotlib  # noqa: F401
except ImportError as missing:
    print(f"SKIP: /usr/bin/python3 cannot import {missing.name}; on Debian: apt-get install python3-h5py "
          "python3-numpy python3-xarray python3-h5netcdf python3-matplotlib")
    sys.exit(77)

sys.path.insert(0, str(ROOT / "python"))
import hopcap  # noqa: E402
from hopcap import figures, landscape, report  # noqa: E402
from hopcap.plotting import BOUND_LABELS  # noqa: E402

HOPCAP = None
WORK = None


def run_sweep(name, *settings):
    """A sweep of tests/data/tiny.toml into WORK/name.h5 (one rank, no mpiexec needed)."""
    path = WORK / f"{name}.h5"
    command = [HOPCAP, "run", str(ROOT / "tests" / "data" / "tiny.toml"), "-o", str(path), "--overwrite"]
    for setting in settings:
        command += ["--set", setting]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if done.returncode != 0:
        raise RuntimeError(f"hopcap run failed: {done.stderr}")
    return path


def raw(path, name):
    with h5py.File(path, "r") as f:
        return f[name][...]


def raw_axes(path):
    with h5py.File(path, "r") as f:
        status = f["status"]
        return [status.dims[i][0].name.lstrip("/") for i in range(status.ndim)]


def setUpModule():
    global WORK, MIXED, CAPACITY
    WORK = Path(tempfile.mkdtemp(prefix="hopcap-python-"))
    rows = np.random.default_rng(1).standard_normal((20, 8))
    np.savetxt(WORK / "queries.txt", rows)
    # ok points; khm_identity at Dphi 16 > d = 8 skipped; data queries from 20 rows fail at M = 40.
    MIXED = run_sweep("mixed", 'sweep.model=["mhm","khm_uhop","khm_identity"]', "sweep.M=[4,8,40]",
                      "sweep.Dphi=[2,4,16]", "sweep.beta=[8.0]", 'sweep.sep=["softmax"]', "uhop.iters=30",
                      f'sweep.query=["angle:20","data:text:{WORK}/queries.txt"]')
    CAPACITY = run_sweep("capacity", "capacity.enabled=true", "capacity.M_min=2", "capacity.M_max=32",
                         "sweep.Dphi=[2,4]", "sweep.beta=[8.0]", 'sweep.sep=["softmax"]', "uhop.iters=20")


def tearDownModule():
    shutil.rmtree(WORK, ignore_errors=True)


def with_variable_length_messages(source, target):
    """A copy of source whose `message` is a variable-length string (the netCDF-C readable form)."""
    shutil.copyfile(source, target)
    with h5py.File(target, "r+") as f:
        old = f["message"]
        axes = [old.dims[i][0].name for i in range(old.ndim)]
        texts = np.vectorize(lambda b: b.rstrip(b"\0").decode(), otypes=[object])(old[...])
        attrs = {k: v for k, v in old.attrs.items() if k not in ("DIMENSION_LIST", "_Encoding")}
        for i, axis in enumerate(axes):
            old.dims[i].detach_scale(f[axis])
        del f["message"]
        new = f.create_dataset("message", data=texts, dtype=h5py.string_dtype("utf-8"))
        for i, axis in enumerate(axes):
            new.dims[i].attach_scale(f[axis])
        for k, v in attrs.items():
            new.attrs[k] = v
    return target


class Reading(unittest.TestCase):
    def test_statuses_decoded_and_points_that_are_not_ok_masked(self):
        ds = hopcap.open_run(MIXED)
        status = raw(MIXED, "status")
        self.assertTrue((status == 1).any() and (status == 2).any() and (status == 3).any(), "the run lacks a kind")
        np.testing.assert_array_equal(ds["status"].values, status)
        names = {0: "not_run", 1: "ok", 2: "failed", 3: "skipped"}
        np.testing.assert_array_equal(ds["status_name"].values, np.vectorize(names.get)(status))
        success = raw(MIXED, "success_rate")
        # hopcap writes what it measured before the status; masked, only the ok values remain.
        np.testing.assert_array_equal(np.isfinite(ds["success_rate"].values), (status == 1) & np.isfinite(success))
        np.testing.assert_array_equal(ds["success_rate"].values[status == 1], success[status == 1])
        histogram = ds["metastable_histogram"].values
        self.assertTrue(np.isnan(histogram[status != 1]).all())
        unmasked = hopcap.open_run(MIXED, mask=False)
        self.assertEqual(int(np.isfinite(unmasked["queries"].values).sum()), int(np.isfinite(raw(MIXED, "queries")).sum()))

    def test_fixed_and_variable_length_messages_read_alike(self):
        status = raw(MIXED, "status")
        expected = [m.rstrip(b"\0").decode() for m in raw(MIXED, "message")[status == 2]]
        self.assertTrue(all("20 rows" in m for m in expected), expected[:1])
        variable = with_variable_length_messages(MIXED, WORK / "vlen.h5")
        with h5py.File(variable, "r") as f:
            self.assertTrue(h5py.check_string_dtype(f["message"].dtype).length is None)
        for path in (MIXED, variable):
            ds = hopcap.open_run(path)
            self.assertEqual(list(ds["message"].values[status == 2]), expected, path.name)
            self.assertTrue(all(m == "" for m in ds["message"].values[status == 1]), path.name)
            failed = hopcap.failures(ds)
            self.assertEqual([(m, n) for m, n, _ in failed], [(expected[0], len(expected))])
            self.assertEqual(failed[0][2]["M"], 40)

    def test_missing_and_foreign_files_give_one_line_errors(self):
        with self.assertRaisesRegex(hopcap.RunFileError, "no such file"):
            hopcap.open_run(WORK / "absent.h5")
        (WORK / "text.h5").write_text("not hdf5\n")
        with self.assertRaisesRegex(hopcap.RunFileError, "not a readable hopcap results file"):
            hopcap.open_run(WORK / "text.h5")

    def test_to_frame_has_one_row_per_ok_point(self):
        ds = hopcap.open_run(MIXED)
        frame = hopcap.to_frame(ds)
        status = raw(MIXED, "status")
        self.assertEqual(len(frame), int((status == 1).sum()))
        self.assertTrue((frame["status_name"] == "ok").all())
        for axis in raw_axes(MIXED):
            self.assertIn(axis, frame.columns)
        self.assertNotIn("metastable_histogram", frame.columns)
        queries = raw(MIXED, "queries")[status == 1]
        self.assertEqual(sorted(frame["queries"]), sorted(queries))
        everything = hopcap.to_frame(ds, ["success_rate"], only_ok=False)
        self.assertEqual(len(everything), status.size)
        with self.assertRaisesRegex(hopcap.RunFileError, "no_such_variable"):
            hopcap.to_frame(ds, ["no_such_variable"])


class Capacity(unittest.TestCase):
    def test_grid_capacity_against_numpy(self):
        ds = hopcap.open_run(MIXED)
        delta = 0.05
        result = hopcap.capacity(ds, delta)
        axes = raw_axes(MIXED)
        status, success, queries = raw(MIXED, "status"), raw(MIXED, "success_rate"), raw(MIXED, "queries")
        m_values = raw(MIXED, "M")
        ok = status == 1
        weight = np.where(ok, queries, 0.0)
        pooled_axis = axes.index("replica")
        with np.errstate(invalid="ignore"):
            pooled = np.where(ok, success * queries, 0.0).sum(pooled_axis) / weight.sum(pooled_axis)
        pooled = np.moveaxis(pooled, axes.index("M"), -1)
        rest = [a for a in axes if a not in ("M", "replica")]
        checked = 0
        for index in np.ndindex(pooled.shape[:-1]):
            curve = pooled[index]
            have = np.isfinite(curve)
            got = result["capacity"].sel(dict(zip(rest, [result[a].values[i] for a, i in zip(rest, index)])))
            bound = result["bound"].sel(dict(zip(rest, [result[a].values[i] for a, i in zip(rest, index)])))
            if not have.any():
                self.assertTrue(np.isnan(float(got)))
                continue
            passing = m_values[have & (curve >= 1 - delta)]
            if passing.size == 0:
                expected, code = m_values[have].min() - 1, -1
            else:
                expected = passing.max()
                code = 1 if expected == m_values[have].max() else 0
            self.assertEqual(float(got), expected, index)
            self.assertEqual(float(bound), code, index)
            checked += 1
        self.assertGreater(checked, 4)

    def test_grid_capacity_angle_is_the_feature_angle_at_the_capacity(self):
        ds = hopcap.open_run(MIXED)
        result = hopcap.capacity(ds)
        angles = ds["feature_min_angle_deg"]
        for _, row in hopcap.capacity_frame(ds).iterrows():
            if row["model"] == "mhm" or row["bound"] == -1:
                self.assertTrue(math.isnan(row["angle_deg"]) or row["model"] != "mhm")
                continue
            at = {a: row[a] for a in result["capacity"].dims}
            expected = float(angles.sel(at).sel(M=int(row["capacity"])).min("replica"))
            self.assertEqual(row["angle_deg"], expected)

    def test_capacity_file_values_are_the_file_values(self):
        ds = hopcap.open_run(CAPACITY)
        result = hopcap.capacity(ds)
        status = raw(CAPACITY, "status")
        np.testing.assert_array_equal(result["capacity"].values[status == 1], raw(CAPACITY, "capacity")[status == 1])
        np.testing.assert_array_equal(result["bound"].values[status == 1], raw(CAPACITY, "capacity_bound")[status == 1])
        self.assertEqual(result.attrs["delta"], hopcap.default_delta(ds))


class PerReplica(unittest.TestCase):
    """Capacity files searched per replica, and files of one experiment combined along model."""

    @classmethod
    def setUpClass(cls):
        common = ("capacity.enabled=true", "capacity.per_replica=true", "capacity.M_min=2", "capacity.M_max=32",
                  "sweep.Dphi=[2,4]", "sweep.beta=[8.0]", 'sweep.sep=["softmax"]', 'sweep.query=["feature_angle:20"]')
        cls.baselines = run_sweep("baselines", *common, 'sweep.model=["khm_random","mhm"]', "sweep.replicas=3")
        cls.learned = run_sweep("learned", *common, 'sweep.model=["khm_identity"]', "sweep.replicas=1")

    def test_a_replica_axis_and_the_spread_over_it(self):
        self.assertEqual(raw_axes(self.baselines)[-1], "replica")
        result = hopcap.capacity(hopcap.open_run(self.baselines))
        self.assertIn("replica", result["capacity"].dims)
        from hopcap.capacity import over_replicas
        pooled = over_replicas(result)
        cap, status = raw(self.baselines, "capacity"), raw(self.baselines, "status")
        cap = np.where(status == 1, cap, np.nan)
        axes = raw_axes(self.baselines)[:-1]  # the file's axes but replica, in file order

        def as_file(name):
            return pooled[name].transpose(*axes).values

        np.testing.assert_allclose(as_file("capacity"), np.nanmean(cap, axis=-1))
        np.testing.assert_array_equal(as_file("capacity_low"), np.nanmin(cap, axis=-1))
        np.testing.assert_array_equal(as_file("capacity_high"), np.nanmax(cap, axis=-1))
        # The bounds' angle: the smallest code angle over the replicas, KHMs only.
        angle = np.where(status == 1, raw(self.baselines, "min_angle_at_capacity_deg"), np.nan)
        models = [m.decode() if isinstance(m, bytes) else str(m) for m in raw(self.baselines, "model")]
        got = as_file("angle_deg")
        khm = models.index("khm_random")
        np.testing.assert_array_equal(got[:, :, :, :, :, khm], np.nanmin(angle, axis=-1)[:, :, :, :, :, khm])
        self.assertTrue(np.isnan(got[:, :, :, :, :, models.index("mhm")]).all())

    def test_files_of_one_experiment_combine_along_model(self):
        ds = hopcap.open_runs([self.learned, self.baselines])
        self.assertEqual(sorted(str(m) for m in ds["model"].values), ["khm_identity", "khm_random", "mhm"])
        self.assertEqual(ds.sizes["replica"], 3)
        learned = ds.sel(model="khm_identity")
        self.assertTrue((learned["status"].sel(replica=[1, 2]) == 0).all())
        alone = hopcap.open_run(self.learned)
        np.testing.assert_array_equal(learned["capacity"].sel(replica=0).values,
                                      alone["capacity"].sel(model="khm_identity", replica=0).values)
        with self.assertRaisesRegex(hopcap.RunFileError, "differ in axis query|combine along model"):
            hopcap.open_runs([self.learned, CAPACITY])
        with self.assertRaisesRegex(hopcap.RunFileError, "a model appears in two"):
            hopcap.open_runs([self.baselines, self.baselines])

    def test_the_capacity_figure_draws_the_spread_and_no_point_above_its_bound(self):
        ds = hopcap.open_runs([self.learned, self.baselines])
        fig = figures.capacity_vs_dphi(ds, binary=HOPCAP, notes=[])
        caption = hopcap.caption_of(fig)
        self.assertIn("per replica (3 replicas)", caption.replace("Series searched ", ""))
        bars = [c for ax in fig.axes for c in ax.collections if type(c).__name__ == "LineCollection"]
        self.assertTrue(bars, "no error bars drawn")
        if hopcap.bounds.has_bounds_command(HOPCAP):
            self.assertIn("measured smallest feature angle", caption)
            self.assertEqual(fig.hopcap_above_upper, 0)

    def test_the_report_gives_the_mean_and_spread_over_replicas(self):
        text, _ = report.build_report(self.baselines, WORK / "per_replica.md", WORK / "per_replica_figures",
                                      draw=False)
        status = raw(self.baselines, "status")
        cap = np.where(status == 1, raw(self.baselines, "capacity"), np.nan)
        models = [m.decode() if isinstance(m, bytes) else str(m) for m in raw(self.baselines, "model")]
        # Axis order: d, Dphi, beta, sep, query, model, memories, replica; one d, beta, sep, query, memories.
        row = next(line for line in text.splitlines() if line.startswith("| khm_random |"))
        cells = [c.strip() for c in row.strip("|").split("|")][-2:]  # D_Phi = 2 and 4
        for cell, values in zip(cells, cap[0, :, 0, 0, 0, models.index("khm_random"), 0, :]):
            values = values[np.isfinite(values)]
            if values.min() == values.max():
                self.assertTrue(cell.endswith(str(int(values[0]))), (cell, values))
            else:
                self.assertIn(f"{values.mean():.3g} ({int(values.min())}–{int(values.max())})", cell)
        self.assertIn("| replica |", text)

    def test_success_curves_one_per_replica_in_their_series_style(self):
        ds = hopcap.open_run(self.baselines)
        fig = figures.success_vs_m(ds, notes=[])
        legend_texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
        self.assertFalse(any("replica" in t for t in legend_texts), legend_texts)
        probe_m = raw(self.baselines, "probe_M")
        status = raw(self.baselines, "status")
        models = [m.decode() if isinstance(m, bytes) else str(m) for m in raw(self.baselines, "model")]
        k = models.index("khm_random")
        # Axis order: d, Dphi, beta, sep, query, model, memories, replica, capacity_probe.
        expected = sum(1 for dphi in range(probe_m.shape[1]) for r in range(probe_m.shape[7])
                       if status[0, dphi, 0, 0, 0, k, 0, r] == 1 and np.isfinite(probe_m[0, dphi, 0, 0, 0, k, 0, r]).any())
        panel = next(ax for ax in fig.axes if "khm_random" in ax.get_title())
        # Data curves carry markers; the threshold line has none.
        drawn = [line for line in lines_of(panel) if line.get_marker() not in ("None", "", None)]
        self.assertEqual(len(drawn), expected)
        styles = {(line.get_color(), line.get_marker()) for line in drawn}
        self.assertEqual(len(styles), len({d for d in range(probe_m.shape[1])
                                           if (status[0, d, 0, 0, 0, k, 0, :] == 1).any()}))

    def test_make_figures_of_several_files_records_them_all(self):
        out = WORK / "combined"
        results = hopcap.make_figures([self.learned, self.baselines], out, binary=HOPCAP)
        self.assertIn("capacity_vs_dphi", {r.name for r in results if r.paths})
        manifest = (out / "hopcap_figures.json").read_text(encoding="utf-8")
        self.assertIn(f"{self.learned.resolve()} + {self.baselines.resolve()}", manifest)
        linked = hopcap.drawn_figures([self.learned, self.baselines], out)
        self.assertTrue(any(r.paths for r in linked))
        # The same folder is not the figures of one of the files alone.
        self.assertFalse(any(r.paths for r in hopcap.drawn_figures(self.baselines, out)))


class Bounds(unittest.TestCase):
    def test_binary_search_order(self):
        saved = os.environ.get("HOPCAP")
        try:
            os.environ["HOPCAP"] = str(WORK / "no-such-program")
            with self.assertRaisesRegex(hopcap.BinaryNotFound, "HOPCAP="):
                hopcap.bounds.find_binary()
            self.assertEqual(hopcap.bounds.find_binary(HOPCAP), HOPCAP)  # the argument comes first
            os.environ["HOPCAP"] = HOPCAP
            self.assertEqual(hopcap.bounds.find_binary(), HOPCAP)
        finally:
            if saved is None:
                os.environ.pop("HOPCAP", None)
            else:
                os.environ["HOPCAP"] = saved
        with self.assertRaisesRegex(hopcap.BinaryNotFound, "not an executable"):
            hopcap.bounds.find_binary(WORK / "queries.txt")

    def test_a_program_without_the_command_is_named_in_the_error(self):
        if hopcap.bounds.has_bounds_command(HOPCAP):
            self.skipTest("this hopcap has the bounds command: test_bounds.py checks it")
        with self.assertRaisesRegex(hopcap.BoundsUnavailable, "no 'bounds' command"):
            hopcap.bounds.code_bounds(3, 12, HOPCAP)
        with self.assertRaisesRegex(hopcap.BoundsUnavailable, "no 'bounds' command"):
            hopcap.bounds.angle_bounds(3, 60.0, HOPCAP)

    def test_bad_arguments_are_refused_before_running(self):
        for dim, count in ((0, 3), (3, 0), (2.5, 3), (True, 3)):
            with self.assertRaises(ValueError):
                hopcap.bounds.code_bounds(dim, count, HOPCAP)
        for angle in (0.0, -1.0, 181.0, float("nan")):
            with self.assertRaises(ValueError):
                hopcap.bounds.angle_bounds(3, angle, HOPCAP)


def lines_of(ax):
    return [line for line in ax.get_lines() if len(line.get_xdata()) > 0]


class Figures(unittest.TestCase):
    def check_paper_figure(self, fig):
        # No caption, title or other free text inside the image: captions go to the report.
        self.assertEqual(fig.texts, [])
        self.assertIsNone(fig._suptitle)
        self.assertTrue(hopcap.caption_of(fig))

    def test_capacity_vs_dphi(self):
        ds = hopcap.open_run(MIXED)
        notes = []
        fig = figures.capacity_vs_dphi(ds, delta=0.05, binary=HOPCAP, notes=notes)
        self.check_paper_figure(fig)
        legend_texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
        series = [t for t in legend_texts if t.startswith("model")]
        self.assertEqual(len(series), 3, legend_texts)  # mhm, khm_uhop, khm_identity; beta does not vary
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            labels = [t.get_text() for t in ax.get_xticklabels()]
            self.assertTrue(labels and all(label.lstrip("−-").isdigit() for label in labels), labels)
            ticks = [tick for tick in ax.get_xticks() if ax.get_xlim()[0] <= tick <= ax.get_xlim()[1]]
            self.assertTrue(set(ticks) <= {2, 4, 16}, ticks)
            low, high = ax.get_ylim()
            y_labels = [t.get_text() for tick, t in zip(ax.get_yticks(), ax.get_yticklabels())
                        if low <= tick <= high and t.get_text()]
            self.assertTrue(all(label.isdigit() for label in y_labels), y_labels)
            # Every data curve distinguishable: no two series share colour and line style.
            data = [(line.get_color(), str(line.get_linestyle())) for line in lines_of(ax)
                    if line.get_linestyle() not in ("None", "none", "")]
            self.assertGreaterEqual(len(data), 2)
        censored = hopcap.capacity(ds, 0.05)["bound"]
        for code in (1, -1):
            if (censored == code).any():
                self.assertIn(BOUND_LABELS[code], legend_texts)
        if not hopcap.bounds.has_bounds_command(HOPCAP):
            self.assertTrue(any("no 'bounds' command" in n for n in notes), notes)
            self.assertIn("not drawn", hopcap.caption_of(fig))

    def test_every_standard_figure_in_pdf_and_png_and_stale_ones_removed(self):
        out = WORK / "standard"
        out.mkdir()
        (out / "hopcap_figures.json").write_text('{"figures": [{"name": "old", "files": ["old.png"]}]}')
        (out / "old.png").write_bytes(b"stale")
        results = hopcap.make_figures(MIXED, out, binary=HOPCAP)
        self.assertEqual([r.name for r in results], list(figures.STANDARD_NAMES))
        for r in results:
            self.assertEqual(r.error, "", r.name)
            self.assertEqual([p.suffix for p in r.paths], [".pdf", ".png"], r.name)
            self.assertEqual(r.pdf.read_bytes()[:5], b"%PDF-")
            self.assertEqual(r.png.read_bytes()[:8], b"\x89PNG\r\n\x1a\n")
        self.assertFalse((out / "old.png").exists(), "a figure of an earlier drawing was left behind")
        capacity_results = hopcap.make_figures(CAPACITY, out, binary=HOPCAP)
        made = {r.name for r in capacity_results if r.paths}
        self.assertEqual(made, {"capacity_vs_dphi", "success_vs_M"})
        for name in set(figures.STANDARD_NAMES) - made:
            self.assertFalse((out / f"{name}.png").exists(), f"{name}.png of the other run left behind")

    def test_success_vs_m_gives_each_curve_its_own_style(self):
        fig = figures.success_vs_m(hopcap.open_run(MIXED))
        self.check_paper_figure(fig)
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            styles = [(line.get_color(), line.get_marker(), str(line.get_linestyle())) for line in lines_of(ax)
                      if line.get_marker() not in ("None", "none", "")]
            self.assertEqual(len(styles), len(set(styles)), styles)
            self.assertTrue(all(t.get_text().isdigit() for t in ax.get_xticklabels() if t.get_text()))

    def test_figures_skip_with_a_reason(self):
        ds = hopcap.open_run(CAPACITY)
        for draw in (figures.delta_min_uhop, figures.metastable_sizes, figures.uhop_traces):
            with self.assertRaisesRegex(hopcap.FigureSkipped, "capacity files"):
                draw(ds)

    def test_landscape_figures_have_colour_keys(self):
        path = WORK / "land.h5"
        subprocess.run([HOPCAP, "landscape", "--M", "3", "--seed", "4", "--snapshots", "0,5", "--grid", "24",
                        "--out", str(path)], check=True, capture_output=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
        land = landscape.open_landscape(path)
        panels = len(land.step) * len(land.maps)
        # A key per energy panel (each map its own energy scale), one for the basins (colours name memories).
        for draw, count in ((landscape.energy_figure, panels), (landscape.basins_figure, 1)):
            fig = draw(land)
            self.check_paper_figure(fig)
            keys = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
            self.assertEqual(len(keys), count, draw.__name__)
        basins = landscape.basins_figure(land)
        key = [ax for ax in basins.axes if ax.get_label() == "<colorbar>"][0]
        self.assertEqual([t.get_text() for t in key.get_yticklabels()], ["none", "1", "2", "3"])


class Report(unittest.TestCase):
    def test_report_links_only_figures_of_its_own_run(self):
        figures_dir = WORK / "report-figures"
        text, results = report.build_report(MIXED, WORK / "mixed.md", figures_dir, draw=True, binary=HOPCAP)
        self.assertIn("](report-figures/capacity_vs_dphi.png)", text)
        self.assertIn("(report-figures/capacity_vs_dphi.pdf)", text)
        self.assertIn(hopcap.caption_of(figures.success_vs_m(hopcap.open_run(MIXED))).replace("*", "\\*"), text)
        linked, _ = report.build_report(MIXED, WORK / "mixed.md", figures_dir, draw=False)
        self.assertIn("](report-figures/capacity_vs_dphi.png)", linked)
        # The same folder holds figures of another run: a report of that run must not link them.
        other, other_results = report.build_report(CAPACITY, WORK / "capacity.md", figures_dir, draw=False)
        self.assertNotIn(".png)", other)
        self.assertIn("drawn from another run", other)
        self.assertTrue(all(not r.paths for r in other_results))
        # Other options than the figures were drawn with: not linked either.
        other_delta, _ = report.build_report(MIXED, WORK / "mixed.md", figures_dir, draw=False, delta=0.2)
        self.assertNotIn(".png)", other_delta)
        self.assertIn("other options", other_delta)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: test_package.py HOPCAP [unittest arguments]")
    HOPCAP = str(Path(sys.argv.pop(1)).resolve())
    unittest.main(verbosity=2)
