#!/usr/bin/env python3
"""make bench: runs every tests/benchmarks/bench_*.py and prints one table.

A benchmark script prints one line per figure, tab-separated after the marker::

    BENCH<TAB>figure<TAB>our value<TAB>reference value<TAB>target

(reference may be ``-`` when there is none); this runner computes the ratio.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _num(text):
    try:
        return float(text.split()[0])
    except (ValueError, IndexError):
        return None


def main():
    rows = []
    scripts = sorted(HERE.glob("bench_*.py"))
    for script in scripts:
        print(f"== {script.name}", flush=True)
        proc = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, check=False
        )
        if proc.returncode:
            print(proc.stdout[-2000:], proc.stderr[-4000:])
            rows.append((script.name, "FAILED", "-", "-", "-"))
            continue
        for line in proc.stdout.splitlines():
            if line.startswith("BENCH\t"):
                _marker, figure, ours, ref, target = (line.split("\t") + ["-"] * 5)[:5]
                a, b = _num(ours), _num(ref)
                ratio = f"{a / b:.2f}" if a is not None and b else "-"
                rows.append((figure, ours, ref, ratio, target))
    if not rows:
        print("no benchmarks yet")
        return 0
    head = ("figure", "ours", "reference", "ratio", "target")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(5)]
    for row in [head, tuple("-" * w for w in widths)] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    return 1 if any(r[1] == "FAILED" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
