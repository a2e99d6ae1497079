#!/usr/bin/python3
"""boottime.py - `make boottime`: wall time from QEMU's start to the monitor
prompt, median of several boots (TCG, the default machine of the graders).

    boottime.py [--lab N] [--sol S] [--runs 5]
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gradelib  # noqa: E402
from course import tool_milestone  # noqa: E402


def main():
    args, elf = tool_milestone(__doc__, runs=5)
    times = []
    for i in range(args.runs):
        with gradelib.Machine(elf, log_name=f"boottime-{i}") as m:
            m.expect_prompt()
            times.append(time.monotonic() - m.started_at)
    print("boot to monitor prompt: " + " ".join(f"{t:.3f}" for t in times)
          + f" s; median {statistics.median(times):.3f} s")


if __name__ == "__main__":
    main()
