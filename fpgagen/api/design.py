"""`Design`: one network on one board at one precision, and what can be done with it.

    design = Design("squeezenet", board="zc706", precision="8")
    design.check()             # CheckResult: the fit, the memories, the estimate (check --json)
    design.predict(x)          # Prediction: golden and float logits, SQNR (run --json)
    build = design.build("out")  # Build: the folder (build --json)
    build.verify(csim=True, rtl=True)  # Verification (verify --json)

Every result is a `Record`: a read-only mapping with the fields of the command's JSON output,
read as attributes too (``design.check().fits``), ``to_json()`` for the plain object. Bad
input raises `FpgagenError` with the one line the command prints.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from fpgagen.api.checking import Result, check_design, quality_probe, result_json
from fpgagen.api.inputs import (
    Calibration,
    Image,
    as_precision,
    calibration_described,
    input_described,
    load_input,
    quantize_network,
)
from fpgagen.api.models import Weights, load_network, model_info, weights_described
from fpgagen.api.records import Record, _attach
from fpgagen.errors import FpgagenError
from fpgagen.frontend.graph import INPUT, Graph
from fpgagen.frontend.labels import ModelInfo
from fpgagen.plan.boards import Board, load_board
from fpgagen.plan.budget import parse_size
from fpgagen.plan.engine import EngineConfig, parse_pe
from fpgagen.plan.plan import AUTO, WEIGHT_SOURCES, pixel_engine
from fpgagen.quant.precision import Precision, precision_label
from fpgagen.quant.quality import QualityProbe, layer_sqnr
from fpgagen.quant.quantize import DEFAULT_CALIB_HEADROOM, QGraph, check_headroom
from fpgagen.util.progress import Steps

DEFAULT_BOARD = "zc706"

# a progress bar: entered, it yields update(done, total), or None for no bar
ProgressBar = Callable[[], AbstractContextManager[Callable[[int, int], None] | None]]


@contextlib.contextmanager
def _no_bar() -> Iterator[None]:
    yield None


def as_board(board: str | Board) -> Board:
    return board if isinstance(board, Board) else load_board(board)


def as_engine(pe: str | EngineConfig | None) -> EngineConfig | None:
    """``None`` or ``"auto"``: the board's default engine; else ``"16x32"`` or an EngineConfig."""
    if pe is None or isinstance(pe, EngineConfig):
        return pe
    return None if pe.lower() == "auto" else parse_pe(pe)


def as_budget(budget: str | int | None) -> int | None:
    if budget is None or isinstance(budget, int):
        return budget
    return parse_size(budget)


class CheckResult(Record):
    """``check --json`` of one design; ``.plan`` (the `Plan`), ``.verdict``, ``.result``."""

    __slots__ = ("plan", "result", "verdict")


class Prediction(Record):
    """``run --json`` of one image; ``.qgraph`` is the quantized network, ``.outputs`` the
    golden model's integers of every tensor."""

    __slots__ = ("outputs", "qgraph")


def _top5(logits: np.ndarray) -> list[int]:
    return [int(i) for i in np.argsort(-logits, kind="stable")[:5]]


def prediction_json(qgraph: QGraph, weights: Mapping[str, np.ndarray], x: np.ndarray
                    ) -> tuple[dict[str, Any], Mapping[str, np.ndarray]]:
    """Golden and float outputs of one image, summarized (the ``run --json`` schema without
    the class names), and the golden model's integer outputs."""
    from fpgagen.quant import golden, reference

    graph = qgraph.graph
    fixed, saturated = golden.run_counted(qgraph, qgraph.quantize_input(x))
    saturated = {INPUT: qgraph.input_out_of_range(x), **saturated}
    ref = reference.run(graph, weights, x)
    names = [INPUT, *(lay.name for lay in graph.layers)]
    sqnr = layer_sqnr(qgraph, ref, fixed, names)
    lf = qgraph.dequantize(graph.output, fixed[graph.output]).ravel()
    lr = ref[graph.output].astype(np.float64).ravel()
    top_fixed, top_float = _top5(lf), _top5(lr)
    return {
        "model": graph.name,
        "precision": qgraph.precision.text,
        "precision_label": precision_label(qgraph.precision),
        "input_type": str(qgraph.input_type),
        "output_type": str(qgraph.output_type),
        "top5_fixed": top_fixed,
        "top5_float": top_float,
        "top1_agree": top_fixed[0] == top_float[0],
        "logits_fixed": [float(v) for v in lf],
        "logits_float": [float(v) for v in lr],
        "types": {n: str(qgraph.type(n)) for n in names},
        "sqnr_db": {n: (None if math.isinf(v) else round(v, 3)) for n, v in sqnr.items()},
        "calib_headroom_bits": qgraph.headroom,
        "saturated": saturated,
        "elements": {n: int(fixed[n].size) for n in names},
    }, fixed


class Design:
    """One design: a model (zoo name, alias, ``.onnx`` file, ``squeezenet:...`` family spec),
    a board, a precision, an engine and how it is quantized. The arguments mean what the
    commands' options of the same names mean (docs/reference.md): ``pe`` ``None`` or
    ``"auto"`` is the board's engine, ``budget`` a byte count or ``"8MB"``, ``weights``
    ``"random"``, an ``.npz`` path or a mapping of arrays, ``calib`` an ``.npy``, ``"digits"``,
    an image folder or an array, ``weight_source`` where the weights are at power-up
    (``"auto"``, ``"bitstream"`` or ``"runtime"``: loaded through in_stream). The graph is
    read at once (or given as ``graph``, read earlier from the same model); weights,
    calibration and the quantized network on first use, then kept."""

    def __init__(self, model: str | Path, board: str | Board = DEFAULT_BOARD,
                 precision: str | Precision | None = "8", pe: str | EngineConfig | None = None,
                 *, fuse: bool = True, budget: str | int | None = None,
                 input_size: int | None = None, weights: Weights = "random", seed: int = 0,
                 calib: Calibration = None, calib_images: int | None = None,
                 calib_headroom: int = DEFAULT_CALIB_HEADROOM, graph: Graph | None = None,
                 weight_source: str = AUTO) -> None:
        self.board = as_board(board)
        self.budget = as_budget(budget)
        self.precision = as_precision(precision)
        self.engine = as_engine(pe)
        self.model = str(model)
        self.fuse = fuse
        self.input_size = input_size
        self.weights_arg = weights
        self.seed = seed
        self.calib = calib
        self.calib_images = calib_images
        self.calib_headroom = calib_headroom
        if weight_source not in WEIGHT_SOURCES:
            raise FpgagenError(f"weight_source {weight_source!r}: one of "
                               f"{', '.join(WEIGHT_SOURCES)}")
        self.weight_source = weight_source
        # ``graph``: the model's graph when the caller has read it already (check's matrix)
        self.graph: Graph = graph if graph is not None else load_network(
            self.model, input_size, weights, seed, with_weights=False)[0]
        self._qgraph: QGraph | None = None
        self._calibration_fact: dict[str, Any] | None = None  # where quantize's images came from

    def __repr__(self) -> str:
        return (f"Design({self.model!r}, board={self.board.name!r}, "
                f"precision={self.precision.text!r}, pe={str(self.engine or 'auto')!r})")

    # --- what the design is made of ---------------------------------------------------------

    @functools.cached_property
    def weights(self) -> Mapping[str, np.ndarray]:
        """The float weights (``<layer>.weight`` HWIO, ``<layer>.bias``)."""
        _, arrays = load_network(self.model, self.input_size, self.weights_arg, self.seed)
        assert arrays is not None
        return arrays

    @functools.cached_property
    def info(self) -> ModelInfo:
        """Class names, preprocessing and weight provenance."""
        return model_info(self.model, self.graph, self.weights_arg)

    def input(self, x: Image = None) -> np.ndarray:
        """The float image ``x`` (an array, an .npy or PNG/JPEG path; None: seeded synthetic),
        preprocessed as the model says."""
        return load_input(x, self.graph, self.seed, self.info.preprocess)

    def calibration(self) -> np.ndarray:
        """The calibration images (``calib``, else the model's training split, else
        ``calib_images`` seeded synthetic images)."""
        return self.calibration_described()[0]

    def calibration_described(self) -> tuple[np.ndarray, dict[str, Any]]:
        """`calibration` and where its images came from (a build report's reproduce block)."""
        return calibration_described(self.calib, self.graph, self.info, self.seed,
                                     self.calib_images)

    def quantize(self, progress: Callable[[int, int], None] | None = None) -> QGraph:
        """The quantized network (calibrated once, then kept); ``progress(done, total)``."""
        if self._qgraph is None:
            self.precision.check_layers([lay.name for lay in self.graph.layers])
            headroom = check_headroom(self.calib_headroom)
            images, fact = self.calibration_described()
            self._qgraph = quantize_network(self.graph, self.weights, self.precision,
                                            images, headroom, progress)
            self._calibration_fact = fact
        return self._qgraph

    # --- check, predict, build --------------------------------------------------------------

    def check(self, probe: Callable[[], QualityProbe] | None = None) -> CheckResult:
        """The fit verdict, memories, resources and estimate: ``check --json`` of this design.
        A design that does not fit lists what would (narrower precisions rated by their logits
        SQNR on ``fpgagen run``'s default image, unless ``probe`` rates them otherwise). With
        the board's engine (no ``pe``), also the fastest pixel-parallel engine (``pixel_engine``
        in the JSON)."""
        if probe is None:
            probe = quality_probe(self.model, self.graph, self.input_size,
                                  self.weights_arg, self.seed)
        res = check_design(self.graph, self.board, self.precision, self.engine, self.fuse,
                           self.budget, probe, self.weight_source)
        if self.engine is None:  # the board's engine: name the pixel-parallel one and its limit
            res = replace(res, pixel=pixel_engine(self.graph, self.board, self.precision,
                                                  self.fuse, res.plan.engine.p_in))
        return check_record(res)

    def predict(self, x: Image = None,
                progress: Callable[[int, int], None] | None = None) -> Prediction:
        """One image through the golden model and the float reference: ``run --json``."""
        image = self.input(x)
        qgraph = self.quantize(progress)
        res, fixed = prediction_json(qgraph, self.weights, image)
        info = self.info
        res["names_fixed"] = [info.name(i) for i in res["top5_fixed"]] if info.labels else None
        res["names_float"] = [info.name(i) for i in res["top5_float"]] if info.labels else None
        res["random_weights"] = info.random_weights
        rec = Prediction(res)
        _attach(rec, qgraph=qgraph, outputs=fixed)
        return rec

    def reproduce(self, x: Image = None, command: Sequence[str] | None = None,
                  out: str | Path | None = None, force: bool = False) -> dict[str, Any]:
        """What a build of this design on ``x`` is made from: the report's ``reproduce``
        section (`fpgagen.report.provenance.reproduce_section`): the command line when given,
        else the Python call (``api``); the seed; the weights, calibration images, input image
        and model file, each file with its SHA-256; the versions. Quantizes first when that
        has not happened yet (the calibration images are part of it)."""
        from fpgagen.report.provenance import reproduce_section

        self.quantize()
        assert self._calibration_fact is not None
        weights, model_file = weights_described(self.model, self.weights_arg, self.seed)
        return reproduce_section(command, self.seed, weights, self._calibration_fact,
                                 input_described(x, self.seed), model_file,
                                 call=None if command is not None else
                                 self.build_call(x, out, force))

    def call(self) -> str:
        """This design as the Python call that makes it again (arrays given from Python are
        named by their shape: the reproduce block records their SHA-256)."""
        args = [repr(self.model), f"board={self.board.name!r}",
                f"precision={self.precision.text!r}"]
        if self.engine is not None:
            args.append(f"pe={str(self.engine)!r}")
        for name, value, default in (
                ("fuse", self.fuse, True), ("budget", self.budget, None),
                ("input_size", self.input_size, None), ("weights", self.weights_arg, "random"),
                ("seed", self.seed, 0), ("calib", self.calib, None),
                ("calib_images", self.calib_images, None),
                ("calib_headroom", self.calib_headroom, DEFAULT_CALIB_HEADROOM),
                ("weight_source", self.weight_source, AUTO)):
            if isinstance(value, (np.ndarray, Mapping)) or value != default:
                args.append(f"{name}={_python_arg(value)}")
        return f"fpgagen.Design({', '.join(args)})"

    def build_call(self, x: Image = None, out: str | Path | None = None,
                   force: bool = False) -> str:
        """``fpgagen.Design(...).build(...)`` as it makes this build again."""
        args = [repr(str(out if out is not None else self.default_out()))]
        if force:
            args.append("force=True")
        if x is not None:
            args.append(f"x={_python_arg(x)}")
        return f"{self.call()}.build({', '.join(args)})"

    def default_out(self) -> Path:
        """Where ``build`` writes without ``out``: build/<model>-<board>."""
        return Path("build") / f"{self.graph.name}-{self.board.name}"

    def build(self, out: str | Path | None = None, force: bool = False, x: Image = None,
              steps: Steps | None = None, calibrating: ProgressBar | None = None,
              command: Sequence[str] | None = None) -> Build:
        """Check, quantize, run the golden model on ``x`` and write the build folder ``out``
        atomically: ``build --json``. A design that does not fit writes nothing
        (``built`` is False, ``check`` says why). ``steps`` reports each step;
        ``calibrating()`` is entered around the quantization and yields its progress
        callback (a bar). ``command``: the command line that asked for the build (``fpgagen``'s
        arguments), for the report's reproduce block; without it the block records this call
        (`build_call`).

        The engine's rules and the fit are judged before the image is read or made, and the
        image and the calibration images are refused in one line when the golden model would
        not fit in memory (`fpgagen.quant.footprint`): nothing large is allocated for a
        design that cannot be built."""
        from fpgagen.pipeline import make_design, write_design
        from fpgagen.system.blockdesign import system_summary
        from fpgagen.util.outdir import atomic_dir, check_target

        steps = steps or Steps(quiet=True)
        if out is not None:  # before the weights are even read: a bad target costs nothing
            check_target(Path(out), force)
        weights = self.weights
        target = Path(out) if out is not None else self.default_out()
        check_target(target, force)

        @functools.cache  # read after the plan: what check refuses is refused before allocating
        def image() -> np.ndarray:
            return self.input(x)

        @functools.cache  # made once, if the design does not fit: rates narrower precisions
        def probe() -> QualityProbe:
            return QualityProbe(self.graph, weights, self.calibration(), image(),
                                check_headroom(self.calib_headroom))

        with steps.step("memory plan and budget check"):
            result = check_design(self.graph, self.board, self.precision, self.engine,
                                  self.fuse, self.budget, probe, self.weight_source)
        x_float = image()
        if not result.verdict.fits:
            rec = Build({"built": False, "check": result_json(result)})
            _attach(rec, path=None, check_result=result)
            return rec
        with (calibrating or _no_bar)() as update:
            qgraph = self.quantize(update)
        reproduce = self.reproduce(x, command, target, force)
        with steps.step("golden model"):
            design = make_design(result.plan, qgraph, result.verdict, result_json(result),
                                 x_float, weights, reproduce, self.info)
        with (steps.step(f"HLS C++, Verilog, vectors and reports -> {target}"),
              atomic_dir(target, force) as tmp):
            report = write_design(tmp, design)
        rec = Build({"built": True, "out": str(target),
                     "system": system_summary(self.board, target), "report": report})
        _attach(rec, path=target, check_result=result)
        return rec


def _python_arg(value: Any) -> str:
    """An argument as Python source; arrays from Python by their shape and type only."""
    if isinstance(value, np.ndarray):
        return f"<array {'x'.join(map(str, value.shape))} {value.dtype}>"
    if isinstance(value, Mapping):
        return f"<{len(value)} arrays>"
    if isinstance(value, Path):
        return repr(str(value))
    return repr(value)


def check_record(res: Result) -> CheckResult:
    rec = CheckResult(result_json(res))
    _attach(rec, plan=res.plan, verdict=res.verdict, result=res)
    return rec


class Verification(Record):
    """``verify --json`` of a build: ``csim``, ``tensors``, ``hls_gates``, ``rtl``,
    ``rtl_tensors`` (those that ran); ``.ok`` all bit-exact and every gate passed;
    ``.csim_outcome``, ``.rtl_outcome`` the details."""

    __slots__ = ("csim_outcome", "rtl_outcome")

    @property
    def ok(self) -> bool:
        return all(o.ok for o in (self.csim_outcome, self.rtl_outcome) if o is not None)


class Synthesis(Record):
    """``synth --json`` of a build: ``synth`` and, with ``ecp5``, ``ecp5``."""

    __slots__ = ()


class Build(Record):
    """``build --json``: ``built``, ``out``, ``system``, ``report`` (or ``built`` False and
    ``check``). `Build.open` reads an existing build folder; ``.path`` is the folder."""

    __slots__ = ("check_result", "path")

    @classmethod
    def open(cls, folder: str | Path) -> Build:
        """A build folder written earlier (by `Design.build` or ``fpgagen build``)."""
        import json

        from fpgagen.api.verification import check_build_dir

        d = Path(folder)
        check_build_dir(d)
        rec = cls({"built": True, "out": str(d), "report": json.loads(
            (d / "report.json").read_text())})
        _attach(rec, path=d, check_result=None)
        return rec

    def _folder(self) -> Path:
        if self.path is None:
            raise FpgagenError("the design did not fit: nothing was built "
                               "(see the record's 'check')")
        return self.path

    def verify(self, csim: bool | None = None, rtl: bool = False, stream: int = 2,
               steps: Steps | None = None) -> Verification:
        """C-simulation with the HLS gates (``csim``, the default when ``rtl`` is not asked)
        and RTL simulation (``rtl``; ``stream`` images back to back): ``verify --json``."""
        from fpgagen.api.verification import check_build_dir, check_vectors_of, run_csim, run_rtl

        d = self._folder()
        steps = steps or Steps(quiet=True)
        check_build_dir(d)
        check_vectors_of(d)
        do_csim = csim if csim is not None else not rtl
        out: dict[str, Any] = {}
        c = r = None
        if do_csim:
            c = run_csim(d, steps)
            out.update(c.to_json())
        if rtl:
            r = run_rtl(d, stream, steps)
            out.update(r.to_json())
        rec = Verification(out)
        _attach(rec, csim_outcome=c, rtl_outcome=r)
        return rec

    def synth(self, ecp5: bool = False, seed: int = 1, steps: Steps | None = None) -> Synthesis:
        """Yosys resources (and with ``ecp5`` the ECP5 Fmax): ``synth --json``."""
        from fpgagen.api.silicon import synthesize

        return Synthesis(synthesize(self._folder(), steps or Steps(quiet=True), ecp5, seed))
