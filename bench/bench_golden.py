"""Golden-model speed per image at w8a8 (targets: SqueezeNet 1.1 <= 0.5 s, 1.0 <= 2 s), and the
logits SQNR of every zoo model at w8a8 and w16a16 against the float reference, on seeded
synthetic images and on the same images made brighter than any calibration image (what
calibration headroom is for).

    python bench/bench_golden.py [--repeat N] [--sqnr [--headroom BITS]]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fpgagen.frontend.images import IMAGENET_MEAN, IMAGENET_STD, normalize
from fpgagen.frontend.weights import random_weights
from fpgagen.frontend.zoo import ZOO, load_model
from fpgagen.quant import golden, reference
from fpgagen.quant.precision import parse_precision
from fpgagen.quant.quality import sqnr_db
from fpgagen.quant.quantize import DEFAULT_CALIB_HEADROOM, calibration_inputs, quantize

TARGETS = {"squeezenet1_1": 0.5, "squeezenet1_0": 2.0}


def brighter(x: np.ndarray) -> np.ndarray:
    """The same normalized image, each pixel 70 % of the way to white."""
    rgb = x * IMAGENET_STD + IMAGENET_MEAN
    return normalize((1 - (1 - rgb) * 0.3).astype(np.float32))


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


def bench_sqnr(images: int, headroom: int) -> None:
    print(f"calibration headroom {headroom} bit(s); logits SQNR min..max over {images} images, "
          "top-1 agreement, saturated outputs")
    for model in ZOO:
        graph = load_model(model)
        weights = random_weights(graph)
        plain = calibration_inputs(graph, 4242, images)
        for kind, xs in (("synthetic", plain), ("brighter", [brighter(x) for x in plain])):
            refs = [reference.run(graph, weights, x)[graph.output] for x in xs]
            row = []
            for spec in ("8", "16"):
                qg = quantize(graph, weights, parse_precision(spec),
                              calibration_inputs(graph, 0), headroom=headroom)
                vals, agree, sat = [], 0, 0
                for x, ref in zip(xs, refs, strict=True):
                    fixed, counts = golden.run_counted(qg, qg.quantize_input(x))
                    out = qg.dequantize(graph.output, fixed[graph.output])
                    vals.append(sqnr_db(ref, out))
                    agree += int(np.argmax(out) == np.argmax(ref))
                    sat += sum(counts.values())
                row.append(f"w{spec}a{spec}: {min(vals):5.1f}..{max(vals):5.1f} dB, "
                           f"top-1 {agree}/{images}, sat {sat}")
            print(f"{model:22s} {kind:9s} " + "   ".join(row))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sqnr", action="store_true", help="also measure logits SQNR per model")
    ap.add_argument("--images", type=int, default=4, help="test images for --sqnr")
    ap.add_argument("--headroom", type=int, default=DEFAULT_CALIB_HEADROOM,
                    help=f"calibration headroom bits (default {DEFAULT_CALIB_HEADROOM})")
    args = ap.parse_args()
    bench_speed(args.repeat)
    if args.sqnr:
        bench_sqnr(args.images, args.headroom)


if __name__ == "__main__":
    main()
