"""What the float32 accuracy gates share (tests/sweep/float32_accuracy.sh and
uhop_float32_accuracy.sh): reading a run file's precision attributes and the success-rate
criterion. Two runs agree at a point when

    |p32 − p64| ≤ 3·sqrt(p(1 − p)/n) + 1/n,   p = (p32 + p64)/2, n = the point's queries,

three standard errors of a rate of n queries, plus one query."""
import numpy as np


def text(value):
    """An HDF5 string attribute as str (h5py gives bytes or str by how it was written)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def same_points(a, b):
    """Both files ran every point and gave the same status everywhere."""
    assert np.array_equal(a["status"][...], b["status"][...]), "status differs"
    assert (a["status"][...] == 1).all(), "some points did not run"


def rate_gaps(a, b):
    """(gap, allowed, n) per point for the success rates of files a (float64) and b (float32)."""
    p64, p32, n = a["success_rate"][...], b["success_rate"][...], a["queries"][...]
    assert np.array_equal(n, b["queries"][...]), "query counts differ"
    p = (p64 + p32) / 2
    return np.abs(p32 - p64), 3 * np.sqrt(p * (1 - p) / n) + 1 / n, n
