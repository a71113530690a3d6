"""The space a sweep covers and the constraints it judges, parsed and checked before any work:
bad input is one line (`FpgagenError`), and nothing is written.

A sweep is models x boards x precisions x engines, in the order given (points are numbered in
that order, so results are ordered the same whatever ran them). Models are zoo names, ``.onnx``
files or SqueezeNet family specs (``squeezenet:sr=0.25,...``, fpgagen/frontend/family.py);
boards are names, aliases or ``all``; precisions any ``--precision`` text; engines ``auto`` (the
board's default engine) or ``PxQ``. A family spec may give alternatives with ``|``
(``squeezenet:sr=0.125|0.25|0.5,pct3x3=0.25|0.75,data=digits`` is six models).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fpgagen.api.models import load_graph
from fpgagen.errors import FpgagenError
from fpgagen.frontend.family import is_family, split_models
from fpgagen.plan.boards import all_boards, load_board
from fpgagen.plan.budget import parse_size
from fpgagen.plan.engine import parse_pe
from fpgagen.quant.precision import parse_precision

AUTO = "auto"
DIGITS = "digits"
DEFAULT_EPOCHS = 15


def split_list(values: Any) -> list[str]:
    """``"a,b"``, ``["a", "b,c"]`` -> ``["a", "b", "c"]``, family specs kept whole and their
    alternatives expanded (fpgagen/frontend/family.py `split_models`)."""
    return split_models(values)


def parse_energy(text: str | float) -> float:
    """``2``, ``2J``, ``500mJ`` -> joules."""
    if isinstance(text, int | float):
        value = float(text)
    else:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(mJ|J|uJ)?\s*", text)
        if not m:
            raise FpgagenError(f"--max-energy takes joules per frame (2, 2J, 500mJ), got "
                               f"{text!r}")
        value = float(m.group(1)) * {"J": 1.0, None: 1.0, "mJ": 1e-3, "uJ": 1e-6}[m.group(2)]
    if value <= 0:
        raise FpgagenError(f"--max-energy must be above 0 J, got {text}")
    return value


def parse_percent(text: str | float, option: str, low: float = 0.0, high: float = 100.0
                  ) -> float:
    """``1``, ``1%`` -> 1.0 (percentage points), within [low, high]."""
    raw = str(text).strip().removesuffix("%")
    try:
        value = float(raw)
    except ValueError:
        raise FpgagenError(f"{option} takes percentage points (1, 1.5%), got {text!r}") from None
    if not low <= value <= high:
        raise FpgagenError(f"{option} must be in [{low:g}, {high:g}] percentage points, got "
                           f"{value:g}")
    return value


@dataclass(frozen=True)
class Sweep:
    """A checked sweep: what each point is, what is measured, what is judged."""

    models: tuple[str, ...]
    boards: tuple[str, ...]
    precisions: tuple[str, ...]
    engines: tuple[str, ...]
    budget: int | None = None
    min_fps: float | None = None
    max_energy_j: float | None = None
    max_drop: float | None = None        # percentage points of top-1, float -> fixed
    min_accuracy: float | None = None    # percent top-1 of the fixed-point model
    accuracy: str | None = None          # "digits"
    accuracy_limit: int | None = None    # the first N test images
    train: str | None = None             # "digits"
    epochs: int = DEFAULT_EPOCHS
    train_limit: int | None = None       # the first N training images
    seed: int = 0
    rtl_sample: int = 0
    params: dict[str, int] = field(default_factory=dict, compare=False)  # model -> params

    @property
    def size(self) -> int:
        return len(self.models) * len(self.boards) * len(self.precisions) * len(self.engines)

    def settings(self) -> dict[str, Any]:
        """What every point's figures depend on besides its own coordinates (results.json)."""
        return {"models": list(self.models), "boards": list(self.boards),
                "precisions": list(self.precisions), "engines": list(self.engines),
                "budget_bytes": self.budget, "min_fps": self.min_fps,
                "max_energy_j": self.max_energy_j, "max_drop_pct": self.max_drop,
                "min_accuracy_pct": self.min_accuracy, "accuracy": self.accuracy,
                "accuracy_limit": self.accuracy_limit, "train": self.train,
                "epochs": self.epochs if self.train else None,
                "train_limit": self.train_limit if self.train else None,
                "seed": self.seed, "rtl_sample": self.rtl_sample}


def make_sweep(models: Any, boards: Any = "zc706", precisions: Any = "8",
               engines: Any = AUTO, *, budget: str | int | None = None,
               min_fps: float | None = None, max_energy: str | float | None = None,
               max_drop: str | float | None = None, min_accuracy: str | float | None = None,
               accuracy: str | None = None, accuracy_limit: int | None = None,
               train: str | None = None, epochs: int = DEFAULT_EPOCHS,
               train_limit: int | None = None, seed: int = 0, rtl_sample: int = 0) -> Sweep:
    """Parse and check a sweep; every problem is one line, found before any work."""
    model_list = split_list(models)
    board_list = split_list(boards)
    precision_list = split_list(precisions)
    engine_list = split_list(engines)
    for what, items in (("--model", model_list), ("--board", board_list),
                        ("--precision", precision_list), ("--engine", engine_list)):
        if not items:
            raise FpgagenError(f"empty sweep: {what} names nothing")
    # models: read every graph (a bad name, spec or file is an error now)
    names, params = [], {}
    for m in model_list:
        graph = load_graph(m)
        name = graph.name if is_family(m) else m
        names.append(name)
        params[name] = graph.total_params
        if (accuracy or train) and graph.input_shape != (32, 32, 1):
            raise FpgagenError(
                f"--{'train' if train else 'accuracy'} digits needs models that take the "
                f"digits' 32x32x1 images; {graph.name} takes "
                f"{'x'.join(map(str, graph.input_shape))} (a family spec with data=digits, or "
                "the zoo's digits)")
        if train and not is_family(m):
            raise FpgagenError(f"--train digits trains SqueezeNet family specs "
                               f"(squeezenet:...,data=digits); {m} brings its own weights")
    boards_out: list[str] = []
    for b in board_list:
        if b.lower() == "all":
            boards_out += list(all_boards())
        else:
            boards_out.append(load_board(b).name)
    for p in precision_list:
        parse_precision(p)
    for e in engine_list:
        if e.lower() != AUTO:
            parse_pe(e)
    engines_out = [AUTO if e.lower() == AUTO else e for e in engine_list]
    for what, items in (("--model", names), ("--board", boards_out),
                        ("--precision", precision_list), ("--engine", engines_out)):
        dup = sorted({x for x in items if items.count(x) > 1})
        if dup:
            raise FpgagenError(f"{what} names {dup[0]} twice")
    for source, option in ((accuracy, "--accuracy"), (train, "--train")):
        if source is not None and source.lower() != DIGITS:
            raise FpgagenError(f"{option} knows the data set 'digits', not {source!r}")
    accuracy = DIGITS if (accuracy or train) else None
    if epochs < 1:
        raise FpgagenError(f"--epochs must be at least 1, got {epochs}")
    for value, option in ((accuracy_limit, "--limit"), (train_limit, "--train-limit")):
        if value is not None and value < 1:
            raise FpgagenError(f"{option} must be at least 1, got {value}")
    if rtl_sample < 0:
        raise FpgagenError(f"--rtl-sample takes a number of points (0 or more), got "
                           f"{rtl_sample}")
    budget_bytes = parse_size(budget) if isinstance(budget, str) else budget
    if budget_bytes is not None and budget_bytes < 1:
        raise FpgagenError(f"--budget must be at least 1 byte, got {budget}")
    if min_fps is not None and min_fps <= 0:
        raise FpgagenError(f"--min-fps must be above 0, got {min_fps:g}")
    energy = parse_energy(max_energy) if max_energy is not None else None
    drop = parse_percent(max_drop, "--max-drop") if max_drop is not None else None
    floor = parse_percent(min_accuracy, "--min-accuracy") if min_accuracy is not None else None
    if (drop is not None or floor is not None) and accuracy is None:
        raise FpgagenError(f"{'--max-drop' if drop is not None else '--min-accuracy'} judges "
                           "the accuracy, which only --accuracy digits (or --train digits) "
                           "measures")
    return Sweep(tuple(names), tuple(boards_out), tuple(precision_list), tuple(engines_out),
                 budget_bytes, min_fps, energy, drop, floor, accuracy, accuracy_limit,
                 DIGITS if train else None, epochs, train_limit, seed, rtl_sample, params)
