"""The SqueezeNet family: SqueezeNet 1.1's layout with the paper's metaparameters.

Iandola et al. (SqueezeNet, 2016, section 5) describe a SqueezeNet by a few metaparameters and
explore them to find where accuracy saturates. A family model is written as a spec,
``squeezenet:sr=0.25,pct3x3=0.5,base_e=128,incr_e=128,freq=2``, wherever ``--model`` is taken:

- ``base_e``: expand filters (1x1 plus 3x3) of the first fire module;
- ``incr_e``, ``freq``: expand filters grow by ``incr_e`` every ``freq`` fire modules, so fire
  module k (0..7) has ``e_k = base_e + incr_e * floor(k / freq)`` expand filters;
- ``pct3x3``: the share of 3x3 filters among them, ``e3 = round(pct3x3 * e_k)``,
  ``e1 = e_k - e3`` (both must be at least 1);
- ``sr``: the squeeze ratio, ``s_k = round(sr * e_k)`` squeeze filters (at least 1).

The layout is SqueezeNet 1.1's (8 fire modules, fire2..fire9): conv1 3x3 with ``conv1`` filters,
then 3x3/2 max-pools after conv1, fire3 and fire5, then conv10 1x1 to ``classes`` and a global
average pool; ReLU after every conv. The defaults (``sr=0.125, pct3x3=0.5, base_e=128,
incr_e=128, freq=2``, 224x224x3, 1,000 classes, conv1 3x3/2) give exactly SqueezeNet 1.1.

The input is a parameter too: ``input`` (square size), ``channels`` and ``classes``; ``stride1``
is conv1's stride (2 as in 1.1, pad 0; 1 with pad 1, which keeps a small image's resolution),
``conv1`` its filters (64), ``relu10`` whether conv10 has a ReLU (1, as in SqueezeNet; 0 gives
plain logits). ``data=digits`` sets what the scikit-learn digits need
(fpgagen/frontend/datasets.py: 8x8 images upscaled to 32x32, one channel, 10 classes):
``input=32, channels=1, classes=10, stride1=1, conv1=16, relu10=0``, so the feature maps are
32 -> 16 -> 8 -> 4 (fire2-3 at 16x16, fire4-5 at 8x8, fire6-9 at 4x4): every 3x3 expand still
sees a neighbourhood, and the classifier gives plain logits as the zoo's ``digits`` does.
Explicit values override the preset.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, fields, replace
from typing import Any

from fpgagen.errors import FpgagenError
from fpgagen.frontend import graph as g
from fpgagen.frontend.graph import Graph, Layer

FAMILY = "squeezenet"
PREFIX = FAMILY + ":"
FIRES = 8  # SqueezeNet 1.1: fire2 .. fire9
POOL_AFTER = ("fire3", "fire5")  # and after conv1
DATA_KEYS = ("input", "channels", "classes")  # what names a preset in a canonical spec
PRESETS = {"digits": {"input": 32, "channels": 1, "classes": 10, "stride1": 1, "conv1": 16,
                      "relu10": 0}}


@dataclass(frozen=True)
class FamilyParams:
    """The metaparameters of one family member (see the module docstring)."""

    sr: float = 0.125
    pct3x3: float = 0.5
    base_e: int = 128
    incr_e: int = 128
    freq: int = 2
    input: int = 224
    channels: int = 3
    classes: int = 1000
    stride1: int = 2
    conv1: int = 64
    relu10: int = 1

    def expands(self) -> list[tuple[int, int, int]]:
        """(squeeze, expand 1x1, expand 3x3) filters of fire2 .. fire9."""
        out = []
        for k in range(FIRES):
            e = self.base_e + self.incr_e * (k // self.freq)
            e3 = _round(self.pct3x3 * e)
            s = _round(self.sr * e)
            out.append((s, e - e3, e3))
        return out

    @property
    def spec(self) -> str:
        """The canonical spec: the five metaparameters, then ``data=<preset>`` when the input
        is a preset's, then what differs from SqueezeNet 1.1 (or the preset)."""
        keys = [f.name for f in fields(self)]
        items = [f"{k}={_text(getattr(self, k))}" for k in keys[:5]]
        base = FamilyParams()
        for name, values in PRESETS.items():
            if all(getattr(self, k) == values[k] for k in DATA_KEYS):
                base = replace(base, **values)
                items.append(f"data={name}")
                break
        items += [f"{k}={_text(getattr(self, k))}" for k in keys[5:]
                  if getattr(self, k) != getattr(base, k)]
        return PREFIX + ",".join(items)


_FLOATS = {"sr", "pct3x3"}
_INTS = {f.name for f in fields(FamilyParams)} - _FLOATS
KEYS = (*(f.name for f in fields(FamilyParams)), "data")


def _round(x: float) -> int:
    """Round half up (not Python's half to even: 0.5 * 5 filters is 3, as one would say)."""
    return math.floor(x + 0.5)


def _text(v: float | int) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def is_family(name: str) -> bool:
    """Whether a ``--model`` value is a family spec (``squeezenet:...``)."""
    return name.lower().startswith(PREFIX)


def parse_family(spec: str) -> FamilyParams:
    """A spec's parameters, checked; one-line errors for unknown keys and bad values."""
    if not is_family(spec):
        raise FpgagenError(f"{spec!r} is not a SqueezeNet family spec ({PREFIX}k=v,...)")
    body = spec[len(PREFIX):].strip()
    values: dict[str, str] = {}
    for item in filter(None, (s.strip() for s in body.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip().lower()
        if not eq or not value.strip():
            raise FpgagenError(f"{spec}: {item!r} is not key=value")
        if key not in KEYS:
            raise FpgagenError(f"{spec}: unknown metaparameter {key!r} (known: "
                               f"{', '.join(KEYS)})")
        if key in values:
            raise FpgagenError(f"{spec}: {key} is given twice")
        values[key] = value.strip()
    params = FamilyParams()
    preset = values.pop("data", None)
    if preset is not None:
        if preset.lower() not in PRESETS:
            raise FpgagenError(f"{spec}: data={preset} is no preset (known: "
                               f"{', '.join(PRESETS)})")
        params = replace(params, **PRESETS[preset.lower()])
    parsed: dict[str, float | int] = {}
    for key, value in values.items():
        try:
            parsed[key] = float(value) if key in _FLOATS else int(value)
        except ValueError:
            kind = "a number" if key in _FLOATS else "an integer"
            raise FpgagenError(f"{spec}: {key} must be {kind}, got {value!r}") from None
    params = replace(params, **parsed)
    _check(spec, params)
    return params


def _check(spec: str, p: FamilyParams) -> None:
    if not 0 < p.sr <= 1:
        raise FpgagenError(f"{spec}: sr (squeeze ratio) must be in (0, 1], got {p.sr:g}")
    if not 0 < p.pct3x3 < 1:
        raise FpgagenError(f"{spec}: pct3x3 must be in (0, 1) (a fire module needs 1x1 and 3x3 "
                           f"expand filters), got {p.pct3x3:g}")
    for key in ("base_e", "freq", "input", "channels", "classes", "conv1"):
        if getattr(p, key) < 1:
            raise FpgagenError(f"{spec}: {key} must be at least 1, got {getattr(p, key)}")
    if p.incr_e < 0:
        raise FpgagenError(f"{spec}: incr_e must be 0 or more, got {p.incr_e}")
    if p.relu10 not in (0, 1):
        raise FpgagenError(f"{spec}: relu10 must be 0 or 1, got {p.relu10}")
    if p.stride1 not in (1, 2):
        raise FpgagenError(f"{spec}: stride1 must be 1 or 2, got {p.stride1}")
    for k, (s, e1, e3) in enumerate(p.expands()):
        if min(s, e1, e3) < 1:
            raise FpgagenError(
                f"{spec}: fire{k + 2} would have {s} squeeze, {e1} 1x1 and {e3} 3x3 expand "
                "filters; every one needs at least 1 (raise base_e, sr or move pct3x3 from "
                "0 and 1)")


def family_graph(params: FamilyParams) -> Graph:
    """The graph of a family member, named by its canonical spec."""
    layers: list[Layer] = [
        g.conv("conv1", g.INPUT, params.conv1, 3, params.stride1, 1 if params.stride1 == 1 else 0),
        g.maxpool("pool1", "conv1")]
    src = "pool1"
    for k, (s, e1, e3) in enumerate(params.expands()):
        name = f"fire{k + 2}"
        sq = f"{name}_squeeze1x1"
        layers += [g.conv(sq, src, s, 1), g.conv(f"{name}_expand1x1", sq, e1, 1),
                   g.conv(f"{name}_expand3x3", sq, e3, 3, pad=1),
                   g.concat(f"{name}_concat", f"{name}_expand1x1", f"{name}_expand3x3")]
        src = f"{name}_concat"
        if name in POOL_AFTER:
            pool = f"pool{k + 2}"
            layers.append(g.maxpool(pool, src))
            src = pool
    layers += [g.conv("conv10", src, params.classes, 1, relu=bool(params.relu10)),
               g.avgpool("pool10", "conv10")]
    size = (params.input, params.input, params.channels)
    try:
        return g.make_graph(params.spec, size, layers)
    except FpgagenError as exc:
        raise FpgagenError(f"{params.spec}: input {params.input} is too small: {exc}") from None


def load_family(spec: str, input_size: int | None = None) -> Graph:
    """The graph of a spec; ``input_size`` (``--input-size``) overrides its ``input``."""
    params = parse_family(spec)
    if input_size is not None:
        params = replace(params, input=input_size)
        _check(spec, params)
    return family_graph(params)


def split_models(values: Any) -> list[str]:
    """``"a,b"``, ``["a", "b,c"]`` -> ``["a", "b", "c"]``; a family spec's own commas are kept
    (``squeezenet:sr=0.25,pct3x3=0.5`` is one model: items after it that hold ``=`` and no
    ``:`` belong to it)."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:
        for part in (x.strip() for x in str(v).split(",")):
            if not part:
                continue
            if out and is_family(out[-1]) and "=" in part and ":" not in part:
                out[-1] += "," + part
            else:
                out.append(part)
    return [m for spec in out for m in expand_family(spec)]


def expand_family(spec: str) -> list[str]:
    """A family spec with alternatives, ``squeezenet:sr=0.25|0.5,pct3x3=0.25|0.75``, as the
    specs of its grid (the first key varies slowest); anything else as itself."""
    if not is_family(spec) or "|" not in spec:
        return [spec]
    head, body = spec.split(":", 1)
    items = [item.strip() for item in body.split(",") if item.strip()]
    choices = []
    for item in items:
        key, _, values = item.partition("=")
        choices.append([f"{key}={v.strip()}" for v in values.split("|")])
    return [f"{head}:{','.join(combo)}" for combo in itertools.product(*choices)]
