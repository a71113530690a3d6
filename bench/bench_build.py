"""Whole-command timings of the main job and its proof (targets: build < 10 s, verify --csim
< 60 s for SqueezeNet 1.1 w8a8 on ZC706), as a user runs them: fresh processes, median of N.

    python bench/bench_build.py [--repeat N] [--model M] [--precision P] [--budget SIZE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}{proc.stdout}")
    return elapsed, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--model", default="squeezenet")
    ap.add_argument("--precision", default="8")
    ap.add_argument("--budget", default=None)
    args = ap.parse_args()
    fpgagen = [sys.executable, "-m", "fpgagen"]
    extra = ["--budget", args.budget] if args.budget else []
    builds, compiles, runs, totals = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "b")
        for _ in range(args.repeat):
            t, _ = timed([*fpgagen, "build", "--board", "zynq", "--model", args.model, "-p",
                          args.precision, *extra, "-q", "--force", "-o", out])
            builds.append(t)
            t, text = timed([*fpgagen, "verify", out, "--csim", "-q", "--json"])
            csim = json.loads(text)["csim"]
            assert csim["bit_exact"]
            totals.append(t)
            compiles.append(csim["compile_seconds"])
            runs.append(csim["run_seconds"])
    med = statistics.median
    print(f"{args.model} w/ precision {args.precision} on zc706, median of {args.repeat}:")
    print(f"  fpgagen build          {med(builds):6.2f} s   (target < 10 s)")
    print(f"  fpgagen verify --csim  {med(totals):6.2f} s   (target < 60 s): "
          f"g++ {med(compiles):.2f} s + run {med(runs):.2f} s, bit-exact")


if __name__ == "__main__":
    main()
