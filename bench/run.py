"""Run the benchmarks and print their figures: ``python bench/run.py --json [--quick]``.

Each benchmark measures emp-edge next to a bare baseline in the same run and reports medians and
ratios; the machines are shared and noisy, so the ratios are what to compare between runs.
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import canteen
import card_batch
import cards
import clubs
import kiosk
import pcsc
import registry_sync
import store_commit
import taps
import web

BENCHMARKS = (
    store_commit, taps, canteen, clubs, cards, card_batch, pcsc, kiosk, web, registry_sync,
)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="fewer samples (under a minute)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    figures: dict[str, object] = {}
    for bench in BENCHMARKS:
        figures.update(bench.run(args.quick))
    figures.update(
        quick=args.quick,
        python=platform.python_version(),
        sqlite=sqlite3.sqlite_version,
        seconds=round(time.perf_counter() - started, 1),
    )
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for name, value in figures.items():
            print(f"{name:32} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
