#!/usr/bin/python3
"""hopcap.bounds against exact mathematics, through the program's bounds command.

Usage: test_bounds.py HOPCAP   (exit 77: the program has no bounds command, or the Python
dependencies are missing)

- the asymptotic rates of `hopcap bounds --angle` equal the values tabulated in
  ../shared/anchors.md (section 2.3) for the Chabauty-Shannon-Wyner and Kabatiansky-Levenshtein
  bounds;
- the Fejes Toth bound is attained by the triangle, tetrahedron, octahedron and icosahedron;
- every best-known code of Sloane's table on S^2 (../shared/spherical-codes, when present)
  lies between the best lower and upper bounds on its angle;
- the capacity figure draws the bounds at the measured angle of each learned code, and no
  capacity exceeds its upper bound (the learned features at M* are such a code).
"""
import math
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
try:
    import numpy as np
    import xarray  # noqa: F401
    import h5netcdf  # noqa: F401
    import matplotlib  # noqa: F401
except ImportError as missing:
    print(f"SKIP: /usr/bin/python3 cannot import {missing.name}")
    sys.exit(77)
sys.path.insert(0, str(ROOT / "python"))
import hopcap  # noqa: E402
from hopcap import figures  # noqa: E402

HOPCAP = None
SHARED = Path(os.environ.get("HOPCAP_SHARED_DIR", ROOT.parent / "shared"))
ANGLE_KEYS = {"prop31_lower", "prop31_upper", "csw_lower", "levenshtein_upper", "rankin_upper", "fejes_toth_upper"}


class AngleBounds(unittest.TestCase):
    def test_rates_equal_the_tabulated_values(self):
        for degrees, csw, kl in ((10, 2.52576, 2.92126), (45, 0.5, 0.78678), (60, 0.20752, 0.40100),
                                 (70, 0.08974, 0.20625)):
            answer = hopcap.bounds.angle_bounds(16, degrees, HOPCAP)
            self.assertEqual(answer["dim"], 16)
            self.assertAlmostEqual(answer["angle_deg"], degrees, places=12)
            self.assertEqual(set(answer["log2_count"]),
                             {"csw_lower", "kl_upper_asymptotic", "levenshtein_upper", "rankin_upper"})
            self.assertAlmostEqual(answer["rate"]["csw_lower"], csw, delta=1e-5, msg=degrees)
            self.assertAlmostEqual(answer["rate"]["kl_upper"], kl, delta=1e-5, msg=degrees)


class CountBounds(unittest.TestCase):
    def test_fejes_toth_is_attained_by_the_tight_codes(self):
        exact = {3: 120.0, 4: math.degrees(math.acos(-1 / 3)), 6: 90.0, 12: math.degrees(math.atan(2))}
        for count, angle in exact.items():
            answer = hopcap.bounds.code_bounds(3, count, HOPCAP)
            self.assertEqual((answer["dim"], answer["count"]), (3, count))
            self.assertEqual(set(answer["min_angle_deg"]), ANGLE_KEYS)
            self.assertEqual(set(answer["separation"]), ANGLE_KEYS)
            self.assertAlmostEqual(answer["min_angle_deg"]["fejes_toth_upper"], angle, delta=1e-7, msg=count)
            separation = answer["separation"]["fejes_toth_upper"]
            self.assertAlmostEqual(separation, 1 - math.cos(math.radians(angle)), delta=1e-9, msg=count)
            self.assertLessEqual(answer["best_upper"]["angle_deg"], angle + 1e-7)
            self.assertGreaterEqual(answer["best_upper"]["angle_deg"], angle - 1e-7)

    def test_best_known_codes_lie_between_the_bounds(self):
        table = SHARED / "spherical-codes" / "tammes_dim3_best_known.csv"
        if not table.is_file():
            self.skipTest(f"{table} is absent (set HOPCAP_SHARED_DIR)")
        from hopcap.separation import read_codes

        codes = read_codes(table)
        self.assertGreater(len(codes), 100)
        for count in sorted(codes)[::7]:
            answer = hopcap.bounds.code_bounds(3, count, HOPCAP)
            low, high = answer["best_lower"]["angle_deg"], answer["best_upper"]["angle_deg"]
            self.assertLessEqual(low, codes[count] + 1e-6, count)
            self.assertGreaterEqual(high, codes[count] - 1e-6, count)


class CapacityFigure(unittest.TestCase):
    def test_bounds_at_the_measured_angle_and_never_beaten(self):
        with tempfile.TemporaryDirectory() as work:
            path = Path(work) / "grid.h5"
            subprocess.run([HOPCAP, "run", str(ROOT / "tests" / "data" / "tiny.toml"), "-o", str(path),
                            "--set", "sweep.M=[4,8,16]", "--set", "sweep.Dphi=[2,3,4]", "--set", 'sweep.sep=["softmax"]',
                            "--set", "uhop.iters=30"], check=True, capture_output=True,
                           env={**os.environ, "OMP_NUM_THREADS": "1"})
            ds = hopcap.open_run(path)
            fig = figures.capacity_vs_dphi(ds, delta=0.1, binary=HOPCAP)
            self.assertEqual(fig.hopcap_above_upper, 0)
            self.assertIn("at the measured smallest feature angle", hopcap.caption_of(fig))
            frame = hopcap.capacity_frame(ds, 0.1)
            frame = frame[(frame["model"] != "mhm") & np.isfinite(frame["angle_deg"])]
            self.assertGreater(len(frame), 0)
            for _, row in frame.iterrows():
                upper = hopcap.bounds.best_log2_count_upper(
                    hopcap.bounds.angle_bounds(int(row["Dphi"]), row["angle_deg"], HOPCAP))
                self.assertLessEqual(math.log2(row["capacity"]), upper + 1e-9)
            drawn = {round(float(y), 9) for ax in fig.axes for line in ax.get_lines() if line.get_marker() == "_"
                     for y in line.get_ydata()}
            expected = {round(2.0 ** hopcap.bounds.best_log2_count_upper(
                hopcap.bounds.angle_bounds(int(r["Dphi"]), r["angle_deg"], HOPCAP)), 9) for _, r in frame.iterrows()}
            self.assertEqual(drawn, expected)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: test_bounds.py HOPCAP [unittest arguments]")
    HOPCAP = str(Path(sys.argv.pop(1)).resolve())
    if not hopcap.bounds.has_bounds_command(HOPCAP):
        print(f"SKIP: {HOPCAP} has no bounds command ('hopcap bounds --help' does not describe it); these tests run "
              "once it exists")
        sys.exit(77)
    unittest.main(verbosity=2)
