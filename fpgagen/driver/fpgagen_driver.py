"""fpgagen host driver: quantizes and packs an image into the core's input stream, unpacks and
dequantizes its logits, and runs the core on a PYNQ board (``Accelerator``).

Standalone on purpose (numpy and the standard library; ``pynq`` is imported by ``Accelerator``
alone), so this file runs on a board where fpgagen is not installed and everything but the
board class runs anywhere. ``fpgagen build`` copies it into the build's ``driver/`` folder beside
``build.json`` (the build's shapes, types, stream geometry and BUILD_ID, read by ``BuildInfo``).

    from fpgagen_driver import Accelerator
    acc = Accelerator("fpgagen.bit")           # driver/build.json beside this file; loads
                                               # weights.bin when the bitstream holds no weights
    logits = acc.predict(image_hwc_float)      # the preprocessed float image, as the golden model
    logits = acc.predict_image("cat.jpg")      # or a file / uint8 pixels, preprocessed as
                                               # `fpgagen run` does for the build's model
    top_classes(logits, acc.info)              # [(class, name, value), ...] best first
    acc.load_weights("retrained.bin")          # other weights of the same network (pack-weights)

The stream format (docs/design.md §4 (Hardware)):

- values are the fixed-point integers of the input / output type, each in ``value_bytes``
  bytes (the width rounded up to 1, 2, 4 or 8 bytes), little-endian, two's complement
  (sign-extended) for signed types, zero-extended for unsigned;
- the tensor in HWC order, values back to back: beat k carries bytes [k*B, (k+1)*B) of that
  byte string in TDATA (byte i in bits 8i+7..8i), B = TDATA bytes (4 or 8);
- the last beat is zero-padded, TKEEP marks its valid bytes (all ones on every other beat),
  TLAST is set on the last beat only. The DMA buffer is the beats, ``beats * B`` bytes.

Weights (the RTL core's load mode, docs/hardware.md): ``weights.bin`` beside build.json is
the exact bytes the core takes on the same input stream after WEIGHTS = 1 (whole beats); the
core computes their CRC-32 (WEIGHTS_CRC), which the driver compares with ``zlib.crc32`` of the
file. A build whose bitstream holds no weights (``build.json`` weights.source ``runtime``)
refuses every start until a load succeeded (STATUS bit 2).
"""

from __future__ import annotations

import json
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_DTYPES = {(1, True): "<i1", (1, False): "<u1", (2, True): "<i2", (2, False): "<u2",
           (4, True): "<i4", (4, False): "<u4", (8, True): "<i8", (8, False): "<u8"}


def value_bytes(width: int) -> int:
    """Bytes one value of ``width`` bits takes in a stream: 1, 2, 4 or 8."""
    if not 1 <= width <= 64:
        raise ValueError(f"value width {width} is not 1..64 bits")
    nbytes = 1
    while nbytes * 8 < width:
        nbytes *= 2
    return nbytes


def beats(count: int, vbytes: int, tdata_bytes: int) -> int:
    """AXI4-Stream beats that carry ``count`` values of ``vbytes`` bytes."""
    return -(-count * vbytes // tdata_bytes)


def pack_values(values: np.ndarray, width: int, signed: bool, tdata_bytes: int) -> bytes:
    """Integers of a ``width``-bit type (HWC order) -> the stream's bytes, whole beats.

    A value outside the type's range is refused: silently wrapping it would send another image.
    """
    a = np.asarray(values)
    if a.dtype.kind not in "iu":
        raise TypeError(f"values must be integers, not {a.dtype}")
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    flat = a.reshape(-1).astype(np.int64)
    if flat.size and (flat.min() < lo or flat.max() > hi):
        raise ValueError(f"values outside the {width}-bit {'signed' if signed else 'unsigned'} "
                         f"range {lo}..{hi}")
    vb = value_bytes(width)
    data = flat.astype(_DTYPES[(vb, signed)]).tobytes()
    pad = beats(flat.size, vb, tdata_bytes) * tdata_bytes - len(data)
    return data + bytes(pad)


def unpack_values(data: bytes, width: int, signed: bool, count: int) -> np.ndarray:
    """The stream's bytes -> ``count`` integers (int64) of a ``width``-bit type.

    Only the low ``width`` bits of each value count (the rest is padding), so a value is
    sign-extended from bit ``width - 1`` for signed types.
    """
    vb = value_bytes(width)
    if len(data) < count * vb:
        raise ValueError(f"{len(data)} bytes hold fewer than {count} values of {vb} bytes")
    raw = np.frombuffer(bytes(data[:count * vb]), dtype=_DTYPES[(vb, False)]).astype(np.uint64)
    low = (raw & np.uint64((1 << width) - 1)).astype(np.int64) if width < 64 else raw.view(
        np.int64)
    if signed and width < 64:
        sign = np.int64(1 << (width - 1))
        low = (low ^ sign) - sign
    return low


def beat_words(data: bytes, payload: int, tdata_bytes: int) -> list[tuple[int, int, bool]]:
    """Whole-beat bytes -> (TDATA, TKEEP, TLAST) per beat, as a simulator drives the ports.

    ``payload`` is the number of meaningful bytes; the padding after it gets TKEEP 0.
    """
    if len(data) % tdata_bytes:
        raise ValueError(f"{len(data)} bytes are not whole {tdata_bytes}-byte beats")
    n = len(data) // tdata_bytes
    out = []
    for k in range(n):
        chunk = data[k * tdata_bytes:(k + 1) * tdata_bytes]
        valid = min(max(payload - k * tdata_bytes, 0), tdata_bytes)
        out.append((int.from_bytes(chunk, "little"), (1 << valid) - 1, k == n - 1))
    return out


# --- The core's control registers (s_axi_control: the Vitis HLS ap_ctrl_hs map) ----------------

AP_CTRL = 0x00    # bit0 ap_start, bit1 ap_done (clear-on-read), bit2 ap_idle, bit3 ap_ready
GIE = 0x04        # bit0 global interrupt enable
IER = 0x08        # bit0 ap_done, bit1 ap_ready
ISR = 0x0C        # bit0 ap_done, bit1 ap_ready (a write of 1 toggles the bit)
# The Verilog core's own registers. The Vitis HLS core has none: its control slave decodes 4
# address bits, so there 0x10 reads AP_CTRL (clearing ap_done), 0x14 GIE, 0x18 IER. The driver
# tells the cores apart by BUILD_ID (read_build_id: 0 on the HLS core) and never reads CYCLES
# or STATUS on the HLS core: they are not available there (RunStats.cycles None).
CYCLES = 0x10     # RTL core only: clock cycles of the last run, start accepted -> done
STATUS = 0x14     # RTL core only: bit0 input frame error (sticky until the next start)
BUILD_ID = 0x18   # RTL core only: the build's identity (0 on the HLS core: unknown)
WEIGHTS = 0x1C    # RTL core only: write bit0 = load weights; read bit0 busy, bit1 loaded,
                  # bit2 the last load failed
WEIGHTS_CRC = 0x20  # RTL core only: CRC-32 (zlib.crc32) of the bytes of the last load

AP_START = 1 << 0
AP_DONE = 1 << 1
AP_IDLE = 1 << 2
AP_READY = 1 << 3
AP_AUTO_RESTART = 1 << 7
GIE_ENABLE = 1 << 0
IRQ_DONE = 1 << 0      # IER / ISR
IRQ_READY = 1 << 1
STATUS_FRAME_ERROR = 1 << 0
STATUS_LOADED = 1 << 1          # the weights are loaded (WEIGHTS_LOADED)
STATUS_START_REFUSED = 1 << 2   # a start was refused: weights not loaded or a load busy
WEIGHTS_LOAD = 1 << 0           # written: load weights from in_stream
WEIGHTS_BUSY = 1 << 0           # read: a load pending or running
WEIGHTS_LOADED = 1 << 1         # read: the weight memories hold a whole weight set
WEIGHTS_ERROR = 1 << 2          # read: the last load was malformed (length, TKEEP)

REGISTERS = {"AP_CTRL": AP_CTRL, "GIE": GIE, "IER": IER, "ISR": ISR, "CYCLES": CYCLES,
             "STATUS": STATUS, "BUILD_ID": BUILD_ID, "WEIGHTS": WEIGHTS,
             "WEIGHTS_CRC": WEIGHTS_CRC}
REGISTER_BITS = {"AP_START": AP_START, "AP_DONE": AP_DONE, "AP_IDLE": AP_IDLE,
                 "AP_READY": AP_READY, "AP_AUTO_RESTART": AP_AUTO_RESTART,
                 "GIE_ENABLE": GIE_ENABLE, "IRQ_DONE": IRQ_DONE, "IRQ_READY": IRQ_READY,
                 "STATUS_FRAME_ERROR": STATUS_FRAME_ERROR, "STATUS_LOADED": STATUS_LOADED,
                 "STATUS_START_REFUSED": STATUS_START_REFUSED, "WEIGHTS_LOAD": WEIGHTS_LOAD,
                 "WEIGHTS_BUSY": WEIGHTS_BUSY, "WEIGHTS_LOADED": WEIGHTS_LOADED,
                 "WEIGHTS_ERROR": WEIGHTS_ERROR}

SCHEMA = "fpgagen-driver-build/2"
# how an image file becomes a model's input (`preprocess_pixels`)
PREPROCESSING = ("imagenet", "digits")
# ImageNet: the shorter side resized to this times the input size, then the center crop
IMAGENET_RESIZE = 256 / 224
WEIGHT_SOURCES = ("bitstream", "runtime")
ROUNDING_MODES = ("AP_RND", "AP_TRN", "AP_RND_CONV")
SATURATION_MODES = ("AP_SAT", "AP_WRAP")


def read_build_id(read, write) -> int:
    """BUILD_ID, or 0 for a Vitis HLS core. The HLS core's control slave decodes only the
    address bits its four registers need, so its 0x18 aliases IER: IER is cleared around the
    read (the core is idle then, so no interrupt event is lost) and an HLS core answers 0."""
    ier = read(IER)
    write(IER, 0)
    ident = read(BUILD_ID)
    write(IER, ier)
    return ident


class DriverError(RuntimeError):
    """The board or the build folder is not what the driver was given (wrong bitstream,
    a stream frame error, a run that never finishes, an unreadable build.json, weights that
    are not this build's or did not load)."""


def weights_crc(data: bytes) -> int:
    """The CRC-32 the core's WEIGHTS_CRC register computes over a load (zlib's)."""
    return zlib.crc32(bytes(data)) & 0xFFFFFFFF


# --- The build a driver talks to ----------------------------------------------------------------


class StreamBytes:
    """The byte figures of a stream geometry, from the attributes ``tdata_bits``, ``in_width``,
    ``out_width``, ``in_values`` and ``out_values`` of the class it is mixed into (this file's
    BuildInfo and the compiler's fpgagen.plan.streams.StreamFormat: one definition of the bytes)."""

    @property
    def tdata_bytes(self) -> int:
        return self.tdata_bits // 8  # type: ignore[attr-defined]

    @property
    def in_value_bytes(self) -> int:
        return value_bytes(self.in_width)  # type: ignore[attr-defined]

    @property
    def out_value_bytes(self) -> int:
        return value_bytes(self.out_width)  # type: ignore[attr-defined]

    @property
    def in_payload_bytes(self) -> int:
        return self.in_values * self.in_value_bytes  # type: ignore[attr-defined]

    @property
    def out_payload_bytes(self) -> int:
        return self.out_values * self.out_value_bytes  # type: ignore[attr-defined]


@dataclass(frozen=True)
class BuildInfo(StreamBytes):
    """What a host needs to know about one build, loaded from its ``driver/build.json``.

    Shapes are HWC; types are fixed point: integer q means q * 2**-frac. The stream figures
    are stored, not recomputed, and checked against the widths on load, so a hand-edited or
    truncated build.json is refused instead of sending the wrong bytes.
    """

    model: str
    board: str
    clock_mhz: float
    build_id: int
    in_shape: tuple[int, ...]
    in_width: int
    in_frac: int
    in_signed: bool
    in_rounding: str
    in_saturation: str
    out_shape: tuple[int, ...]
    out_width: int
    out_frac: int
    out_signed: bool
    tdata_bits: int
    in_beats: int
    out_beats: int
    in_buffer_bytes: int
    out_buffer_bytes: int
    weights_source: str = "bitstream"   # "runtime": the bitstream holds no weights
    weights_file: str = "weights.bin"   # beside build.json
    weights_bytes: int = 0              # the load: whole beats
    weights_crc: int = 0                # zlib.crc32 of the build's weights.bin
    # how an image becomes the input (`preprocess_image`): "imagenet", "digits" or None (the
    # build records none), with the per-channel mean and std after scaling pixels to [0, 1]
    preprocess: str | None = None
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    labels: tuple[str, ...] | None = None   # a class name per logit, or None

    def __post_init__(self) -> None:
        self._check()

    @property
    def weights_required(self) -> bool:
        """The bitstream holds no weights: a load must come before the first image."""
        return self.weights_source == "runtime"

    @property
    def in_values(self) -> int:
        return int(np.prod(self.in_shape))

    @property
    def out_values(self) -> int:
        return int(np.prod(self.out_shape))

    def _check(self) -> None:
        def bad(why: str) -> DriverError:
            return DriverError(f"build info for {self.model!r} is inconsistent: {why}")

        if len(self.in_shape) != 3 or min(self.in_shape) < 1:
            raise bad(f"input shape {list(self.in_shape)} is not H, W, C")
        if not self.out_shape or min(self.out_shape) < 1:
            raise bad(f"output shape {list(self.out_shape)} is empty")
        for name, width, signed in (("input", self.in_width, self.in_signed),
                                    ("output", self.out_width, self.out_signed)):
            if not (2 if signed else 1) <= width <= (64 if signed else 63):
                raise bad(f"{name} width {width} is not a fixed-point width")
        if self.in_rounding not in ROUNDING_MODES:
            raise bad(f"input rounding {self.in_rounding!r} is not one of {ROUNDING_MODES}")
        if self.in_saturation not in SATURATION_MODES:
            raise bad(f"input saturation {self.in_saturation!r} is not one of "
                      f"{SATURATION_MODES}")
        if self.tdata_bits not in (32, 64):
            raise bad(f"TDATA is {self.tdata_bits} bits (32 or 64)")
        want = (beats(self.in_values, self.in_value_bytes, self.tdata_bytes),
                beats(self.out_values, self.out_value_bytes, self.tdata_bytes))
        if (self.in_beats, self.out_beats) != want:
            raise bad(f"{self.in_beats} input and {self.out_beats} output beats, the shapes "
                      f"and widths give {want[0]} and {want[1]}")
        if (self.in_buffer_bytes, self.out_buffer_bytes) != (
                self.in_beats * self.tdata_bytes, self.out_beats * self.tdata_bytes):
            raise bad("the buffer sizes are not whole beats of the TDATA width")
        if not 0 <= self.build_id < 1 << 32:
            raise bad(f"build id {self.build_id} is not a 32-bit number")
        if self.weights_source not in WEIGHT_SOURCES:
            raise bad(f"weights source {self.weights_source!r} is not one of {WEIGHT_SOURCES}")
        if self.weights_bytes < 0 or self.weights_bytes % self.tdata_bytes:
            raise bad(f"weights.bin of {self.weights_bytes} bytes is not whole beats of "
                      f"{self.tdata_bytes} bytes")
        if not 0 <= self.weights_crc < 1 << 32:
            raise bad(f"weights CRC {self.weights_crc} is not a 32-bit number")
        if self.preprocess is not None:
            if self.preprocess not in PREPROCESSING:
                raise bad(f"preprocessing {self.preprocess!r} is not one of {PREPROCESSING}")
            channels = self.in_shape[2]
            if len(self.mean) != channels or len(self.std) != channels or 0 in self.std:
                raise bad(f"preprocessing needs a mean and a non-zero std per channel "
                          f"({channels}), it has {len(self.mean)} and {len(self.std)}")
        if self.labels is not None and len(self.labels) != self.out_values:
            raise bad(f"{len(self.labels)} class names for {self.out_values} logits")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BuildInfo:
        """Parse the contents of a build.json (see ``fpgagen.system.driver``)."""
        if d.get("schema") != SCHEMA:
            raise DriverError(f"build.json schema is {d.get('schema')!r}, this driver reads "
                              f"{SCHEMA!r}: use the driver from the same build folder")
        try:
            i, o, s, w = d["input"], d["output"], d["stream"], d["weights"]
            regs = d["registers"]
            info = cls(str(d["model"]), str(d["board"]), float(d["clock_mhz"]),
                       int(d["build_id"]), tuple(int(v) for v in i["shape"]), int(i["width"]),
                       int(i["frac"]), bool(i["signed"]), str(i["rounding"]),
                       str(i["saturation"]), tuple(int(v) for v in o["shape"]),
                       int(o["width"]), int(o["frac"]), bool(o["signed"]),
                       int(s["tdata_bits"]), int(s["in_beats"]), int(s["out_beats"]),
                       int(s["in_buffer_bytes"]), int(s["out_buffer_bytes"]),
                       str(w["source"]), str(w["file"]), int(w["bytes"]), int(w["crc32"]),
                       *_preprocessing(d.get("preprocess")), _labels(d.get("labels")))
        except (KeyError, TypeError, ValueError) as exc:
            raise DriverError(f"build.json is missing or has a bad field: {exc!r}") from None
        if regs != REGISTERS:
            raise DriverError(f"build.json's register map {regs} differs from this driver's "
                              f"{REGISTERS}: use the driver from the same build folder")
        return info

    @classmethod
    def load(cls, path: str | Path) -> BuildInfo:
        """Read a build.json, a build's ``driver/`` folder or the build folder itself."""
        candidate = build_json_path(path)
        try:
            return cls.from_dict(json.loads(candidate.read_text()))
        except json.JSONDecodeError as exc:
            raise DriverError(f"{candidate} is not JSON: {exc}") from None


def _preprocessing(p: dict[str, Any] | None
                   ) -> tuple[str | None, tuple[float, ...], tuple[float, ...]]:
    """build.json's ``preprocess`` (null: the build records none)."""
    if p is None:
        return None, (), ()
    return str(p["kind"]), tuple(float(v) for v in p["mean"]), tuple(float(v) for v in p["std"])


def _labels(names: list[str] | None) -> tuple[str, ...] | None:
    return None if names is None else tuple(str(n) for n in names)


def build_json_path(path: str | Path) -> Path:
    """The build.json file meant by a path: the file, a build's ``driver/`` folder or the build
    folder (weights.bin lies beside it)."""
    p = Path(path)
    for candidate in (p, p / "build.json", p / "driver" / "build.json"):
        if candidate.is_file():
            return candidate
    raise DriverError(f"no build.json at {p} (give the build folder, its driver/ folder "
                      "or the file)")


# --- Host-side arithmetic: the golden model's quantization, bit for bit ------------------------


def _hwc(x: np.ndarray, shape: tuple[int, ...], what: str) -> np.ndarray:
    """``x`` as an array of ``shape`` (a leading batch of 1 dropped), or a ValueError."""
    a = np.asarray(x)
    if a.ndim == len(shape) + 1 and a.shape[0] == 1:
        a = a[0]
    if a.shape != tuple(shape):
        raise ValueError(f"{what} has shape {'x'.join(map(str, a.shape)) or 'scalar'}, "
                         f"expected {'x'.join(map(str, shape))} (HxWxC)")
    return a


def _saturate(q: np.ndarray, width: int, signed: bool, saturation: str) -> np.ndarray:
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    if saturation == "AP_SAT":
        return np.clip(q, lo, hi)
    if width >= 64:
        return q.copy()
    low = q & np.int64((1 << width) - 1)
    if not signed:
        return low
    sign = np.int64(1 << (width - 1))
    return (low ^ sign) - sign


def quantize_image(x_float_hwc: np.ndarray, info: BuildInfo) -> np.ndarray:
    """The preprocessed float HWC image (what the golden model takes) -> int64 integers of the
    input type, exactly as ``QGraph.quantize_input`` makes them.

    Scale by 2**frac (exact), round (AP_TRN floor, AP_RND half up, AP_RND_CONV half to even),
    clip to +-2**62, saturate (AP_SAT clamp, AP_WRAP low bits). Integer images are refused: a
    raw 0..255 picture is not the normalized input, and quantized integers go to predict_int.
    """
    a = _hwc(x_float_hwc, info.in_shape, "image")
    if a.dtype.kind in "iub":
        raise TypeError(f"image has dtype {a.dtype}: give the preprocessed float image; "
                        "integers already quantized go to predict_int / pack_image")
    if a.dtype.kind != "f":
        raise TypeError(f"image has dtype {a.dtype}, expected a float array")
    if not np.all(np.isfinite(a)):
        raise ValueError("image contains NaN or infinity")
    scaled = np.ldexp(a.astype(np.float64), info.in_frac)
    if info.in_rounding == "AP_TRN":
        r = np.floor(scaled)
    elif info.in_rounding == "AP_RND":
        r = np.floor(scaled + 0.5)
    else:
        r = np.rint(scaled)
    r = np.clip(r, -2.0 ** 62, 2.0 ** 62)
    return _saturate(r.astype(np.int64), info.in_width, info.in_signed, info.in_saturation)


def pack_image(x_int: np.ndarray, info: BuildInfo) -> bytes:
    """Quantized HWC integers -> the input DMA buffer's bytes (``info.in_buffer_bytes``)."""
    a = _hwc(x_int, info.in_shape, "integer image")
    if a.dtype.kind not in "iu":
        raise TypeError(f"integer image has dtype {a.dtype}; quantize it first "
                        "(quantize_image)")
    data = pack_values(a, info.in_width, info.in_signed, info.tdata_bytes)
    assert len(data) == info.in_buffer_bytes, (len(data), info.in_buffer_bytes)
    return data


def unpack_logits(data: bytes | bytearray | memoryview | np.ndarray, info: BuildInfo
                  ) -> np.ndarray:
    """The output DMA buffer (bytes or a uint8 array) -> the logits as int64, flat."""
    raw = np.asarray(data).tobytes() if isinstance(data, np.ndarray) else bytes(data)
    if len(raw) < info.out_payload_bytes:
        raise ValueError(f"{len(raw)} output bytes, the {info.out_values} logits of "
                         f"{info.out_value_bytes} bytes need {info.out_payload_bytes}")
    return unpack_values(raw, info.out_width, info.out_signed, info.out_values)


def dequantize_logits(q: np.ndarray, info: BuildInfo) -> np.ndarray:
    """Logit integers -> float64 values q * 2**-frac (exact)."""
    return np.ldexp(np.asarray(q, dtype=np.float64), -info.out_frac)


def read_weights(source: str | Path | bytes | bytearray | memoryview, info: BuildInfo
                 ) -> bytes:
    """A weights.bin (a path or its bytes) for this build: refused unless it is the build's
    length (`fpgagen pack-weights` writes new weights of the same network at that length)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, what = bytes(source), "the weights given"
    else:
        p = Path(source)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise DriverError(f"cannot read weights file {p}: {exc.strerror or exc}") from None
        what = str(p)
    if len(data) != info.weights_bytes:
        raise DriverError(f"{what}: {len(data)} bytes, this build loads {info.weights_bytes} "
                          f"({info.weights_bytes // info.tdata_bytes} beats): weights of another "
                          "build or network (fpgagen pack-weights writes them for a build)")
    return data


# --- Images: decoding aside, the preprocessing of `fpgagen run`, in numpy ------------------------

# Pillow's 8-bit resampling: coefficients in fixed point with this many fraction bits
_RESAMPLE_BITS = 32 - 8 - 2


def _bilinear_coefficients(in_size: int, out_size: int) -> np.ndarray:
    """The (out_size, in_size) integer matrix of Pillow's bilinear filter (libImaging's
    precompute_coeffs and normalize_coeffs_8bpc): a triangle widened by the reduction factor
    when shrinking, each row normalized (summed left to right, as Pillow does) and rounded to
    ``_RESAMPLE_BITS`` fraction bits."""
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = filterscale  # the bilinear filter's support is 1
    ss = 1.0 / filterscale
    m = np.zeros((out_size, in_size), dtype=np.int64)
    one = float(1 << _RESAMPLE_BITS)
    for xx in range(out_size):
        center = (xx + 0.5) * scale
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        w = [max(0.0, 1.0 - abs((x - center + 0.5) * ss)) for x in range(lo, hi)]
        total = 0.0
        for v in w:
            total += v
        for i, v in enumerate(w):
            k = v / total if total != 0.0 else v
            m[xx, lo + i] = int(k * one + (0.5 if k >= 0 else -0.5))
    return m


def _resample(pixels: np.ndarray, coefficients: np.ndarray, axis: int) -> np.ndarray:
    acc = np.moveaxis(np.tensordot(coefficients, pixels.astype(np.int64), axes=([1], [axis])),
                      0, axis)
    return np.clip((acc + (1 << (_RESAMPLE_BITS - 1))) >> _RESAMPLE_BITS, 0, 255
                   ).astype(np.uint8)


def resize_bilinear(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """uint8 pixels (H x W or H x W x C) resized to ``height x width`` as Pillow's
    ``Image.resize(size, BILINEAR)`` computes it in 8 bits: the horizontal pass, then the
    vertical one (a dimension that keeps its size is not resampled). One definition for
    ``fpgagen run`` and this driver, so both give the same input on any Pillow release (Pillow
    13 takes the vertical pass first when it shrinks the height much more than the width,
    which can move a pixel by 1)."""
    a = np.asarray(pixels)
    if a.dtype != np.uint8:
        raise TypeError(f"pixels have dtype {a.dtype}, expected uint8")
    if a.shape[1] != width:
        a = _resample(a, _bilinear_coefficients(a.shape[1], width), 1)
    if a.shape[0] != height:
        a = _resample(a, _bilinear_coefficients(a.shape[0], height), 0)
    return a


def _as_channels(pixels: np.ndarray, channels: int) -> np.ndarray:
    """uint8 H x W, H x W x 1, x 3 or x 4 pixels -> H x W x ``channels`` (3: RGB, grey
    replicated, alpha dropped; 1: Pillow's ITU-R 601-2 luma, (19595 R + 38470 G + 7471 B +
    2**15) >> 16), as Pillow's ``convert("RGB")`` / ``convert("L")``."""
    a = np.asarray(pixels)
    if a.dtype != np.uint8:
        raise DriverError(f"pixels have dtype {a.dtype}: give uint8 pixels (0..255), a decoded "
                          "image; a preprocessed float image goes to predict()")
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4) or min(a.shape) < 1:
        raise DriverError(f"pixels have shape {'x'.join(map(str, a.shape))}: give H x W "
                          "(grey), H x W x 3 (RGB) or H x W x 4 (RGBA)")
    if a.shape[2] == 4:
        a = a[..., :3]
    if channels == 3:
        return np.repeat(a, 3, axis=2) if a.shape[2] == 1 else a
    if a.shape[2] == 1:
        return a
    rgb = a.astype(np.int64)
    luma = (rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471 + 0x8000) >> 16
    return luma.astype(np.uint8)[..., None]


def preprocess_pixels(pixels: np.ndarray, preprocess: str, shape: tuple[int, ...],
                      mean: tuple[float, ...], std: tuple[float, ...]) -> np.ndarray:
    """Decoded uint8 pixels -> the float32 HWC input of ``shape``, as ``fpgagen run`` makes it
    from an image file (fpgagen/frontend/images.py calls this function):

    - ``imagenet``: RGB; the shorter side resized to ``shape``'s larger side x 256/224
      (bilinear), the center ``H x W`` cropped;
    - ``digits``: greyscale, resized to ``H x W`` (bilinear) unless it has that size;

    then each value / 255 and per channel (v - mean) / std, in float32."""
    if preprocess not in PREPROCESSING:
        raise DriverError(f"preprocessing {preprocess!r} is not one of {PREPROCESSING}")
    height, width, channels = shape
    want = 3 if preprocess == "imagenet" else 1
    if channels != want:
        raise DriverError(f"{preprocess} preprocessing makes {want} channel(s), the model "
                          f"takes {channels}")
    a = _as_channels(pixels, channels)
    if preprocess == "imagenet":
        h, w = a.shape[:2]
        scale = IMAGENET_RESIZE * max(height, width) / min(w, h)
        size = (max(width, round(w * scale)), max(height, round(h * scale)))
        a = resize_bilinear(a, *size)
        left, top = (size[0] - width) // 2, (size[1] - height) // 2
        a = a[top:top + height, left:left + width]
    elif a.shape[:2] != (height, width):
        a = resize_bilinear(a, width, height)
    m, s = np.asarray(mean, dtype=np.float32), np.asarray(std, dtype=np.float32)
    return ((a.astype(np.float32) / 255.0 - m) / s).astype(np.float32)


def read_pixels(path: str | Path, channels: int) -> np.ndarray:
    """An image file's uint8 pixels: a ``.npy`` of pixels, or PNG/JPEG/... decoded by Pillow
    (needed for those only) into RGB (``channels`` 3) or greyscale (1), as fpgagen reads it."""
    p = Path(path)
    if not p.is_file():
        raise DriverError(f"image file {p} does not exist")
    if p.suffix.lower() == ".npy":
        try:
            return np.load(p, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise DriverError(f"cannot read {p} as .npy: {exc}") from None
    try:
        from PIL import Image
    except ImportError:
        raise DriverError(f"decoding {p.name} needs Pillow (pip install pillow); without it "
                          "give the decoded pixels as a uint8 array (or a .npy)") from None
    try:
        with Image.open(p) as img:
            return np.asarray(img.convert("RGB" if channels == 3 else "L"))
    except OSError as exc:
        raise DriverError(f"cannot read image {p}: {exc}") from None


def preprocess_image(source: str | Path | np.ndarray, info: BuildInfo) -> np.ndarray:
    """An image file or decoded uint8 pixels -> the float32 HWC input of this build, as
    ``fpgagen run`` preprocesses it for the build's model (build.json ``preprocess``)."""
    if info.preprocess is None:
        raise DriverError(f"build.json of {info.model} records no preprocessing: preprocess "
                          "the image yourself and call predict()")
    pixels = source if isinstance(source, np.ndarray) else read_pixels(source, info.in_shape[2])
    return preprocess_pixels(pixels, info.preprocess, info.in_shape, info.mean, info.std)


def top_classes(logits: np.ndarray, info: BuildInfo, k: int = 5
                ) -> list[tuple[int, str, float]]:
    """The ``k`` largest logits as (class, name, value), largest first, ties to the lower
    class (as ``fpgagen run`` lists them); the name is "" when the model has none."""
    y = np.asarray(logits).reshape(-1)
    order = np.argsort(-y, kind="stable")[:k]
    names = info.labels or ()
    return [(int(i), names[i] if i < len(names) else "", float(y[i])) for i in order]


# --- The board (PYNQ) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunStats:
    """One run on the board: the core's cycle count (None on the HLS core, which has no
    counter: not available), the latency that is at the build's clock (None likewise), and the
    host's wall time for the whole call."""

    cycles: int | None
    latency_ms: float | None
    wall_ms: float


class Accelerator:
    """The core on a PYNQ board: ``Accelerator("fpgagen.bit").predict(image) -> logits``.

    Loads the overlay, finds the core (``core``, its s_axi_control) and the AXI DMA (``dma``)
    by their block-design names, allocates the two DMA buffers once and checks the core's
    BUILD_ID against build.json (``build_json`` defaults to the one beside this file). Then the
    weights: ``weights`` (a weights.bin path or its bytes) is loaded when given; else, when the
    bitstream holds no weights (build.json weights.source ``runtime``), the build's own
    weights.bin beside build.json (`load_weights`). One run: arm the receive channel, write
    ap_start, send the image, wait for both channels and ap_done, then read STATUS (frame error)
    and CYCLES.
    """

    def __init__(self, bitfile: str | Path, build_json: str | Path | None = None,
                 core: str = "fpgagen_0", dma: str = "axi_dma_0", timeout_s: float = 10.0,
                 weights: str | Path | bytes | None = None) -> None:
        try:
            import pynq  # only here: everything above runs without a board
        except ImportError as exc:
            raise DriverError(f"Accelerator needs the pynq package (a PYNQ board image; "
                              f"{exc.msg}): everything else in this driver runs without it"
                              ) from None

        self._pynq = pynq
        self.build_json = build_json_path(build_json if build_json is not None
                                          else Path(__file__).resolve().with_name("build.json"))
        self.info = BuildInfo.load(self.build_json)
        self.timeout_s = float(timeout_s)
        self.overlay = pynq.Overlay(str(bitfile))
        ips = getattr(self.overlay, "ip_dict", {})
        for name in (core, dma):
            if name not in ips:
                raise DriverError(f"no IP {name!r} in the overlay {bitfile} (it has: "
                                  f"{', '.join(sorted(ips)) or 'none'}); pass core=/dma=")
        self.mmio = pynq.MMIO(ips[core]["phys_addr"], ips[core]["addr_range"])
        self.dma = getattr(self.overlay, dma)
        self.build_id = read_build_id(self.mmio.read, self.mmio.write)
        if self.build_id and self.build_id != self.info.build_id:
            raise DriverError(
                f"wrong bitstream for this build folder: the core reports BUILD_ID "
                f"0x{self.build_id:08x}, build.json ({self.info.model} on {self.info.board}) "
                f"says 0x{self.info.build_id:08x}; load the bitstream built from this folder "
                "or give its build.json")
        self.in_buffer = pynq.allocate(shape=(self.info.in_buffer_bytes,), dtype=np.uint8)
        self.out_buffer = pynq.allocate(shape=(self.info.out_buffer_bytes,), dtype=np.uint8)
        self.last_run: RunStats | None = None
        self.weights_crc: int | None = None   # the CRC of the weights this driver loaded
        if weights is not None:
            self.load_weights(weights)
        elif self.info.weights_required:
            self.load_weights(self._build_weights())

    @property
    def hls_core(self) -> bool:
        """The HLS core: no BUILD_ID, CYCLES or STATUS register (BUILD_ID reads 0; the other
        two alias AP_CTRL and GIE and are never read)."""
        return self.build_id == 0

    def _build_weights(self) -> Path:
        """The build's weights.bin (beside its build.json)."""
        path = self.build_json.parent / self.info.weights_file
        if not path.is_file():
            raise DriverError(f"the bitstream holds no weights and {path} is missing: copy the "
                              "build's driver/ folder whole, or pass weights=")
        return path

    def load_weights(self, source: str | Path | bytes | bytearray | memoryview) -> int:
        """Load a weights.bin (a path or its bytes) into the core: WEIGHTS = 1, the file
        through the input DMA, WEIGHTS polled until the load is done; then the core must say
        loaded and its WEIGHTS_CRC must equal the file's CRC-32. Returns that CRC.

        Refused before any transfer: a file that is not this build's length, an HLS core (its
        load mode is not built yet), a core that is not idle."""
        data = read_weights(source, self.info)
        crc = weights_crc(data)
        if self.hls_core:
            raise DriverError("this core has no weight load mode (the HLS core): its weights "
                              "are in its bitstream")
        ctrl = self.mmio.read(AP_CTRL)
        if not ctrl & AP_IDLE or self.mmio.read(WEIGHTS) & WEIGHTS_BUSY:
            raise DriverError(f"the core is busy (AP_CTRL 0x{ctrl:02x}): a load needs it idle")
        buf = self._pynq.allocate(shape=(len(data),), dtype=np.uint8)
        try:
            buf[:] = np.frombuffer(data, dtype=np.uint8)
            self.mmio.write(WEIGHTS, WEIGHTS_LOAD)
            send = self.dma.sendchannel
            send.transfer(buf)
            self._wait(send, "sending the weights")
            deadline = time.monotonic() + self.timeout_s
            while (state := self.mmio.read(WEIGHTS)) & WEIGHTS_BUSY:
                if time.monotonic() > deadline:
                    raise DriverError(f"the weight load did not end within {self.timeout_s} s "
                                      f"(WEIGHTS 0x{state:x})")
        finally:
            free = getattr(buf, "freebuffer", None)
            if free is not None:
                free()
        got = self.mmio.read(WEIGHTS_CRC)
        if state & WEIGHTS_ERROR or not state & WEIGHTS_LOADED:
            raise DriverError(f"the weight load failed (WEIGHTS 0x{state:x}): the core took "
                              f"another number of beats than {len(data) // self.info.tdata_bytes}"
                              " with TLAST on the last, or a TKEEP hole; the weights are not "
                              "loaded and every start is refused until a load succeeds")
        if got != crc:
            raise DriverError(f"the weights did not arrive intact: the core's WEIGHTS_CRC is "
                              f"0x{got:08x}, the file's 0x{crc:08x}; load them again")
        self.weights_crc = crc
        return crc

    def predict(self, image_hwc_float: np.ndarray) -> np.ndarray:
        """The preprocessed float HWC image -> float64 logits (the golden model's, exactly)."""
        return dequantize_logits(self.predict_int(quantize_image(image_hwc_float, self.info)),
                                 self.info)

    def predict_image(self, source: str | Path | np.ndarray) -> np.ndarray:
        """An image file (PNG, JPEG: decoded by Pillow; or a .npy of pixels) or decoded uint8
        pixels (H x W x 3 RGB, H x W grey) -> float64 logits: preprocessed for the build's
        model as ``fpgagen run`` does (`preprocess_image`), then `predict`. `top_classes`
        names the best ones."""
        return self.predict(preprocess_image(source, self.info))

    def predict_int(self, x_int: np.ndarray) -> np.ndarray:
        """Quantized HWC integers -> the logits' integers (int64, flat)."""
        data = pack_image(x_int, self.info)
        t0 = time.perf_counter()
        self._run(data)
        out = unpack_logits(np.asarray(self.out_buffer), self.info)
        wall = (time.perf_counter() - t0) * 1e3
        # the HLS core has no CYCLES: its 0x10 is AP_CTRL, so it is not read (not available)
        cycles = None if self.hls_core else int(self.mmio.read(CYCLES))
        latency = cycles / (self.info.clock_mhz * 1e3) if cycles else None
        self.last_run = RunStats(cycles, latency, wall)
        return out

    def _run(self, data: bytes) -> None:
        ctrl = self.mmio.read(AP_CTRL)  # also clears a stale ap_done
        if not ctrl & AP_IDLE:
            raise DriverError(f"the core is busy (AP_CTRL 0x{ctrl:02x}): a previous run did "
                              "not finish; reload the overlay")
        if not self.hls_core:
            state = self.mmio.read(WEIGHTS)
            if state & WEIGHTS_BUSY or not state & WEIGHTS_LOADED:
                raise DriverError(f"the core's weights are not loaded (WEIGHTS 0x{state:x}): "
                                  "it refuses to start; call load_weights")
        self.in_buffer[:] = np.frombuffer(data, dtype=np.uint8)
        send, recv = self.dma.sendchannel, self.dma.recvchannel
        recv.transfer(self.out_buffer)      # armed first: the logits have somewhere to go
        self.mmio.write(AP_CTRL, AP_START)
        send.transfer(self.in_buffer)       # PYNQ flushes the cache for a send
        self._wait(send, "sending the image")
        self._wait(recv, "receiving the logits")
        deadline = time.monotonic() + self.timeout_s
        while not self.mmio.read(AP_CTRL) & AP_DONE:
            if time.monotonic() > deadline:
                self._check_frame()
                raise DriverError(f"the core did not signal ap_done within {self.timeout_s} s")
        self._check_frame()
        # the S2MM channel counts the bytes TKEEP kept: the payload (the core marks the last
        # beat's padding) or, through a width converter that keeps all, whole beats
        got = getattr(recv, "transferred", None)
        if got not in (None, 0, self.info.out_payload_bytes, self.info.out_buffer_bytes):
            raise DriverError(f"received {got} bytes of logits, expected "
                              f"{self.info.out_payload_bytes}")

    def _check_frame(self) -> None:
        """STATUS bit 0: the input stream's TLAST was not on beat ``in_beats``; bit 2: the
        start was refused (the weights were not loaded)."""
        if self.hls_core:
            return
        status = self.mmio.read(STATUS)
        if status & STATUS_START_REFUSED:
            raise DriverError("the core refused the start: its weights are not loaded "
                              "(STATUS bit 2); call load_weights")
        if status & STATUS_FRAME_ERROR:
            raise DriverError(
                "input frame error: TLAST came on a beat other than the last or not on the "
                f"last (the core takes {self.info.in_beats} beats of {self.info.tdata_bits} "
                "bits); the DMA's stream width or buffer length does not match this build")

    def _wait(self, channel: Any, what: str) -> None:
        """Poll a DMA channel to idle with a deadline (PYNQ's wait() alone spins forever on a
        core that never answers), then call wait() for its error check and cache invalidate."""
        deadline = time.monotonic() + self.timeout_s
        while not channel.idle:
            if time.monotonic() > deadline:
                self._check_frame()  # a frame error is why the logits never come
                raise DriverError(f"DMA timed out {what} after {self.timeout_s} s (is the "
                                  "core clocked and out of reset?)")
        channel.wait()

    def close(self) -> None:
        """Free the two DMA buffers."""
        for buf in (self.in_buffer, self.out_buffer):
            free = getattr(buf, "freebuffer", None)
            if free is not None:
                free()

    def __enter__(self) -> Accelerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
