"""Float weights of a graph: seeded random He-normal weights, or arrays from an ``.npz`` file.

Weights are a plain ``dict[str, np.ndarray]`` with ``"<layer>.weight"`` (float32, HWIO =
``(kh, kw, cin/groups, cout)``) and ``"<layer>.bias"`` (float32, ``(cout,)``) for every conv
layer, and nothing else: the quantizer, the float reference and the ONNX importer all speak this
one format, so a network is always ``(Graph, weights)``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from fpgagen.errors import FpgagenError
from fpgagen.frontend.arrays import check_real
from fpgagen.frontend.graph import Graph

BIAS_STD = 0.01  # "small biases": a ReLU net stays centred, yet the bias path is exercised


def expected_shapes(graph: Graph) -> dict[str, tuple[int, ...]]:
    """Every array a graph needs, by name, with its shape (HWIO weights, per-channel biases)."""
    shapes: dict[str, tuple[int, ...]] = {}
    for lay in graph.layers:
        ws = graph.weight_shape(lay)
        if ws is not None:
            shapes[f"{lay.name}.weight"] = ws
            shapes[f"{lay.name}.bias"] = (lay.out_channels,)
    return shapes


def random_weights(graph: Graph, seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded He-normal weights (std sqrt(2 / fan_in), fan_in = kh*kw*cin/groups) and small
    normal biases. Each layer draws from its own stream derived from (seed, layer index), so a
    layer's weights do not change when an unrelated layer is added or resized."""
    out: dict[str, np.ndarray] = {}
    for idx, lay in enumerate(graph.layers):
        ws = graph.weight_shape(lay)
        if ws is None:
            continue
        rng = np.random.default_rng([seed & 0xFFFFFFFF, idx])
        fan_in = ws[0] * ws[1] * ws[2]
        out[f"{lay.name}.weight"] = (rng.standard_normal(ws) * np.sqrt(2.0 / fan_in)
                                     ).astype(np.float32)
        out[f"{lay.name}.bias"] = (rng.standard_normal(ws[3]) * BIAS_STD).astype(np.float32)
    return out


def check_weights(weights: dict[str, np.ndarray], graph: Graph, source: str) -> None:
    """Refuse missing, extra, mis-shaped or non-finite arrays with one line naming them."""
    want = expected_shapes(graph)
    missing = [k for k in want if k not in weights]
    extra = sorted(k for k in weights if k not in want)
    bad = [f"{k} is {'x'.join(map(str, np.shape(weights[k])))}, expected "
           f"{'x'.join(map(str, s))}" for k, s in want.items()
           if k in weights and tuple(np.shape(weights[k])) != s]
    problems = []
    if missing:
        problems.append(f"missing {', '.join(missing[:5])}"
                        + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
    if extra:
        problems.append(f"unexpected {', '.join(extra[:5])}"
                        + (f" and {len(extra) - 5} more" if len(extra) > 5 else ""))
    if bad:
        problems.append("; ".join(bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3
                                              else ""))
    if problems:
        raise FpgagenError(f"weights {source} do not match {graph.name}: "
                           + "; ".join(problems) + " (weights are HWIO)")
    for k in want:
        check_real(np.asarray(weights[k]), f"weights {source}: array {k}")
    nonfinite = [k for k in want if not np.all(np.isfinite(weights[k]))]
    if nonfinite:
        raise FpgagenError(f"weights {source}: NaN or infinity in {', '.join(nonfinite[:5])}")


def load_weights(path: str | Path, graph: Graph) -> dict[str, np.ndarray]:
    """Load an ``.npz`` with exactly the arrays of `expected_shapes`, as float32."""
    p = Path(path)
    try:
        loaded = np.load(p, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise FpgagenError(f"weights file {p} is a single array, expected an .npz archive "
                               "of <layer>.weight and <layer>.bias arrays")
        with loaded as npz:
            raw = {k: np.asarray(npz[k]) for k in npz.files}
    except FileNotFoundError:
        raise FpgagenError(f"weights file {p} does not exist") from None
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise FpgagenError(f"cannot read weights file {p} as .npz: "
                           f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                           ) from None
    if not raw:
        raise FpgagenError(f"weights file {p} holds no arrays")
    for k, v in raw.items():
        check_real(v, f"weights file {p}: array {k}")
    check_weights(raw, graph, str(p))
    return {k: raw[k].astype(np.float32) for k in expected_shapes(graph)}
