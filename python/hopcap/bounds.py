"""Spherical-code bounds, evaluated by the hopcap program (`hopcap bounds`), never in Python.

    code_bounds(dim, count)      bounds on the minimal angle and separation of `count` points
                                 on the unit sphere of R^dim
    angle_bounds(dim, angle_deg) bounds on how many points of R^dim's unit sphere can keep a
                                 minimal angle of `angle_deg`

Both return the JSON object the program prints (None where a bound does not apply). The
program is found by `find_binary`: the `binary` argument, else the HOPCAP environment
variable, else build/hopcap of the source tree or of the working directory, else `hopcap`
on PATH.
"""
from __future__ import annotations

import functools
import json
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

from .errors import BinaryNotFound, BoundsUnavailable

SOURCE_TREE = Path(__file__).resolve().parent.parent.parent
TIMEOUT_S = 60


def find_binary(binary=None) -> str:
    """The path of the hopcap program (see the module's description for the search order)."""
    if binary is not None:
        path = Path(binary)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise BinaryNotFound(f"{binary}: not an executable hopcap program")
        return str(path)
    from_env = os.environ.get("HOPCAP")
    if from_env:
        if not (Path(from_env).is_file() and os.access(from_env, os.X_OK)):
            raise BinaryNotFound(f"HOPCAP={from_env}: not an executable hopcap program")
        return from_env
    for candidate in (SOURCE_TREE / "build" / "hopcap", Path.cwd() / "build" / "hopcap"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    on_path = shutil.which("hopcap")
    if on_path:
        return on_path
    raise BinaryNotFound("no hopcap program: pass its path, set HOPCAP, build it into build/hopcap, "
                         "or put it on PATH")


@functools.lru_cache(maxsize=None)
def _has_bounds_command(binary: str) -> bool:
    try:
        done = subprocess.run([binary, "bounds", "--help"], capture_output=True, text=True, timeout=TIMEOUT_S,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    # A program without the command prints its general help for `bounds --help`, also with
    # exit status 0: only a usage line of the bounds command itself counts.
    return done.returncode == 0 and re.search(r"^Usage: \S*hopcap bounds\b", done.stdout, re.M) is not None


def has_bounds_command(binary=None) -> bool:
    """Whether the hopcap program has the bounds command (`hopcap bounds --help` exits with 0
    and prints the command's usage)."""
    try:
        return _has_bounds_command(find_binary(binary))
    except BinaryNotFound:
        return False


@functools.lru_cache(maxsize=4096)
def _query(binary: str, arguments: tuple) -> str:
    if not _has_bounds_command(binary):
        raise BoundsUnavailable(f"{binary} has no 'bounds' command ('hopcap bounds --help' does not describe it): build a "
                                "hopcap with the bounds command to evaluate the spherical-code bounds")
    command = [binary, "bounds", *arguments]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BoundsUnavailable(f"{' '.join(command)}: {error}") from error
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit status {done.returncode}"
        raise BoundsUnavailable(f"{' '.join(command)}: {reason}")
    return done.stdout


def _run(binary, arguments) -> dict:
    text = _query(find_binary(binary), tuple(arguments))
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise BoundsUnavailable(f"hopcap bounds {' '.join(arguments)} printed no JSON object ({error})") from error


def _positive_int(name, value) -> int:
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def code_bounds(dim, count, binary=None) -> dict:
    """`hopcap bounds --dim D --count M`: bounds on the minimal angle (`min_angle_deg`) and the
    separation 1 - cos (`separation`) of the best code of M points on the sphere of R^D, the
    KL asymptotic rate, and the best lower and upper bound (`best_lower`, `best_upper`)."""
    arguments = ("--dim", str(_positive_int("dim", dim)), "--count", str(_positive_int("count", count)))
    return _run(binary, arguments)


def angle_bounds(dim, angle_deg, binary=None) -> dict:
    """`hopcap bounds --dim D --angle THETA`: bounds on log2 of the number of points of R^D's
    unit sphere with minimal angle THETA degrees (`log2_count`: csw_lower, kl_upper_asymptotic,
    levenshtein_upper, rankin_upper) and the asymptotic rates (`rate`: csw_lower, kl_upper)."""
    angle = float(angle_deg)
    if not (math.isfinite(angle) and 0 < angle <= 180):
        raise ValueError(f"angle_deg must lie in (0, 180], got {angle_deg!r}")
    return _run(binary, ("--dim", str(_positive_int("dim", dim)), "--angle", repr(angle)))


def best_log2_count_upper(bounds: dict):
    """The smallest finite upper bound on log2(number of points) among the finite-dimension
    bounds of an angle_bounds() answer (Levenshtein, Rankin); None when neither applies. The KL
    bound is asymptotic (its o(1) terms are dropped) and is not used as a finite bound."""
    values = [bounds["log2_count"].get(k) for k in ("levenshtein_upper", "rankin_upper")]
    values = [v for v in values if v is not None and math.isfinite(v)]
    return min(values) if values else None
