#!/usr/bin/python3
"""boottime.py - `make boottime`: wall time from QEMU's start to the monitor
prompt, median of several boots (TCG, the default machine of the graders).

    boottime.py [--lab N] [--sol S] [--runs 5]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gradelib  # noqa: E402
from conftest import LAB_MAX  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lab", type=int, default=LAB_MAX)
    ap.add_argument("--sol", type=int)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    elf = gradelib.build(args.lab, args.lab if args.sol is None else args.sol)
    times = []
    for i in range(args.runs):
        with gradelib.Machine(elf, log_name=f"boottime-{i}") as m:
            m.expect_prompt()
            times.append(time.monotonic() - m.started_at)
    print("boot to monitor prompt: " + " ".join(f"{t:.3f}" for t in times)
          + f" s; median {statistics.median(times):.3f} s")


if __name__ == "__main__":
    main()
