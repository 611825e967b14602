"""Bounded, seeded fuzzing of hopcap's inputs: mutated sweep configs (from tests/data/tiny.toml)
for `hopcap run` and garbage option values for every command.

Every case must end within the time limit with exit code 0, 1 or 2 (never a signal); a refused
case must print exactly one stderr line starting `hopcap: error:` and leave no file behind in
its (otherwise empty) working directory. Failing cases are printed with the exact input so they
can be rerun by hand; the exit code is 1 when any case failed.

Usage: fuzz_cli.py HOPCAP [--seed N] [--config-cases N] [--cli-cases N] [--budget SECONDS]
"""
import argparse
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TINY = Path(__file__).resolve().parent.parent / "data" / "tiny.toml"
CASE_TIMEOUT_S = 20

# Replacement values for a config key: wrong types, empty and nested containers, numbers that
# overflow 32 and 64 bits, negatives, non-finite floats, strings with bad specs.
CONFIG_VALUES = [
    '"garbage"', '""', "true", "1979-05-27", "[]", "[[]]", "{ a = 1 }", "[{ x = 1 }]",
    "0", "-1", "-7", "-9223372036854775808", "9223372036854775807", "18446744073709551616",
    "4294967297", "1e308", "-1e308", "nan", "inf", "-inf", "0.5",
    "[0]", "[-1]", "[-9223372036854775808]", "[9223372036854775807]", "[4294967297]",
    "[1e308]", "[nan]", "[inf]", '["garbage"]', '[""]', '["softmax", 3]', "[1, 2.5]",
    '["angle:-5"]', '["angle:1e300"]', '["gauss:1e300"]', '["gauss:-1"]', '["mask:2"]',
    '["entmax:1e308"]', '["text:/dev/null"]', '["text:/dev/zero"]', '["idx:/nonexistent"]',
    '"/dev/null"', '"/nonexistent/dir/out.h5"', '"."',
]
# Keys whose huge values are legitimate amounts of work (a valid config that runs for hours is
# not a bug): they get only the values that are not huge positive numbers.
WORK_COUNT_KEYS = {"replicas", "iters", "restarts", "queries_per_memory", "random_queries", "t_max"}
HUGE = re.compile(r"^\[?(9223372036854775807|18446744073709551616|4294967297|1e308)\]?$")

# Garbage option values for the command line.
CLI_VALUES = [
    "", " ", "abc", "-1", "0", "-0", "1e400", "-1e400", "nan", "inf", "-inf", "1e308",
    "9223372036854775807", "-9223372036854775808", "18446744073709551616", "4294967297",
    "0x10", "1:2:3", "angle:", "angle:nan", "angle:-1", "gauss:1e300", "mask:-1", "random:x",
    "entmax:", "entmax:nan", "text:", "text:/dev/null", "text:/dev/zero", "idx:/dev/null",
    "h5:/dev/null:W", "/dev/null", "/nonexistent/file", ".", "a,b,,c", "1,2,-3",
    "\u00e9\u00e8", "%s%n", "--help-all",
]
# Options of each command that take a value (flags are added at random without a value).
COMMANDS = {
    "codes": (["--input", "--format", "--dim", "--generate"], []),
    "retrieve": ([
        "--memories", "--d", "--M", "--seed", "--beta", "--sep", "--query", "--queries-per-memory",
        "--random-queries", "--t-max", "--tol", "--epsilon", "--block", "--feature-map",
        "--khm-scores", "--khm-space", "--Dphi", "--loss", "--tau", "--iters", "--batch",
    ], ["--scale-pixels", "--normalize", "--train-uhop", "--bias"]),
    "train": ([
        "--memories", "--d", "--M", "--seed", "--Dphi", "--loss", "--tau", "--tau-min", "--anneal",
        "--optimizer", "--lr", "--momentum", "--projection", "--init", "--iters", "--batch",
        "--plateau-window", "--plateau-tol", "--restarts", "--out",
    ], ["--bias", "--lr-follows-tau", "--normalize"]),
    "landscape": ([
        "--M", "--seed", "--snapshots", "--sep", "--beta", "--grid", "--margin", "--updates",
        "--capture-radius", "--out",
    ], []),
    "demo": (["--d", "--M", "--beta", "--query", "--seed"], []),
    "run": (["-o", "--set"], ["--resume", "--dry-run", "--print-config"]),
}
# Cases that always run first, one per class of input that has broken hopcap before (sizes that
# overflow, negative seeds, special files, huge query norms), so a seed change cannot drop them.
FIXED_CLI_CASES = [
    ["retrieve", "--M", "4294967297"],
    ["retrieve", "--d", "9223372036854775807"],
    ["retrieve", "--M", "16", "--seed", "-1"],
    ["demo", "--M", "16", "--d", "8", "--seed", "-5"],
    ["retrieve", "--M", "16", "--query", "gauss:1e300"],
    ["codes", "--input", "/dev/zero"],
    ["retrieve", "--memories", "text:/dev/zero"],
]
FIXED_CONFIG_REPLACEMENTS = [
    ("M", "[4294967297]"), ("M", "[9223372036854775807]"), ("d", "[4294967297]"),
    ("seed", "-1"), ("query", '["gauss:1e300"]'), ("memories", '["text:/dev/zero"]'),
]
# Arguments that keep a case small when the option itself is valid: the fuzzed option comes
# after them and overrides.
BASE_ARGS = {
    "codes": ["--generate", "icosahedron"],
    "retrieve": ["--M", "16", "--d", "8"],
    "train": ["--M", "16", "--d", "8", "--Dphi", "4", "--iters", "20"],
    "landscape": ["--M", "4", "--grid", "8", "--updates", "2", "--snapshots", "0", "--out", "l.h5"],
    "demo": ["--M", "16", "--d", "8"],
    "run": [],
}


def mutate_config(rng, text):
    """One to three mutations of the config text; returns (text, description)."""
    steps = []
    for _ in range(rng.randint(1, 3)):
        lines = text.splitlines()
        keyed = [i for i, line in enumerate(lines) if re.match(r"^\s*[A-Za-z_]+\s*=", line)]
        kind = rng.choice(["delete", "replace", "replace", "replace", "truncate", "drop_section",
                           "duplicate"])
        if kind == "truncate" and text:
            cut = rng.randrange(len(text))
            text = text[:cut]
            steps.append(f"truncate at byte {cut}")
            continue
        if kind == "drop_section":
            sections = [i for i, line in enumerate(lines) if line.startswith("[")]
            if sections:
                i = rng.choice(sections)
                steps.append(f"delete section line {lines[i]!r}")
                del lines[i]
                text = "\n".join(lines) + "\n"
            continue
        if not keyed:
            continue
        i = rng.choice(keyed)
        key = lines[i].split("=", 1)[0].strip()
        if kind == "delete":
            steps.append(f"delete {lines[i]!r}")
            del lines[i]
        elif kind == "duplicate":
            steps.append(f"duplicate {lines[i]!r}")
            lines.insert(i, lines[i])
        else:
            values = CONFIG_VALUES
            if key in WORK_COUNT_KEYS:
                values = [v for v in CONFIG_VALUES if not HUGE.match(v)]
            value = rng.choice(values)
            steps.append(f"{key} = {value}")
            lines[i] = f"{key} = {value}"
        text = "\n".join(lines) + "\n"
    return text, "; ".join(steps) or "no change"


def cli_case(rng):
    """A command line with one to three garbage option values (and maybe a flag)."""
    command = rng.choice(sorted(COMMANDS))
    options, flags = COMMANDS[command]
    args = [command] + BASE_ARGS[command]
    if command == "run":
        args.append(str(TINY))
    for _ in range(rng.randint(1, 3)):
        args += [rng.choice(options), rng.choice(CLI_VALUES)]
    if flags and rng.random() < 0.3:
        args.append(rng.choice(flags))
    return args


def cheap_uhop(text):
    """A mutation that drops tiny.toml's `method = "paper"` (a truncation, a deleted key) leaves a
    valid config whose U-Hop+ models train with the default search, legitimate work that takes
    longer than a case's time limit: such cases keep the published method from the command line.
    A mutated method value stays in the file and is parsed as written."""
    return [] if re.search(r"(?m)^method\s*=", text) else ["--set", 'uhop.method="paper"']


def run_case(hopcap, args, cwd, env):
    """Runs one case; returns (exit code or None on a timeout, list of problems)."""
    before = set(os.listdir(cwd))
    start = time.monotonic()
    try:
        proc = subprocess.run([hopcap] + args, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=CASE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, [f"did not finish within {CASE_TIMEOUT_S} s"]
    seconds = time.monotonic() - start
    rc = proc.returncode
    stderr = proc.stderr.decode("utf-8", "replace")
    problems = []
    if rc < 0 or rc >= 128:
        problems.append(f"killed by a signal (exit code {rc})")
    elif rc not in (0, 1, 2):
        problems.append(f"exit code {rc} (expected 0, 1 or 2)")
    if rc != 0:
        lines = [line for line in stderr.splitlines() if line.strip()]
        if len(lines) != 1 or not lines[0].startswith("hopcap: error:"):
            problems.append(f"stderr is not one 'hopcap: error:' line: {stderr[:800]!r}")
        left = sorted(set(os.listdir(cwd)) - before)
        if left:
            problems.append(f"refused, yet left files behind: {left}")
    if problems:
        problems.append(f"(exit code {rc} after {seconds:.1f} s; stderr: {stderr[:300]!r})")
    return rc, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hopcap")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--config-cases", type=int, default=60)
    parser.add_argument("--cli-cases", type=int, default=120)
    parser.add_argument("--budget", type=float, default=90.0,
                        help="stop starting new cases after this many seconds (a slow build)")
    ns = parser.parse_args()
    hopcap = os.path.abspath(ns.hopcap)
    rng = random.Random(ns.seed)
    tiny = TINY.read_text()
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", OMP_WAIT_POLICY="passive")

    cases = []
    for key, value in FIXED_CONFIG_REPLACEMENTS:
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", tiny)
        cases.append(("config", f"fixed: {key} = {value}", text, ["run", "config.toml"]))
    cases += [("cli", "fixed", None, args) for args in FIXED_CLI_CASES]
    fixed = len(cases)
    random_cases = []
    for n in range(ns.config_cases):
        text, what = mutate_config(rng, tiny)
        random_cases.append(("config", what, text, ["run", "config.toml"] + cheap_uhop(text)))
    for n in range(ns.cli_cases):
        random_cases.append(("cli", "command line", None, cli_case(rng)))
    rng.shuffle(random_cases)
    cases += random_cases

    failures = 0
    ran = 0
    exit_codes = {}
    start = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="hopcap-fuzz-"))
    try:
        for index, (kind, what, text, args) in enumerate(cases):
            if index >= fixed and time.monotonic() - start > ns.budget:
                print(f"note: budget of {ns.budget:.0f} s spent after {ran} of {len(cases)} cases")
                break
            cwd = work / f"case{index}"
            cwd.mkdir()
            if text is not None:
                (cwd / "config.toml").write_text(text)
            rc, problems = run_case(hopcap, args, cwd, env)
            ran += 1
            exit_codes[rc] = exit_codes.get(rc, 0) + 1
            if problems:
                failures += 1
                print(f"FAIL case {index} ({kind}: {what})")
                print(f"  command: {shlex.join(['hopcap'] + args)}")
                for p in problems:
                    print(f"  {p}")
                if text is not None:
                    print("  config:\n    " + "\n    ".join(text.splitlines()))
            shutil.rmtree(cwd, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{ran} cases (seed {ns.seed}) in {time.monotonic() - start:.0f} s: {failures} failed; "
          f"exit codes {dict(sorted(exit_codes.items(), key=str))}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
