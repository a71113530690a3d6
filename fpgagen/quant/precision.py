"""The ``--precision`` spec: bit widths (and optionally fixed integer bits) per layer.

Forms accepted:

- ``8`` or ``16``: weights and activations at that width (w8a8 is the default);
- ``w8a16``: weights 8 bits, activations 16 bits;
- ``ap_fixed<16,6>``: every tensor exactly that type (no calibration of the binary point);
- a TOML file, hls4ml-style, with a model-wide default and per-layer overrides::

      [model]
      precision = "w8a8"            # any of the forms above
      [layers.conv1]
      weight = "ap_fixed<8,1>"      # a type fixes width and binary point ...
      result = "16"                 # ... a bare width lets calibration pick the binary point
      bias = "32"
      rounding = "AP_TRN"           # requantization modes, per layer or under [model]
      saturation = "AP_WRAP"        # (defaults AP_RND and AP_SAT, docs/design.md §2 (Fixed point))

An inline ``ap_fixed<16,6,AP_TRN,AP_WRAP>`` also sets the modes.

A spec only states widths and, where given, binary points; signedness of activations and the
calibrated binary points are the quantizer's decisions. Bias width defaults to weight width
plus activation width, so that a bias is never the coarsest term of the accumulator. The
memory planner needs only the widths, so ``fpgagen check`` never has to calibrate.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from fpgagen.errors import FpgagenError
from fpgagen.quant.fixed import (
    DEFAULT_ROUNDING,
    DEFAULT_SATURATION,
    MAX_WIDTH,
    FixedType,
    check_mode,
)


@dataclass(frozen=True)
class TypeSpec:
    """A requested type: a width, and a fixed type when the user pinned the binary point."""

    width: int
    fixed: FixedType | None = None

    def __str__(self) -> str:
        return str(self.fixed) if self.fixed else f"{self.width}b"


@dataclass(frozen=True)
class LayerPrecision:
    """What one layer asks for: its weights, its biases and its output (result) tensor, and how
    its output is requantized (rounding and saturation modes of docs/design.md §2 (Fixed point))."""

    weight: TypeSpec
    bias: TypeSpec
    result: TypeSpec
    rounding: str = DEFAULT_ROUNDING
    saturation: str = DEFAULT_SATURATION


@dataclass(frozen=True)
class Precision:
    """A parsed precision spec: the default plus per-layer overrides."""

    text: str
    default: LayerPrecision
    overrides: Mapping[str, LayerPrecision] = field(default_factory=dict)

    def layer(self, name: str) -> LayerPrecision:
        return self.overrides.get(name, self.default)

    @property
    def input(self) -> TypeSpec:
        """The input image tensor uses the default activation spec."""
        return self.default.result

    def check_layers(self, layer_names: list[str]) -> None:
        """Refuse overrides that name no layer of the model (a typo would be silently lost)."""
        unknown = sorted(set(self.overrides) - set(layer_names))
        if unknown:
            raise FpgagenError(f"precision file names unknown layer(s) {', '.join(unknown)} "
                               f"(layers: {', '.join(layer_names)})")


def precision_label(p: Precision) -> str:
    """How every output names a precision: the widths as ``w8a8`` (weights, activations), then
    what pins more than widths (``w16a16 (ap_fixed<16,6>)``, a TOML file's name) and how many
    layers override it. ``--precision 8`` and ``w8a8`` both read ``w8a8``."""
    d = p.default
    label = f"w{d.weight.width}a{d.result.width}"
    if p.text.strip().lower().endswith(".toml"):
        label += f" ({Path(p.text).name})"
    elif d.weight.fixed or d.result.fixed or d.bias.fixed:
        label += f" ({p.text})"
    if p.overrides:
        label += f", {len(p.overrides)} layer override{'s' if len(p.overrides) > 1 else ''}"
    return label


_WA_RE = re.compile(r"^w(\d+)a(\d+)$")


def _width(value: int, text: str) -> int:
    if not 2 <= value <= MAX_WIDTH:
        raise FpgagenError(f"bad precision {text!r}: widths must be 2..{MAX_WIDTH} bits")
    return value


def parse_type_spec(text: str) -> TypeSpec:
    """A single tensor's spec: a bare width (``"16"``) or a type (``"ap_fixed<16,6>"``)."""
    s = str(text).strip()
    if s.isdigit():
        return TypeSpec(_width(int(s), s))
    fixed = FixedType.parse(s)
    return TypeSpec(fixed.width, fixed)


def _default_bias(weight: TypeSpec, result: TypeSpec) -> TypeSpec:
    return TypeSpec(min(weight.width + result.width, MAX_WIDTH))


def _parse_inline(text: str) -> LayerPrecision:
    s = text.strip().lower().replace(" ", "")
    if s.isdigit():
        w = TypeSpec(_width(int(s), text))
        return LayerPrecision(w, _default_bias(w, w), w)
    m = _WA_RE.match(s)
    if m:
        w, a = TypeSpec(_width(int(m.group(1)), text)), TypeSpec(_width(int(m.group(2)), text))
        return LayerPrecision(w, _default_bias(w, a), a)
    if s.startswith("ap_"):
        spec = parse_type_spec(text)
        return LayerPrecision(spec, spec, spec, *_inline_modes(s))
    raise FpgagenError(f"bad precision {text!r} (expected 8, 16, w8a16, ap_fixed<16,6> or a "
                       ".toml file)")


_MODE_RE = re.compile(r"\b(AP_[A-Z_]+)\b")


def _inline_modes(text: str) -> tuple[str, str]:
    """The rounding/saturation modes named inside ``ap_fixed<W,I,Q,O>`` (defaults otherwise)."""
    modes = _MODE_RE.findall(text.upper())
    rounding = next((m for m in modes if m.startswith(("AP_RND", "AP_TRN"))), DEFAULT_ROUNDING)
    saturation = next((m for m in modes if m in ("AP_SAT", "AP_WRAP") or
                       m.startswith(("AP_SAT_", "AP_WRAP_"))), DEFAULT_SATURATION)
    return check_mode(rounding, saturation)


def _with_modes(where: str, table: Mapping[str, object], base: LayerPrecision
                ) -> LayerPrecision:
    rounding = str(table.get("rounding", base.rounding))
    saturation = str(table.get("saturation", base.saturation))
    try:
        rounding, saturation = check_mode(rounding, saturation)
    except FpgagenError as exc:
        raise FpgagenError(f"precision file: {where}: {exc}") from None
    return replace(base, rounding=rounding, saturation=saturation)


def _parse_layer_table(name: str, table: object, default: LayerPrecision) -> LayerPrecision:
    if not isinstance(table, dict):
        raise FpgagenError(f"precision file: [layers.{name}] must be a table")
    unknown = set(table) - {"weight", "bias", "result", "precision", "rounding", "saturation"}
    if unknown:
        raise FpgagenError(f"precision file: [layers.{name}] has unknown key(s) "
                           f"{', '.join(sorted(unknown))} (use weight, bias, result, precision, "
                           "rounding, saturation)")
    base = _parse_inline(str(table["precision"])) if "precision" in table else default
    if "precision" in table and not str(table["precision"]).strip().lower().startswith("ap_"):
        base = replace(base, rounding=default.rounding, saturation=default.saturation)
    base = _with_modes(f"[layers.{name}]", table, base)
    fields = {k: parse_type_spec(str(table[k])) for k in ("weight", "bias", "result")
              if k in table}
    out = replace(base, **fields)
    if "bias" not in table and "precision" not in table and ("weight" in fields or
                                                              "result" in fields):
        out = replace(out, bias=_default_bias(out.weight, out.result))
    return out


def _parse_file(path: Path) -> Precision:
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
    except OSError as exc:
        raise FpgagenError(f"cannot read precision file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise FpgagenError(f"precision file {path} is not valid TOML: {exc}") from None
    unknown = set(raw) - {"model", "layers"}
    if unknown:
        raise FpgagenError(f"precision file {path}: unknown section(s) "
                           f"{', '.join(sorted(unknown))} (use [model] and [layers.NAME])")
    model = raw.get("model", {})
    if not isinstance(model, dict):
        raise FpgagenError(f"precision file {path}: [model] must be a table")
    unknown = set(model) - {"precision", "rounding", "saturation"}
    if unknown:
        raise FpgagenError(f"precision file {path}: [model] has unknown key(s) "
                           f"{', '.join(sorted(unknown))} (use precision, rounding, saturation)")
    default = _with_modes("[model]", model, _parse_inline(str(model.get("precision", "8"))))
    overrides = {name: _parse_layer_table(name, table, default)
                 for name, table in raw.get("layers", {}).items()}
    return Precision(str(path), default, MappingProxyType(overrides))


def parse_precision(text: str | None) -> Precision:
    """Parse a ``--precision`` value; None means the default, w8a8."""
    if text is None:
        text = "8"
    if text.strip().lower().endswith(".toml"):
        return _parse_file(Path(text))
    return Precision(text, _parse_inline(text))
