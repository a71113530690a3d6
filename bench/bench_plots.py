"""Time to draw a report's pictures (fpgagen/report/plots.py), the matplotlib import included.

Run: ``python bench/bench_plots.py [MODEL] [BOARD]`` (default squeezenet on zc706). Builds the
model once into a temporary folder (report.json needs the Plan and the golden run), then in
fresh processes draws every picture of its report from scratch, as ``fpgagen build`` does,
and prints the wall and CPU seconds of each run, then of each picture in one more run. With
``--rtl-like``, a measured-cycles section is added first (the estimate plus 1 %), so the
cycles picture has both series, as after ``fpgagen verify --rtl``. Prints numbers, asserts
nothing: the budget is < 2 s per report.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# one fresh process: import fpgagen.report.plots (matplotlib loads on first draw), draw all pictures
_DRAW = """
import json, sys, time
from pathlib import Path
w0, c0 = time.perf_counter(), time.process_time()
from fpgagen.report import plots
report = json.loads(Path(sys.argv[1]).read_text())
out = Path(sys.argv[2])
times = []
for kind in plots.KINDS:
    w, c = time.perf_counter(), time.process_time()
    (out / kind.file).write_bytes(kind.draw(kind.series(report)))
    times.append((kind.file, time.perf_counter() - w, time.process_time() - c))
print(json.dumps({"wall": time.perf_counter() - w0, "cpu": time.process_time() - c0,
                  "pictures": times}))
"""


def _draw_once(report: Path, out: Path) -> dict:
    res = subprocess.run([sys.executable, "-c", _DRAW, str(report), str(out)], check=True,
                         capture_output=True, text=True, env={"PYTHONPATH": str(REPO)})
    return json.loads(res.stdout)


def main(argv: list[str]) -> None:
    rtl_like = "--rtl-like" in argv
    args = [a for a in argv if a != "--rtl-like"]
    model, board = (args + ["squeezenet", "zc706"][len(args):])[:2]
    sys.path.insert(0, str(REPO))
    from fpgagen.cli.main import main as fpgagen

    with tempfile.TemporaryDirectory(prefix="bench-plots-") as tmp:
        out = Path(tmp) / "b"
        assert fpgagen(["build", "-m", model, "-b", board, "-q", "-o", str(out)]) == 0
        report = out / "report.json"
        if rtl_like:
            r = json.loads(report.read_text())
            per_layer = {lay["name"]: lay["cycles_estimate"] * 101 // 100 for lay in r["layers"]
                         if lay["cycles_estimate"]}
            r["rtl"] = {"cycles": r["estimate"]["cycles"] * 101 // 100,
                        "cycles_per_layer": per_layer}
            report.write_text(json.dumps(r))
        runs = [_draw_once(report, out) for _ in range(3)]
        print(f"{model} on {board}: all {len(runs[0]['pictures'])} pictures in a fresh process "
              f"(import included), 3 runs:")
        for i, r in enumerate(runs, 1):
            print(f"  run {i}: {r['wall']:.2f} s wall, {r['cpu']:.2f} s CPU")
        best = min(runs, key=lambda r: r["wall"])
        for name, wall, cpu in best["pictures"]:
            size = (out / name).stat().st_size
            print(f"  {name:20} {wall:5.2f} s wall {cpu:5.2f} s CPU  {size:>8,} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
