"""Models by name, as ``--model`` takes them: a zoo name or alias, an ``.onnx`` file, or a
SqueezeNet family spec (``squeezenet:sr=0.25,...``, fpgagen/frontend/family.py); their float
weights and what they say about their outputs (class names, preprocessing)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fpgagen.errors import FpgagenError
from fpgagen.frontend.family import is_family, load_family
from fpgagen.frontend.graph import Graph
from fpgagen.frontend.labels import ModelInfo, onnx_info, zoo_info
from fpgagen.frontend.zoo import load_model, zoo_entry

# what ``weights`` may be: "random" (seeded He-normal), a path to an .npz, or the arrays
Weights = str | Path | Mapping[str, np.ndarray]


def is_onnx(name: str) -> bool:
    return str(name).lower().endswith(".onnx")


def onnx_path(name: str) -> str | Path | None:
    """The ONNX file behind a model name: the path itself, a trained zoo model's file, or None
    (a graph built by fpgagen, whose weights come from ``weights``)."""
    if is_onnx(name):
        return name
    if is_family(name):
        return None
    return zoo_entry(name).onnx_path


def _is_random(weights: Weights) -> bool:
    return isinstance(weights, str) and weights == "random"


def load_graph(name: str, input_size: int | None = None) -> Graph:
    """The Graph of a model name at ``input_size`` (its own when None)."""
    return load_network(name, input_size, with_weights=False)[0]


def load_network(name: str, input_size: int | None = None, weights: Weights = "random",
                 seed: int = 0, with_weights: bool = True
                 ) -> tuple[Graph, Mapping[str, np.ndarray] | None]:
    """The Graph and its float weights. An ONNX file (and a trained zoo model) brings its own
    weights; a graph fpgagen builds takes seeded random ones, an .npz or a mapping of arrays
    (``<layer>.weight`` HWIO, ``<layer>.bias``). Weights are only made when asked for: a fit
    check needs shapes and widths, not values."""
    name = str(name)
    path = onnx_path(name)
    if path is not None:
        from fpgagen.frontend.onnx_import import load_onnx

        what = "ONNX models" if is_onnx(name) else f"the trained zoo model {name}"
        if input_size is not None:
            raise FpgagenError(f"--input-size does not apply to {what} (their input "
                               "shape is in the file)")
        graph, arrays = load_onnx(path)
        if not _is_random(weights):
            raise FpgagenError(f"--weights does not apply to {what} (their weights are "
                               "in the file)")
        return graph, (arrays if with_weights else None)
    graph = load_family(name, input_size) if is_family(name) else load_model(name, input_size)
    if not with_weights:
        return graph, None
    from fpgagen.frontend.weights import check_weights, load_weights, random_weights

    if _is_random(weights):
        return graph, random_weights(graph, seed)
    if isinstance(weights, Mapping):
        check_weights(dict(weights), graph, "the weights given")
        return graph, {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
    return graph, load_weights(weights, graph)


def model_info(name: str, graph: Graph, weights: Weights = "random") -> ModelInfo:
    """Class names, preprocessing and weight provenance of a model (fpgagen/frontend/labels.py).
    A family member has ImageNet's names only at 1,000 classes (none otherwise) and, with the
    digits preset, reads images as the digits are read."""
    classes = graph.shape(graph.output)[-1]
    path = onnx_path(str(name))
    if path is not None:
        return onnx_info(path, classes)
    if is_family(str(name)) and classes != 1000:
        digits = graph.input_shape == (32, 32, 1) and classes == 10
        return ModelInfo(None, "digits" if digits else "imagenet", _is_random(weights),
                         "digits" if digits and not _is_random(weights) else None)
    return zoo_info(classes, _is_random(weights))


def weights_described(name: str, weights: Weights = "random", seed: int = 0
                      ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Where a model's weights came from, and its model file (an ONNX model, or None), for a
    build report's reproduce block: seeded random (``random`` true), an .npz, arrays given from
    Python, or an ONNX file's initializers; each file with its SHA-256, arrays with theirs."""
    from fpgagen.report.provenance import array_sha256, file_fact

    path = onnx_path(str(name))
    if path is not None:
        model = file_fact(path)
        return {"source": "onnx", "random": False,
                "description": "the ONNX model's initializers", **model}, model
    if _is_random(weights):
        return {"source": "random", "random": True, "seed": seed,
                "description": f"seeded random He-normal weights (seed {seed}), not trained"}, None
    if isinstance(weights, Mapping):
        return {"source": "arrays", "random": False,
                "description": f"{len(weights)} arrays given from Python",
                "sha256": array_sha256(*(np.asarray(weights[k]) for k in sorted(weights)),
                                       names=sorted(weights))}, None
    return {"source": "file", "random": False, "description": "an .npz weights file",
            **file_fact(weights)}, None
