"""What the golden model, the float reference and calibration will allocate for a graph,
checked before they allocate it.

`fpgagen check` refuses a model the engine cannot run from its shapes alone; ``run``,
``eval`` and ``build`` also compute on it, and an ONNX model that declares a 60000x60000
input needs 40 GiB for its image alone. `require_memory` turns that into one line naming the
figures, before the first array is made, instead of a MemoryError traceback.

The estimate is deliberately simple and on the generous side: every tensor of one image held
at once by the float reference (float32), the golden model (int64) and the comparison
between them (float64), the largest conv's im2col copy (float32), and the calibration images
(float32).
"""

from __future__ import annotations

import math

from fpgagen.errors import FpgagenError
from fpgagen.frontend.graph import INPUT, Graph
from fpgagen.util.memory import available_bytes
from fpgagen.util.sizes import format_bytes

# bytes per element of a tensor held by the float reference, the golden model and the SQNR
PER_ELEMENT = 4 + 8 + 8


def working_set_bytes(graph: Graph, calib_images: int = 0) -> int:
    """Bytes the float reference and the golden model need for one image, plus ``calib_images``
    calibration images (see the module docstring)."""
    tensors = [INPUT, *(lay.name for lay in graph.layers)]
    elements = sum(math.prod(graph.shape(t)) for t in tensors)
    im2col = 0
    for lay in graph.layers:
        if lay.op == "conv" and not (lay.kernel == 1 and lay.stride == 1 and lay.pad == 0):
            h, w, _ = graph.shape(lay.name)
            cin = graph.in_shape(lay)[2] // lay.groups
            im2col = max(im2col, h * w * lay.kernel * lay.kernel * cin * 4)
    image = math.prod(graph.input_shape) * 4
    return elements * PER_ELEMENT + im2col + calib_images * image


def require_memory(graph: Graph, calib_images: int = 0, what: str = "") -> None:
    """Raise `FpgagenError` when `working_set_bytes` exceeds the memory this machine has
    available; quiet where that cannot be read."""
    need = working_set_bytes(graph, calib_images)
    have = available_bytes()
    if have is None or need <= have:
        return
    h, w, c = graph.input_shape
    images = f" and {calib_images:,} calibration images" if calib_images else ""
    raise FpgagenError(
        f"{graph.name} ({h:,}x{w:,}x{c:,} input) needs about {format_bytes(need)} of memory "
        f"for {what or 'the golden model and the float reference'}{images}; this machine has "
        f"{format_bytes(have)} available (fpgagen check says what the engine can run)")
