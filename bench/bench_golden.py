"""Golden-model speed per image at w8a8 (targets: SqueezeNet 1.1 <= 0.5 s, 1.0 <= 2 s), and the
logits SQNR of every zoo model at w8a8 and w16a16 against the float reference.

    python bench/bench_golden.py [--repeat N] [--sqnr]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from fpgagen import golden, reference
from fpgagen.precision import parse_precision
from fpgagen.quantize import calibration_inputs, quantize
from fpgagen.weights import random_weights
from fpgagen.zoo import ZOO, load_model

TARGETS = {"squeezenet1_1": 0.5, "squeezenet1_0": 2.0}


def sqnr_db(ref: np.ndarray, test: np.ndarray) -> float:
    ref = ref.astype(np.float64)
    noise = float(np.sum((test - ref) ** 2))
    return math.inf if noise == 0 else 10 * math.log10(float(np.sum(ref ** 2)) / noise)


def bench_speed(repeat: int) -> None:
    for model, target in TARGETS.items():
        graph = load_model(model)
        qg = quantize(graph, random_weights(graph), parse_precision("8"),
                      calibration_inputs(graph, 0))
        x_int = qg.quantize_input(calibration_inputs(graph, 99, 1)[0])
        golden.run(qg, x_int)  # warm up BLAS threads and caches
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            golden.run(qg, x_int)
            times.append(time.perf_counter() - t0)
        best, med = min(times), float(np.median(times))
        print(f"{model:15s} golden w8a8: best {best:.3f} s, median {med:.3f} s per image "
              f"(target <= {target} s: {'ok' if med <= target else 'MISSED'})")


def bench_sqnr(images: int) -> None:
    for model in ZOO:
        graph = load_model(model)
        weights = random_weights(graph)
        xs = calibration_inputs(graph, 4242, images)
        refs = [reference.run(graph, weights, x)[graph.output] for x in xs]
        row = []
        for spec in ("8", "16"):
            qg = quantize(graph, weights, parse_precision(spec), calibration_inputs(graph, 0))
            vals, agree = [], 0
            for x, ref in zip(xs, refs, strict=True):
                q = golden.run(qg, qg.quantize_input(x))[graph.output]
                out = qg.dequantize(graph.output, q)
                vals.append(sqnr_db(ref, out))
                agree += int(np.argmax(out) == np.argmax(ref))
            row.append(f"w{spec}a{spec}: {min(vals):5.1f}..{max(vals):5.1f} dB, "
                       f"top-1 {agree}/{images}")
        print(f"{model:22s} " + "   ".join(row))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sqnr", action="store_true", help="also measure logits SQNR per model")
    ap.add_argument("--images", type=int, default=4, help="test images for --sqnr")
    args = ap.parse_args()
    bench_speed(args.repeat)
    if args.sqnr:
        bench_sqnr(args.images)


if __name__ == "__main__":
    main()
