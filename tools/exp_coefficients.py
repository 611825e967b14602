#!/usr/bin/python3
"""Minimax coefficients of the vector exponential's polynomial (src/kernels/exp.cpp).

p(r) = 1 + c1 r + ... + cn r^n approximates e^r on |r| <= ln2/2 (the Cody-Waite reduction's
interval) with the smallest largest relative error |p(r) - e^r| / e^r; c0 = 1 exactly, so
that exp(0) = 1 stays exact. Remez exchange in 60-digit arithmetic (mpmath), then the
coefficients rounded to the working precision (double or float) and the relative error of
the rounded polynomial measured again on a fine grid (exact arithmetic, no evaluation rounding).

Usage: tools/exp_coefficients.py DEGREE {double,float}
"""
import re
import struct
import sys

import mpmath as mp

mp.mp.dps = 60


def remez(degree, a, iterations=30):
    # Start from Chebyshev points of the second kind; n unknown coefficients plus the level E.
    m = degree + 1
    points = [a * mp.cos(mp.pi * (m - 1 - i) / (m - 1)) for i in range(m)]
    coeffs, level = None, None
    for _ in range(iterations):
        rows = [[x**k for k in range(1, degree + 1)] + [(-1)**i * mp.sign(x) * mp.exp(x)] for i, x in enumerate(points)]
        rhs = [mp.exp(x) - 1 for x in points]
        solution = mp.lu_solve(mp.matrix(rows), mp.matrix(rhs))
        coeffs = [mp.mpf(1)] + [solution[k] for k in range(degree)]
        level = solution[degree]
        # New reference: the extrema of the error between its sign changes on a fine grid.
        grid = [-a + 2 * a * i / 6000 for i in range(6001)]
        err = [relative_error(coeffs, x) for x in grid]
        extrema = []
        start = 0
        for i in range(1, len(grid) + 1):
            if i == len(grid) or mp.sign(err[i]) != mp.sign(err[start]) and err[i] != 0:
                j = max(range(start, i), key=lambda t: abs(err[t]))
                extrema.append(grid[j])
                start = i
        extrema = [x for x in extrema if x != 0]
        if len(extrema) != m:
            break
        points = extrema
    return coeffs, abs(level)


def relative_error(coeffs, x):
    p = mp.mpf(0)
    for c in reversed(coeffs):
        p = p * x + c
    return (p - mp.exp(x)) / mp.exp(x)


def main():
    degree = int(sys.argv[1])
    precision = sys.argv[2]
    a = mp.log(2) / 2
    coeffs, level = remez(degree, a)
    if precision == "double":
        rounded = [mp.mpf(float(c)) for c in coeffs]
        shown = [float(c).hex() for c in rounded]
    else:
        rounded = [mp.mpf(struct.unpack("f", struct.pack("f", float(c)))[0]) for c in coeffs]
        shown = [re.sub(r"\.?0*p", "p", float(c).hex()) + "f" for c in rounded]
    worst = max(abs(relative_error(rounded, -a + 2 * a * i / 20000)) for i in range(20001))
    print(f"degree {degree}: minimax relative error {mp.nstr(level, 5)}, "
          f"with {precision} coefficients {mp.nstr(worst, 5)}")
    for k, c in enumerate(shown):
        print(f"  c{k} = {c}")


if __name__ == "__main__":
    main()
