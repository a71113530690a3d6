"""The ONNX frontend: lower a SqueezeNet/ZynqNet-style ONNX file to a `Graph` plus float weights.

Users arrive with trained models (the ONNX model zoo's SqueezeNet, a torchvision export, their own
fire-module net), not with the zoo's random weights. `load_onnx` reads such a file, checks it with
``onnx.checker``, infers shapes, and maps its nodes one to one onto fpgagen layers:

- Conv (group 1, square kernel, equal strides, no dilation) -> ``conv``; weights OIHW -> HWIO.
  Pads must be reproducible by fpgagen's symmetric pad: asymmetric pads (or ``auto_pad``
  SAME_UPPER/SAME_LOWER) are accepted when the begin pads are equal and the output size matches,
  because the windows then sit exactly where ONNX puts them.
- BatchNormalization directly after a Conv is folded into that conv's weights and bias.
- Relu is fused into the conv or add that produces its input when it is that tensor's only
  consumer; a Relu on a tensor that is already non-negative is a no-op and is removed.
- Clip with constant bounds (attributes before opset 11, constant inputs from opset 11 on;
  PyTorch's ReLU6 and Hardtanh export as Clip) is fused the same way, as a clamp in the
  requantizer (``clip_lo``/``clip_hi``); a lower bound >= 0 also sets the ReLU.
- Gemm (alpha = beta = 1, transB 0 or 1) and MatMul by a constant matrix (an Add of a constant
  after it is its bias) on a 1x1 map -> a 1x1 ``conv``: the classifier head
  ``GlobalAveragePool -> Flatten -> Gemm`` (PyTorch's ``AdaptiveAvgPool2d(1) -> flatten ->
  Linear``). A Flatten or Reshape of a 1x1 map is removed wherever it is (its values keep
  their order). Grouped convs are refused, depthwise ones (group = channels) as not supported
  yet.
- MaxPool (ceil_mode 0/1, pads) -> ``maxpool``; GlobalAveragePool, and an AveragePool whose
  kernel covers the whole map, -> ``avgpool``; Concat on channels -> ``concat``; Add -> ``add``.
- Dropout and Identity are removed (inference), Constant nodes feed their values to other nodes.
- Flatten, Reshape and Softmax are dropped at the tail: **the hardware emits logits**, the host
  applies softmax; a Flatten/Reshape of a larger map is refused (fpgagen's HWC order).
  Dropping is logged at INFO level on the ``fpgagen.frontend.onnx_import`` logger.

Everything else fails with a one-line `FpgagenError` naming the node, its op and what is
supported, so a user learns at once what to change in the export. Opsets 7 to 21.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from fpgagen.errors import FpgagenError
from fpgagen.frontend import graph as g
from fpgagen.frontend.graph import Graph, Layer

log = logging.getLogger(__name__)

MIN_OPSET, MAX_OPSET = 7, 21
PASS_THROUGH = ("Dropout", "Identity")
TAIL_OPS = ("Flatten", "Reshape", "Softmax")
SUPPORTED = ("Conv (group 1), Relu, MaxPool, Concat (channels), Add, Clip (constant bounds), "
             "BatchNormalization (after a Conv), GlobalAveragePool, AveragePool (whole map), "
             "Gemm/MatMul (+Add) on a 1x1 map, Dropout, Identity, Constant, Flatten/Reshape of a "
             "1x1 map, and Flatten/Reshape/Softmax at the tail")


def load_onnx(path: str | Path) -> tuple[Graph, dict[str, np.ndarray]]:
    """Read an ONNX file into a validated `Graph` and its float32 weights.

    Weights are ``"<layer>.weight"`` (HWIO, OIHW transposed (2, 3, 1, 0)) and ``"<layer>.bias"``
    (zeros when the Conv has none) for every conv layer, with BatchNormalization already folded.
    The input must be one fixed 1xCxHxW tensor; the graph's input shape is (H, W, C). Layer names
    are the ONNX node names (output names for unnamed nodes) made into unique file names.
    Tail Flatten/Reshape/Softmax nodes are dropped: the graph's output is the logits.
    """
    file = Path(path)
    model = _read_model(file)
    return _Lowering(model, _graph_name(model, file)).run()


def read_metadata(path: str | Path) -> dict[str, str]:
    """The model's ``metadata_props`` (key -> value): class names, preprocessing (labels.py).
    Reads the file's protobuf only (no checks, no external data): cheap beside `load_onnx`."""
    onnx = _require_onnx()
    file = Path(path)
    try:
        model = onnx.load(str(file), load_external_data=False)
    except Exception as exc:
        raise FpgagenError(f"{str(file)!r} is not an ONNX model ({_first_line(exc)})") from None
    return {p.key: p.value for p in model.metadata_props}


# --- reading and checking the file -------------------------------------------------------------


def _require_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise FpgagenError("reading ONNX models needs the onnx package: "
                           "pip install 'fpgagen[onnx]'") from None
    return onnx


def _read_model(file: Path) -> Any:
    """Load, check and shape-infer a model; every failure is a one-line user error."""
    onnx = _require_onnx()
    if not file.is_file():
        raise FpgagenError(f"ONNX model {str(file)!r} does not exist")
    try:
        model = onnx.load(str(file), load_external_data=False)
    except Exception as exc:  # protobuf raises DecodeError, RuntimeWarning, ...
        raise FpgagenError(f"{str(file)!r} is not an ONNX model ({_first_line(exc)})") from None
    if not model.graph.node:
        raise FpgagenError(f"{str(file)!r} is not an ONNX model (it has no graph nodes)")
    _load_external_data(model, file)
    _check_opset(model, file)
    try:
        onnx.checker.check_model(model)
    except Exception as exc:
        raise FpgagenError(f"ONNX model {str(file)!r} is invalid: {_first_line(exc)}") from None
    try:
        return onnx.shape_inference.infer_shapes(model, strict_mode=True)
    except Exception as exc:
        raise FpgagenError(f"ONNX shape inference failed on {str(file)!r}: "
                           f"{_first_line(exc)}") from None


def _load_external_data(model: Any, file: Path) -> None:
    """Load tensors stored beside the model, naming the tensor and file when one is missing."""
    from onnx import external_data_helper as ext

    for tensor in model.graph.initializer:
        if not ext.uses_external_data(tensor):
            continue
        location = ext.ExternalDataInfo(tensor).location
        if not (file.parent / location).is_file():
            raise FpgagenError(f"ONNX model {str(file)!r}: initializer {tensor.name!r} is stored "
                               f"in external data file {location!r}, which is missing "
                               f"(keep it next to the .onnx file)")
    try:
        ext.load_external_data_for_model(model, str(file.parent))
    except Exception as exc:
        raise FpgagenError(f"ONNX model {str(file)!r}: cannot read external data: "
                           f"{_first_line(exc)}") from None


def _check_opset(model: Any, file: Path) -> None:
    versions = [op.version for op in model.opset_import if op.domain in ("", "ai.onnx")]
    if not versions:
        raise FpgagenError(f"ONNX model {str(file)!r} imports no standard (ai.onnx) opset")
    opset = max(versions)
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise FpgagenError(f"ONNX model {str(file)!r} uses opset {opset}; fpgagen reads opsets "
                           f"{MIN_OPSET} to {MAX_OPSET} (convert it with "
                           f"onnx.version_converter.convert_version(model, {MAX_OPSET}))")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0] if text else type(exc).__name__


def _sanitize(text: str) -> str:
    """A name made of [A-Za-z0-9_] only, so it is a valid file name on every system."""
    return re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", text)).strip("_")


def _layer_base_name(text: str) -> str:
    """A node name as a file name; PyTorch's scope paths lose their repeated module prefixes
    (``/features/features.3/squeeze/Conv`` -> ``features_3_squeeze_Conv``)."""
    parts = [p for p in text.split("/") if p]
    kept = [p for i, p in enumerate(parts)
            if i + 1 == len(parts) or not parts[i + 1].startswith(p + ".")]
    return _sanitize("_".join(kept))


def _graph_name(model: Any, file: Path) -> str:
    """The model's name: the file's stem (what the user typed), else the ONNX graph name."""
    return _sanitize(file.stem) or _sanitize(model.graph.name) or "onnx_model"


# --- lowering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Origin:
    """Where a layer came from, for error messages and the final shape cross-check."""

    node: str
    op: str
    tensor: str  # the ONNX tensor whose inferred shape the layer's output must have


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    out: dict[str, Any] = {}
    for attr in node.attribute:
        value = helper.get_attribute_value(attr)
        out[attr.name] = value.decode() if isinstance(value, bytes) else value
    return out


def _dims(value_info: Any) -> tuple[int | str | None, ...] | None:
    """A value's shape as ints, dim_param names (dynamic) or None (unknown); None if unranked."""
    tensor_type = value_info.type.tensor_type
    if not tensor_type.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or None)
                 for d in tensor_type.shape.dim)


class _Lowering:
    """One pass over the (topologically sorted) ONNX nodes, building fpgagen layers.

    ``alias`` maps every ONNX tensor that carries an activation to the fpgagen tensor holding
    it; removed and fused nodes just add an alias. Fusions (BN and Relu into a conv) are only
    legal when the ONNX tensor has one consumer, which ``uses`` counts up front.
    """

    def __init__(self, model: Any, name: str) -> None:
        self.name = name
        self.graph = model.graph
        self.shapes = self._inferred_shapes()
        self.consts = self._initializers()
        self.alias: dict[str, str] = {}
        self.tail: set[str] = set()  # ONNX tensors produced by tail ops (dropped)
        self.dropped: list[str] = []
        self.layers: dict[str, Layer] = {}
        self.origin: dict[str, _Origin] = {}
        self.kernels: dict[str, np.ndarray] = {}  # OIHW float64 while BN may still fold in
        self.biases: dict[str, np.ndarray] = {}
        self.used_names: set[str] = {g.INPUT}
        self.linear: set[str] = set()  # convs lowered from Gemm/MatMul (on [1, K] tensors)
        self.through = self._pass_through_sources()
        self.uses = self._count_uses()

    # -- set-up

    def _inferred_shapes(self) -> dict[str, tuple[int | str | None, ...]]:
        shapes = {}
        for vi in (*self.graph.input, *self.graph.value_info, *self.graph.output):
            dims = _dims(vi)
            if dims is not None:
                shapes[vi.name] = dims
        return shapes

    def _initializers(self) -> dict[str, np.ndarray]:
        from onnx import numpy_helper

        return {t.name: numpy_helper.to_array(t) for t in self.graph.initializer}

    def _pass_through_sources(self) -> dict[str, str]:
        """Each Dropout/Identity output -> the tensor it passes on, through chains of them."""
        through: dict[str, str] = {}
        for node in self.graph.node:
            if node.op_type in PASS_THROUGH and node.domain in ("", "ai.onnx") and node.input:
                through[node.output[0]] = through.get(node.input[0], node.input[0])
        return through

    def _count_uses(self) -> Counter[str]:
        """Readers of each tensor, counted under the tensor a Dropout/Identity passes on (they
        are removed, so their readers read that tensor); look counts up with `_readers`."""
        uses: Counter[str] = Counter()
        for node in self.graph.node:
            if node.op_type in PASS_THROUGH:
                continue
            for name in node.input:
                if name:
                    uses[self.through.get(name, name)] += 1
        for out in self.graph.output:
            uses[self.through.get(out.name, out.name)] += 1
        return uses

    def _readers(self, name: str) -> int:
        """How many nodes (and graph outputs) read ``name`` once Dropout/Identity are removed:
        the count of the tensor it stands for, so ``Conv -> Dropout -> Relu`` sees the Relu as
        the conv's one reader."""
        return self.uses[self.through.get(name, name)]

    # -- driver

    def run(self) -> tuple[Graph, dict[str, np.ndarray]]:
        self.alias[self._input_tensor()] = g.INPUT
        for node in self.graph.node:
            self._lower(node)
        output = self._output_tensor()
        if self.dropped:
            log.info("%s: dropped %s; the hardware emits logits (apply softmax on the host)",
                     self.name, ", ".join(self.dropped))
        try:
            graph = g.make_graph(self.name, self._input_hwc(), self.layers.values(), output)
        except FpgagenError as exc:
            raise FpgagenError(f"ONNX model {self.name!r}: {exc}") from None
        self._check_shapes(graph)
        return graph, self._weights()

    def _lower(self, node: Any) -> None:
        if node.domain not in ("", "ai.onnx"):
            self._unsupported(node, f"{node.domain}::{node.op_type}")
        handler = self._handlers().get(node.op_type)
        if handler is None:
            self._unsupported(node, node.op_type)
        if node.op_type not in ("Constant", "Gemm", "MatMul", *PASS_THROUGH, *TAIL_OPS):
            self._check_not_after_tail(node)
        handler(node)

    def _handlers(self) -> dict[str, Any]:
        """The supported ONNX ops and the method that lowers each."""
        return {
            "Constant": self._constant,
            "Identity": self._pass_through,
            "Dropout": self._dropout,
            "Conv": self._conv,
            "BatchNormalization": self._batch_normalization,
            "Relu": self._relu,
            "Clip": self._clip,
            "Gemm": self._gemm,
            "MatMul": self._matmul,
            "MaxPool": self._max_pool,
            "GlobalAveragePool": self._global_average_pool,
            "AveragePool": self._average_pool,
            "Concat": self._concat,
            "Add": self._add,
            "Flatten": self._tail_op,
            "Reshape": self._tail_op,
            "Softmax": self._tail_op,
        }

    def _unsupported(self, node: Any, op: str) -> NoReturn:
        raise FpgagenError(f"ONNX node {self._node_label(node)} ({op}) is not supported; "
                           f"fpgagen supports {SUPPORTED}")

    # -- input and output

    def _input_tensor(self) -> str:
        inputs = [vi for vi in self.graph.input if vi.name not in self.consts]
        if len(inputs) != 1:
            names = ", ".join(repr(vi.name) for vi in inputs) or "none"
            raise FpgagenError(f"ONNX model {self.name!r} must have exactly one input, "
                               f"got {names}")
        vi = inputs[0]
        dims = _dims(vi)
        shown = "x".join("?" if d is None else str(d) for d in dims or ())
        if vi.type.tensor_type.elem_type not in (1, 10, 11):  # float, float16, double
            raise FpgagenError(f"ONNX input {vi.name!r} must be a float tensor")
        if dims is None or len(dims) != 4:
            raise FpgagenError(f"ONNX input {vi.name!r} has shape {shown or 'unknown'}; fpgagen "
                               "needs a 4-D NCHW image 1xCxHxW")
        if not all(isinstance(d, int) and d > 0 for d in dims):
            raise FpgagenError(f"ONNX input {vi.name!r} has a dynamic shape {shown}; fpgagen "
                               "needs a fixed 1xCxHxW input (export with a fixed input size)")
        if dims[0] != 1:
            raise FpgagenError(f"ONNX input {vi.name!r} is batched ({shown}); fpgagen runs one "
                               "image at a time and needs batch 1 (1xCxHxW)")
        return vi.name

    def _input_hwc(self) -> tuple[int, int, int]:
        _, c, h, w = self.shapes[self._input_tensor()]
        return (int(h), int(w), int(c))  # type: ignore[arg-type]

    def _output_tensor(self) -> str:
        outputs = list(self.graph.output)
        if len(outputs) != 1:
            raise FpgagenError(f"ONNX model {self.name!r} must have exactly one output, "
                               f"got {len(outputs)}")
        tensor = self.alias.get(outputs[0].name)
        if tensor is None or tensor == g.INPUT:
            raise FpgagenError(f"ONNX model {self.name!r}: output {outputs[0].name!r} is not "
                               "computed by any supported layer")
        return tensor

    # -- helpers for handlers

    def _node_label(self, node: Any) -> str:
        return repr(node.name or node.output[0])

    def _fail(self, node: Any, problem: str) -> NoReturn:
        raise FpgagenError(f"ONNX node {self._node_label(node)} ({node.op_type}): {problem}")

    def _check_not_after_tail(self, node: Any) -> None:
        for name in node.input:
            if name in self.tail:
                self._fail(node, f"reads {name!r}, the output of a tail Flatten/Reshape/Softmax; "
                                 "fpgagen drops those ops only at the end of the network")

    def _act(self, node: Any, name: str) -> str:
        """The fpgagen tensor behind an ONNX activation input (not a constant)."""
        if name in self.consts:
            self._fail(node, f"input {name!r} is a constant; fpgagen supports constants only "
                             "as Conv weights/biases and BatchNormalization parameters")
        if name not in self.alias:
            self._fail(node, f"input {name!r} is not produced by a supported node")
        return self.alias[name]

    def _const(self, node: Any, name: str, what: str) -> np.ndarray:
        if name not in self.consts:
            self._fail(node, f"{what} {name!r} must be a constant (an initializer)")
        return self.consts[name]

    def _nchw(self, node: Any, name: str) -> tuple[int, int, int, int]:
        dims = self.shapes.get(name)
        if dims is None or len(dims) != 4 or not all(isinstance(d, int) for d in dims):
            self._fail(node, f"tensor {name!r} has no known 4-D NCHW shape")
        return dims  # type: ignore[return-value]

    def _new_name(self, node: Any) -> str:
        base = (_layer_base_name(node.name) or _layer_base_name(node.output[0])
                or node.op_type.lower())
        name, k = base, 2
        while name in self.used_names:
            name, k = f"{base}_{k}", k + 1
        self.used_names.add(name)
        return name

    def _emit(self, node: Any, layer: Layer) -> None:
        self.layers[layer.name] = layer
        self.origin[layer.name] = _Origin(node.name or node.output[0], node.op_type,
                                          node.output[0])
        self.alias[node.output[0]] = layer.name

    def _unused_outputs(self, node: Any, what: str) -> None:
        for extra in node.output[1:]:
            if extra and self._readers(extra):
                self._fail(node, f"output {extra!r} ({what}) is used; fpgagen supports "
                                 "inference only, with just the first output")

    def _square(self, node: Any, values: Sequence[int], what: str) -> int:
        if len(values) != 2 or values[0] != values[1]:
            self._fail(node, f"{what} {list(values)} must be two equal values (fpgagen supports "
                             "square 2-D windows only)")
        return int(values[0])

    def _window(self, node: Any, attrs: dict[str, Any], kernel_default: Sequence[int] | None
                ) -> tuple[int, int]:
        """Square kernel and equal strides; dilation 1 (the engine has no dilation)."""
        kernel_shape = attrs.get("kernel_shape", kernel_default)
        if kernel_shape is None:
            self._fail(node, "kernel_shape is missing")
        if any(d != 1 for d in attrs.get("dilations", [1, 1])):
            self._fail(node, f"dilations {list(attrs['dilations'])} are not supported "
                             "(fpgagen supports dilation 1)")
        kernel = self._square(node, kernel_shape, "kernel_shape")
        stride = self._square(node, attrs.get("strides", [1, 1]), "strides")
        return kernel, stride

    def _pads(self, node: Any, attrs: dict[str, Any], in_hw: Sequence[int], kernel: int,
              stride: int) -> list[int]:
        """ONNX pads [top, left, bottom, right], with auto_pad resolved against the input."""
        mode = attrs.get("auto_pad", "NOTSET")
        if mode in ("NOTSET", ""):
            pads = list(attrs.get("pads", [0, 0, 0, 0]))
            if len(pads) != 4:
                self._fail(node, f"pads {pads} must have four values for a 2-D window")
            return pads
        if mode == "VALID":
            return [0, 0, 0, 0]
        if mode not in ("SAME_UPPER", "SAME_LOWER"):
            self._fail(node, f"auto_pad {mode!r} is not supported (NOTSET, VALID, SAME_UPPER, "
                             "SAME_LOWER)")
        begin, end = [], []
        for size in in_hw:
            total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
            small, large = total // 2, total - total // 2
            begin.append(small if mode == "SAME_UPPER" else large)
            end.append(large if mode == "SAME_UPPER" else small)
        return [*begin, *end]

    def _out_hw(self, node: Any) -> tuple[int, int] | None:
        dims = self.shapes.get(node.output[0])
        if dims is None or len(dims) != 4 or not all(isinstance(d, int) for d in dims[2:]):
            return None
        return (int(dims[2]), int(dims[3]))  # type: ignore[arg-type]

    def _symmetric_pad(self, node: Any, pads: list[int], fits: Any) -> int:
        """The one symmetric pad that puts every window where ONNX does.

        Windows start at ``-pad_begin``; the end pad only decides how many windows there are.
        So begin pads must agree on both axes, and ``fits(pad)`` (same output size) must hold.
        """
        if pads[0] != pads[1] or not fits(pads[0]):
            mode = _attrs(node).get("auto_pad", "NOTSET")
            source = f"auto_pad {mode} gives " if mode not in ("NOTSET", "") else ""
            self._fail(node, f"{source}pads {pads} (top, left, bottom, right) cannot be "
                             "reproduced by fpgagen's symmetric padding; use equal pads on "
                             "all sides")
        return int(pads[0])

    # -- op handlers (one per supported ONNX op)

    def _constant(self, node: Any) -> None:
        from onnx import numpy_helper

        attr = node.attribute[0]
        if attr.name == "value":
            value = numpy_helper.to_array(attr.t)
        elif attr.name in ("value_float", "value_floats", "value_int", "value_ints"):
            value = np.array(_attrs(node)[attr.name])
        else:
            self._fail(node, f"constant kind {attr.name!r} is not supported")
        self.consts[node.output[0]] = value

    def _dropout(self, node: Any) -> None:
        if len(node.input) > 2 and node.input[2]:
            mode = self._const(node, node.input[2], "training_mode")
            if bool(np.asarray(mode).item()):
                self._fail(node, "training_mode is true; fpgagen supports inference only")
        self._unused_outputs(node, "the dropout mask")
        self._pass_through(node)

    def _pass_through(self, node: Any) -> None:
        src = node.input[0]
        if src in self.consts:  # exporters without constant folding wrap weights in Identity
            self.consts[node.output[0]] = self.consts[src]
            return
        if src in self.tail:
            self.tail.add(node.output[0])
        self.alias[node.output[0]] = self._act(node, src)

    def _conv(self, node: Any) -> None:
        attrs = _attrs(node)
        weight = self._const(node, node.input[1], "weight").astype(np.float64)
        if weight.ndim != 4:
            self._fail(node, f"weight has {weight.ndim} dimensions; fpgagen supports 2-D convs")
        src = self._act(node, node.input[0])
        _, cin, h, w = self._nchw(node, node.input[0])
        group = int(attrs.get("group", 1))
        if group != 1 and group == cin and weight.shape[0] % cin == 0:
            self._fail(node, f"depthwise convolution (group={group} = input channels) is not "
                             "supported yet; fpgagen's engine runs group=1 convs only")
        if group != 1:
            self._fail(node, f"grouped convolution (group={group} on {cin} input channels) is "
                             "not supported; fpgagen's engine runs group=1 convs only")
        kernel, stride = self._window(node, attrs, weight.shape[2:])
        if weight.shape[1] != cin or weight.shape[2:] != (kernel, kernel):
            self._fail(node, f"weight shape {list(weight.shape)} does not match input channels "
                             f"{cin} and kernel {kernel}x{kernel}")
        pads = self._pads(node, attrs, (h, w), kernel, stride)
        out = self._out_hw(node) or tuple(
            (n + pads[i] + pads[i + 2] - kernel) // stride + 1 for i, n in enumerate((h, w)))

        def fits(p: int) -> bool:
            return out == (g.conv_out_size(h, kernel, stride, p),
                           g.conv_out_size(w, kernel, stride, p))

        pad = self._symmetric_pad(node, pads, fits)
        has_bias = len(node.input) > 2 and node.input[2]
        bias = (self._const(node, node.input[2], "bias").astype(np.float64) if has_bias
                else np.zeros(weight.shape[0]))
        name = self._new_name(node)
        self._emit(node, g.conv(name, src, int(weight.shape[0]), kernel, stride, pad,
                                relu=False))
        self.kernels[name], self.biases[name] = weight, bias.reshape(-1)

    def _batch_normalization(self, node: Any) -> None:
        attrs = _attrs(node)
        if attrs.get("training_mode", 0) or attrs.get("spatial", 1) != 1:
            self._fail(node, "training mode / non-spatial batch norm is not supported")
        self._unused_outputs(node, "running statistics")
        layer = self.layers.get(self._act(node, node.input[0]))
        if layer is None or layer.op != "conv" or layer.relu or self._readers(node.input[0]) != 1:
            self._fail(node, "BatchNormalization is supported only directly after a Conv that "
                             "feeds nothing else (it is folded into the conv's weights)")
        scale, beta, mean, var = (self._const(node, n, what).astype(np.float64).reshape(-1)
                                  for n, what in zip(node.input[1:5],
                                                     ("scale", "B", "mean", "var"), strict=True))
        factor = scale / np.sqrt(var + float(attrs.get("epsilon", 1e-5)))
        self.kernels[layer.name] = self.kernels[layer.name] * factor[:, None, None, None]
        self.biases[layer.name] = (self.biases[layer.name] - mean) * factor + beta
        self.alias[node.output[0]] = layer.name

    def _relu(self, node: Any) -> None:
        src = self._act(node, node.input[0])
        layer = self.layers.get(src)
        if self._non_negative(src):
            self.alias[node.output[0]] = src  # relu(x) == x: nothing to do
        elif (layer is not None and layer.op in ("conv", "add")
              and self._readers(node.input[0]) == 1):
            self.layers[src] = replace(layer, relu=True)
            self.alias[node.output[0]] = src
        else:
            self._fail(node, "a Relu is supported only as the sole consumer of a Conv or Add "
                             "output (fpgagen fuses it into that layer)")

    def _non_negative(self, tensor: str) -> bool:
        """True when a tensor cannot hold negative values (so a Relu on it changes nothing)."""
        layer = self.layers.get(tensor)
        if layer is None:
            return False
        if layer.op in ("conv", "add"):
            return layer.relu
        return all(self._non_negative(t) for t in layer.inputs)

    def _clip(self, node: Any) -> None:
        """Clip with constant bounds (attributes before opset 11, constant inputs from 11 on;
        a missing bound is open) fuses into the conv or add it reads, like Relu: the requantizer
        clamps. A lower bound >= 0 also sets the layer's ReLU, so the tensor stays unsigned."""
        lo, hi = self._clip_bounds(node)
        src = self._act(node, node.input[0])
        layer = self.layers.get(src)
        if layer is None or layer.op not in ("conv", "add") or self._readers(node.input[0]) != 1:
            self._fail(node, "a Clip is supported only as the sole consumer of a Conv or Add "
                             "output (fpgagen clamps in that layer's requantizer)")
        if layer.clip_lo is not None:
            lo = layer.clip_lo if lo is None else max(lo, layer.clip_lo)
        if layer.clip_hi is not None:
            hi = layer.clip_hi if hi is None else min(hi, layer.clip_hi)
        if layer.relu:
            lo = 0.0 if lo is None else max(lo, 0.0)
        if lo is not None and hi is not None and lo > hi:
            self._fail(node, f"bounds [{lo:g}, {hi:g}] are empty (min > max)")
        if lo is None and hi is None:
            self.alias[node.output[0]] = src  # no bound: Clip is the identity
            return
        self.layers[src] = replace(layer, relu=layer.relu or (lo is not None and lo >= 0),
                                   clip_lo=lo, clip_hi=hi)
        self.alias[node.output[0]] = src

    def _clip_bounds(self, node: Any) -> tuple[float | None, float | None]:
        """The (min, max) of a Clip as floats (None: absent); refuses non-constant bounds."""
        attrs = _attrs(node)
        bounds: list[float | None] = [None, None]
        if "min" in attrs or "max" in attrs:  # opset < 11
            bounds = [attrs.get("min"), attrs.get("max")]
        for i, what in ((1, "min"), (2, "max")):
            if len(node.input) > i and node.input[i]:
                name = node.input[i]
                if name not in self.consts:
                    self._fail(node, f"{what} bound {name!r} is not a constant; fpgagen clamps "
                                     "to constant bounds only (initializers or Constant nodes)")
                value = np.asarray(self.consts[name], dtype=np.float64)
                if value.size != 1:
                    self._fail(node, f"{what} bound {name!r} has {value.size} values; Clip "
                                     "takes one scalar per bound")
                bounds[i - 1] = float(value.reshape(-1)[0])
        out: list[float | None] = []
        for v in bounds:
            if v is not None and not math.isfinite(v):
                v = None  # +-inf (or the float range's ends, below) is an open side
            elif v is not None and abs(v) >= float(np.finfo(np.float32).max):
                v = None
            out.append(v)
        return out[0], out[1]

    def _flat_source(self, node: Any, name: str) -> str:
        """The fpgagen tensor behind the [N, C] input of a Gemm/MatMul: a 1x1 map, flattened
        (Flatten/Reshape of a 1x1 map only rename it) or read as [1, C, 1, 1]."""
        src = self._act(node, name)
        shape = self._fpgagen_shape(src)
        if shape is None or shape[:2] != (1, 1):
            shown = "x".join(map(str, shape)) if shape else "unknown"
            self._fail(node, f"reads {name!r}, a {shown} (HxWxC) map; fpgagen runs a Gemm/MatMul "
                             "only on a 1x1 map (GlobalAveragePool -> Flatten -> Gemm), as a 1x1 "
                             "conv")
        self._check_not_after_tail(node)  # a 1x1 map after a Softmax is still the tail
        return src

    def _fpgagen_shape(self, tensor: str) -> tuple[int, int, int] | None:
        """(H, W, C) of an fpgagen tensor from the ONNX shapes (None when not known)."""
        if tensor == g.INPUT:
            return self._input_hwc()
        if tensor in self.linear:
            return (1, 1, self.layers[tensor].out_channels)
        origin = self.origin.get(tensor)
        dims = self.shapes.get(origin.tensor) if origin else None
        if dims is None or len(dims) != 4 or not all(isinstance(d, int) for d in dims):
            return None
        return (int(dims[2]), int(dims[3]), int(dims[1]))  # type: ignore[arg-type]

    def _gemm(self, node: Any) -> None:
        """Gemm on a flattened 1x1 map -> a 1x1 conv: Y = X B^T (transB=1) or X B, + C."""
        attrs = _attrs(node)
        alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))
        if alpha != 1.0 or beta != 1.0:
            self._fail(node, f"alpha={alpha:g}, beta={beta:g}; fpgagen lowers a Gemm with "
                             "alpha = beta = 1 only")
        if attrs.get("transA", 0):
            self._fail(node, "transA=1 is not supported (the activation must be [1, C])")
        src = self._flat_source(node, node.input[0])
        weight = self._const(node, node.input[1], "B").astype(np.float64)
        if weight.ndim != 2:
            self._fail(node, f"B has {weight.ndim} dimensions; a Gemm's B is 2-D")
        kernel = weight if attrs.get("transB", 0) else weight.T  # (out, in)
        bias = None
        if len(node.input) > 2 and node.input[2]:
            bias = self._const(node, node.input[2], "C").astype(np.float64)
        self._linear(node, src, kernel, bias)

    def _matmul(self, node: Any) -> None:
        """MatMul of a flattened 1x1 map by a constant [C, K] -> a 1x1 conv (an Add of a
        constant bias after it folds into the conv's bias, `_add`)."""
        src = self._flat_source(node, node.input[0])
        weight = self._const(node, node.input[1], "the weight").astype(np.float64)
        if weight.ndim != 2:
            self._fail(node, f"the weight has {weight.ndim} dimensions; fpgagen lowers a MatMul "
                             "by a constant 2-D [C, K] matrix only")
        self._linear(node, src, weight.T, None)

    def _linear(self, node: Any, src: str, kernel: np.ndarray, bias: np.ndarray | None
                ) -> None:
        """A fully connected layer on a 1x1 map of C channels: a 1x1 conv, kernel (K, C)."""
        shape = self._fpgagen_shape(src)
        assert shape is not None
        cin = shape[2]
        if kernel.shape[1] != cin:
            self._fail(node, f"weight shape {list(kernel.shape)} (out, in) does not match the "
                             f"{cin} input features")
        k = kernel.shape[0]
        b = np.zeros(k)
        if bias is not None:
            if bias.size not in (1, k):
                self._fail(node, f"bias C has {bias.size} values for {k} outputs")
            b = b + bias.reshape(-1)
        name = self._new_name(node)
        self._emit(node, g.conv(name, src, int(k), 1, relu=False))
        self.kernels[name] = kernel.reshape(k, cin, 1, 1)
        self.biases[name] = b
        self.linear.add(name)

    def _max_pool(self, node: Any) -> None:
        attrs = _attrs(node)
        if attrs.get("storage_order", 0):
            self._fail(node, "storage_order 1 is not supported")
        self._unused_outputs(node, "the argmax indices")
        src = self._act(node, node.input[0])
        _, _, h, w = self._nchw(node, node.input[0])
        kernel, stride = self._window(node, attrs, None)
        pads = self._pads(node, attrs, (h, w), kernel, stride)
        rounding = math.ceil if attrs.get("ceil_mode", 0) else math.floor
        out = self._out_hw(node) or tuple(
            rounding((n + pads[i] + pads[i + 2] - kernel) / stride) + 1
            for i, n in enumerate((h, w)))

        def sizes(p: int, mode: bool) -> tuple[int, int]:
            return (g.pool_out_size(h, kernel, stride, p, mode),
                    g.pool_out_size(w, kernel, stride, p, mode))

        # Either rounding mode is exact if it yields the same windows (old exporters emulate
        # ceil mode with an extra bottom/right pad); ceil mode, the zoo's, wins a tie.
        pad = self._symmetric_pad(node, pads, lambda p: out in (sizes(p, True), sizes(p, False)))
        mode = sizes(pad, True) == out
        self._emit(node, g.maxpool(self._new_name(node), src, kernel, stride, pad, mode))

    def _global_average_pool(self, node: Any) -> None:
        self._emit(node, g.avgpool(self._new_name(node), self._act(node, node.input[0])))

    def _average_pool(self, node: Any) -> None:
        attrs = _attrs(node)
        src = self._act(node, node.input[0])
        _, _, h, w = self._nchw(node, node.input[0])
        kernel_shape = list(attrs.get("kernel_shape", []))
        pads = self._pads(node, attrs, (h, w), h, 1) if kernel_shape == [h, w] else [1]
        if kernel_shape != [h, w] or any(pads) or self._out_hw(node) not in (None, (1, 1)):
            self._fail(node, f"AveragePool {kernel_shape} on a {h}x{w} map: fpgagen supports "
                             "only an average over the whole map (kernel = input size, no pads)")
        self._emit(node, g.avgpool(self._new_name(node), src))

    def _concat(self, node: Any) -> None:
        axis = _attrs(node).get("axis", 1)
        if axis not in (1, -3):
            self._fail(node, f"axis {axis} is not supported; fpgagen concatenates channels "
                             "(axis 1 of NCHW)")
        srcs = [self._act(node, name) for name in node.input]
        if len(srcs) == 1:
            self.alias[node.output[0]] = srcs[0]
            return
        self._emit(node, g.concat(self._new_name(node), *srcs))

    def _add(self, node: Any) -> None:
        if any(name in self.consts for name in node.input):
            self._bias_add(node)
            return
        a, b = (self._act(node, name) for name in node.input)
        shape_a, shape_b = self._nchw(node, node.input[0]), self._nchw(node, node.input[1])
        if shape_a != shape_b:
            self._fail(node, f"inputs have shapes {list(shape_a)} and {list(shape_b)}; fpgagen "
                             "adds equal shapes only (no broadcasting)")
        self._emit(node, g.add(self._new_name(node), a, b))

    def _feeds_linear(self, node: Any) -> bool:
        """Whether a Gemm or MatMul reads this node's output: it then names the problem of a
        flattened map that is not 1x1 (`_flat_source`)."""
        out = node.output[0]
        return any(n.op_type in ("Gemm", "MatMul") and n.input and n.input[0] == out
                   for n in self.graph.node)

    def _bias_add(self, node: Any) -> None:
        """Add of a constant to a MatMul's (or Gemm's) output: folded into its 1x1 conv's bias
        when the layer feeds nothing else and has no ReLU or clamp yet."""
        const = next(n for n in node.input if n in self.consts)
        act = next((n for n in node.input if n not in self.consts), None)
        if act is None:
            self._fail(node, "both inputs are constants")
        src = self._act(node, act)
        layer = self.layers.get(src)
        if (src not in self.linear or layer is None or layer.relu or layer.clipped
                or self._readers(act) != 1):
            self._fail(node, f"input {const!r} is a constant; fpgagen adds a constant only as "
                             "the bias of a MatMul or Gemm on a 1x1 map that feeds nothing else")
        bias = np.asarray(self.consts[const], dtype=np.float64).reshape(-1)
        k = layer.out_channels
        if bias.size not in (1, k):
            self._fail(node, f"the constant has {bias.size} values for {k} outputs")
        self.biases[src] = self.biases[src] + bias
        self.alias[node.output[0]] = src

    def _tail_op(self, node: Any) -> None:
        """Drop a tail op: it must not feed any layer, and must not reorder the logits.

        A Flatten or Reshape of a 1x1 map is removed wherever it is (its C values keep their
        order, HWC or NCHW alike): its output names the same tensor, which a Gemm/MatMul may
        read (`_gemm`)."""
        src = node.input[0]
        tensor = self._act(node, src)
        if node.op_type != "Softmax" and src not in self.tail:
            shape = self._fpgagen_shape(tensor)
            if shape is not None and shape[:2] == (1, 1):
                self.alias[node.output[0]] = tensor
                self.dropped.append(f"{node.op_type} {self._node_label(node)} (of a 1x1 map)")
                return
        dims = self.shapes.get(src)
        if (node.op_type != "Softmax" and src not in self.tail and dims is not None
                and len(dims) == 4 and dims[2:] != (1, 1) and not self._feeds_linear(node)):
            shown = "x".join(map(str, dims[1:]))
            self._fail(node, f"flattens a map of {shown} (CxHxW); fpgagen emits HWC order, so "
                             "only 1x1 maps may be flattened at the tail")
        self.tail.add(node.output[0])
        self.alias[node.output[0]] = self.alias[src]
        self.dropped.append(f"{node.op_type} {self._node_label(node)}")

    # -- results

    def _check_shapes(self, graph: Graph) -> None:
        """Every layer's shape must be the one ONNX inferred (guards rounding-rule mismatches)."""
        for lay in graph.layers:
            origin = self.origin[lay.name]
            dims = self.shapes.get(origin.tensor)
            if dims is None or len(dims) != 4:
                continue
            expected = (dims[2], dims[3], dims[1])
            if expected != graph.shape(lay.name):
                raise FpgagenError(f"ONNX node {origin.node!r} ({origin.op}): fpgagen computes "
                                   f"output {'x'.join(map(str, graph.shape(lay.name)))} (HxWxC) "
                                   f"but ONNX infers {'x'.join(map(str, expected))}")

    def _weights(self) -> dict[str, np.ndarray]:
        weights: dict[str, np.ndarray] = {}
        for name, kernel in self.kernels.items():
            weights[f"{name}.weight"] = np.ascontiguousarray(
                kernel.transpose(2, 3, 1, 0), dtype=np.float32)
            weights[f"{name}.bias"] = self.biases[name].astype(np.float32)
        return weights
