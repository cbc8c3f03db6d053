#!/usr/bin/env python3
"""make bench: runs every tests/benchmarks/bench_*.py and prints one table.

A benchmark script prints one line per figure, tab-separated after the marker::

    BENCH<TAB>figure<TAB>our value<TAB>reference value<TAB>target

(reference and target may be ``-``); this runner computes the ratio (ours /
reference) and checks the target: ``< N``, ``<= N``, ``> N``, ``>= N`` or ``N``
compare our value, ``ratio <= N`` (also ``flat: ratio <= N``) compares the ratio;
the last column says ``pass``, ``MISS`` or ``-`` (no target).

``BENCH_SCALE=small`` runs every benchmark on its small sizes (a quick check);
``BENCH_ONLY=sms,cycles`` runs only those scripts.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = re.compile(r"^(?P<ratio>.*ratio\s*)?(?P<op><=|>=|<|>|=)?\s*(?P<value>[\d.,]+)")
OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "=": lambda a, b: a == b,
}


def _num(text):
    try:
        return float(str(text).split()[0].replace(",", ""))
    except (ValueError, IndexError):
        return None


def verdict(target, ours, ratio):
    """``pass``, ``MISS`` or ``-`` for ``ours`` (and ``ratio``) against ``target``."""
    match = TARGET.match(target.strip())
    if not match:
        return "-"
    value = _num(match["value"])
    actual = ratio if match["ratio"] else ours
    if value is None or actual is None:
        return "-"
    return "pass" if OPS[match["op"] or "="](actual, value) else "MISS"


def row(line):
    _marker, figure, ours, ref, target = (line.split("\t") + ["-"] * 5)[:5]
    a, b = _num(ours), _num(ref)
    ratio = a / b if a is not None and b else None
    return (
        figure,
        ours,
        ref,
        f"{ratio:.2f}" if ratio is not None else "-",
        target,
        verdict(target, a, ratio),
    )


def main():
    rows = []
    scripts = sorted(HERE.glob("bench_*.py"))
    only = [name for name in os.environ.get("BENCH_ONLY", "").split(",") if name]
    if only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in only]
    scale = os.environ.get("BENCH_SCALE", "full")
    started = time.time()
    for script in scripts:
        print(f"== {script.name} (scale {scale})", flush=True)
        begin = time.time()
        proc = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, check=False
        )
        print(f"   {time.time() - begin:.0f} s", flush=True)
        if proc.returncode:
            print(proc.stdout[-2000:], proc.stderr[-4000:])
            rows.append((script.name, "FAILED", "-", "-", "-", "MISS"))
            continue
        rows.extend(
            row(line) for line in proc.stdout.splitlines() if line[:6] == "BENCH\t"
        )
    if not rows:
        print("no benchmarks yet")
        return 0
    head = ("figure", "ours", "reference", "ratio", "target", "verdict")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(6)]
    print()
    for line in [head, tuple("-" * w for w in widths)] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)))
    missed = sum(1 for r in rows if r[5] == "MISS")
    checked = sum(1 for r in rows if r[5] != "-")
    print(
        f"\n{checked - missed} of {checked} targets met; scale {scale}; "
        f"{time.time() - started:.0f} s in all"
    )
    return 1 if any(r[1] == "FAILED" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
