#!/usr/bin/env bash
# Seeded, bounded fuzzing of the sweep config (mutations of tests/data/tiny.toml) and of every
# command's option values (tests/fuzz/fuzz_cli.py): every case exits 0, 1 or 2 within 20 s,
# a refused one prints one `hopcap: error:` line and leaves no file behind.
# Usage: fuzz_configs.sh PATH/TO/hopcap [fuzz_cli.py options, e.g. --seed N]
set -euo pipefail
exec timeout 280 /usr/bin/python3 "$(dirname "$0")/../fuzz/fuzz_cli.py" "$@"
