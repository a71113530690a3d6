"""What a whole-network RTL run produced, read back and judged: the runs' figures from the
bench's result files, the logits unpacked as the driver unpacks them, every layer's output from
the arena dumps and the streamed logits compared with the golden model's vectors, and the
host's view of the control registers checked against the register map.

Kept apart from running the bench (`fpgagen.verify.rtlbench`) because it needs no simulator:
``fpgagen verify`` compares, and the tests and ``bench/bench_rtl.py`` reuse the comparison on
runs of their own. The file formats are the bench's (``templates/rtl/fpgagen_tb.v.j2`` and its
cocotb side, `fpgagen.verify.bench_cocotb`): ``$writememh`` hex words, one per line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fpgagen.driver.fpgagen_driver import STATUS_LOADED, unpack_values, value_bytes
from fpgagen.verify.csim import TensorResult

LOGITS = "logits (out_stream)"  # compare_rtl's name for the streamed logits

# what the bench reports besides the logits (fpgagen_tb.v.j2 outputs of the same names)
BENCH_REGISTERS = ("load_cycles", "keep_errors", "last_errors", "reg_ctrl", "reg_ctrl_after",
                   "reg_cycles", "reg_status", "reg_id", "reg_isr_after", "irq_after",
                   "reg_weights", "reg_wcrc", "wl_cycles")


@dataclass(frozen=True)
class RtlRun:
    """One simulated inference: cycles, per-entry cycles, the logits, the arena dumps, and what
    the host saw over AXI4-Lite."""

    cycles: int
    cycles_per_entry: tuple[int, ...]
    logits: tuple[int, ...]          # unpacked from the output beats, as the driver unpacks
    out_count: int                   # output beats
    out_last_index: int              # the first beat with TLAST
    dump_prefix: Path | None
    build_seconds: float
    run_seconds: float
    host: dict[str, int] = field(default_factory=dict)   # BENCH_REGISTERS
    done_at: int = 0                 # streaming: the cycle of its ap_done since the start


def read_hex_file(path: Path) -> list[int]:
    """The words of a ``$readmemh``/``$writememh`` file (comments and addresses skipped)."""
    out = []
    for line in Path(path).read_text().split():
        if line.startswith("//") or line.startswith("@"):
            continue
        out.append(int(line, 16))
    return out


def to_signed(v: int, bits: int, is_signed: int | bool) -> int:
    """The ``bits``-bit word ``v`` as a value: two's complement when ``is_signed``."""
    v &= (1 << bits) - 1
    if is_signed and v >> (bits - 1):
        v -= 1 << bits
    return v


def output_values(beats: list[int], info: dict) -> list[int]:
    """The output beats (TDATA words) -> the logits, unpacked by the driver's function; fewer
    beats than the format's give the values that arrived (the beat count fails the compare)."""
    tb = info["tdata_bits"] // 8
    data = b"".join(w.to_bytes(tb, "little") for w in beats)
    count = min(info["out_count"], len(data) // value_bytes(info["out_w"]))
    return unpack_values(data, info["out_w"], bool(info["out_signed"]), count).tolist()


def batch_runs(results: Sequence[dict], files: Sequence[dict], info: dict, work: Path,
               dump_prefix: Path | None, build_seconds: float) -> list[RtlRun]:
    """The runs of one simulation of images one after the other: each image's figures from the
    bench's result.json entries, its logits and per-entry cycles from its own files (``files``:
    the ``output`` and ``cycles`` paths per image; for one image the bench's own files in
    ``work``). The build time goes to the first run, the dumps are the first run's."""
    runs = []
    for i, r in enumerate(results):
        mine = files[i] if len(files) > 1 else {"output": work / "output_rtl.hex",
                                                  "cycles": work / "cycles.hex"}
        cycles = read_hex_file(Path(mine["cycles"]))
        logits = output_values(read_hex_file(Path(mine["output"])), info)
        runs.append(RtlRun(r["cycles"], tuple(cycles), tuple(logits), r["out_count"],
                           r["out_last_index"], dump_prefix,
                           build_seconds if i == 0 else 0.0, r["run_seconds"],
                           {k: r[k] for k in BENCH_REGISTERS}))
    return runs


def stream_runs(r: dict, info: dict, work: Path, n: int, dump_prefix: Path | None,
                build_seconds: float) -> list[RtlRun]:
    """The runs of one streaming simulation: the output beats split per image, each image's
    ap_done cycle, count and frame error (done_times.hex: three words per image)."""
    times = read_hex_file(work / "done_times.hex")
    beats = read_hex_file(work / "output_rtl.hex")
    per = info["out_beats"]
    total = r["out_count"]
    entries = tuple(read_hex_file(work / "cycles.hex"))
    runs = []
    for i in range(n):
        mine = beats[i * per:(i + 1) * per] if total >= (i + 1) * per else []
        last = i == n - 1
        host = ({k: r[k] for k in BENCH_REGISTERS} if last
                else {"keep_errors": r["keep_errors"], "last_errors": r["last_errors"],
                      **({"load_cycles": r["load_cycles"]} if i == 0 else {})})
        host["frame_error"] = times[3 * i + 2]
        runs.append(RtlRun(times[3 * i + 1], entries if i == 0 else (),
                           tuple(output_values(mine, info)), len(mine),
                           per - 1 if mine and r["last_errors"] == 0 else -1,
                           dump_prefix if i == 0 else None, build_seconds if i == 0 else 0.0,
                           r["run_seconds"] if i == 0 else 0.0, host, times[3 * i]))
    return runs


def _read_arena_dump(prefix: str, columns: list[dict], banks: int = 1) -> list[int] | None:
    """The arena's words from the bench's dumps (``<prefix>_b<bank>_c<k>.hex``, column k of
    bank b holding bits [offset, offset + width) of words b, b + banks, ...: word a lives in
    bank a mod banks at a // banks, hw/fg_arena.v); None when a dump is missing."""
    per_bank: list[list[int]] = []
    for b in range(banks):
        words: list[int] = []
        for k, col in enumerate(columns):
            path = Path(f"{prefix}_b{b}_c{k}.hex")
            if not path.is_file():
                return None
            part = read_hex_file(path)
            if not words:
                words = [0] * len(part)
            mask = (1 << col["width"]) - 1
            for i, x in enumerate(part):
                words[i] |= (x & mask) << col["offset"]
        per_bank.append(words)
    depth = min(len(w) for w in per_bank)
    return [per_bank[a % banks][a // banks] for a in range(depth * banks)]


def compare_rtl(run: RtlRun, rtl_dir: Path, vectors: Path) -> tuple[list, list[str]]:
    """Every tensor view (from the arena dumps) and the logits against vectors/*.hex.

    Returns (TensorResult list, missing vector names)."""
    info = json.loads((Path(rtl_dir) / "bench.json").read_text())
    p_in, act_w, pix = info["p_in"], info["act_w"], info.get("p_pix", 1)
    banks = info.get("arena_banks", 1)
    results, missing = [], []
    dumps: dict[int, list[int]] = {}
    for v in info["views"] if run.dump_prefix is not None else []:
        path = Path(vectors) / "layers" / f"{v['name']}.hex"
        n = v["h"] * v["w"] * v["c"]
        if not path.is_file():
            missing.append(v["name"])
            continue
        expected = [to_signed(x, v["width"], v["signed"]) for x in read_hex_file(path)]
        if len(expected) != n:
            missing.append(v["name"])
            continue
        e = v["after_entry"]
        if e not in dumps:
            arena = _read_arena_dump(f"{run.dump_prefix}{e}", info["arena_columns"],
                                     banks * pix)
            if arena is None:
                results.append(TensorResult(v["name"], False, 0, None, None, "no arena dump", 1))
                continue
            dumps[e] = arena
        arena = dumps[e]
        bad, first = 0, None
        mask = (1 << act_w) - 1
        idx = 0
        groups = -(-v["w"] // pix)
        for y in range(v["h"]):
            for x in range(v["w"]):
                # pixel bank x mod p_pix (its NW banks at dump banks p * NW ..), group x div
                # p_pix; one pixel bank: the plain arena
                px, gx = x % pix, x // pix
                at = v["base"] + (y * groups + gx) * v["stride"]
                for c in range(v["c"]):
                    a = at + c // p_in
                    a = (a // banks) * banks * pix + px * banks + a % banks
                    word = arena[a] if a < len(arena) else 0
                    got = to_signed((word >> ((c % p_in) * act_w)) & mask, act_w, v["signed"])
                    if got != expected[idx]:
                        if first is None:
                            first = ((y, x, c), expected[idx], got)
                        bad += 1
                    idx += 1
        if bad:
            assert first is not None
            results.append(TensorResult(v["name"], False, 0, first[0], first[1], first[2], bad))
        else:
            results.append(TensorResult(v["name"], True, n))
    # the streamed logits
    out_path = Path(vectors) / "output.hex"
    name = LOGITS
    if not out_path.is_file():
        missing.append("output")
    else:
        bits, sgn = info["out_w"], info["out_signed"]
        expected = [to_signed(x, bits, sgn) for x in read_hex_file(out_path)]
        got = list(run.logits[:len(expected)])
        beats = info["out_beats"]
        keep_errors = run.host.get("keep_errors", 0)
        last_errors = run.host.get("last_errors", 0)
        if (run.out_count != beats or run.out_last_index != beats - 1 or keep_errors
                or last_errors):
            results.append(TensorResult(
                name, False, 0, None, None,
                f"{run.out_count} beats (expected {beats}), TLAST at beat {run.out_last_index} "
                f"(expected {beats - 1}), {keep_errors} beats with a wrong TKEEP, "
                f"{last_errors} with a wrong TLAST", 1))
        else:
            diffs = [i for i, (a, b) in enumerate(zip(expected, got, strict=True)) if a != b]
            if diffs:
                i = diffs[0]
                results.append(TensorResult(name, False, 0, (0, 0, i), expected[i], got[i],
                                            len(diffs)))
            else:
                results.append(TensorResult(name, True, len(expected)))
    if "reg_ctrl" in run.host:  # a streaming run's host view is its last image's
        results.append(check_host_view(run, info))
    return results, missing


def check_host_view(run: RtlRun, info: dict) -> TensorResult:
    """What the host saw over s_axi_control (fpgagen_tb's program) against the register map:
    ap_done set and cleared on read, idle after, the interrupt acknowledged, CYCLES equal to the
    bench's own count, the weights loaded and no frame error, the build's BUILD_ID."""
    h = run.host
    checks = [
        (h["reg_ctrl"] & 0b110 == 0b110, f"AP_CTRL after the run {h['reg_ctrl']:#x} (want "
                                          "ap_done and ap_idle set)"),
        (h["reg_ctrl_after"] & 0b110 == 0b100, f"AP_CTRL after a read {h['reg_ctrl_after']:#x}"
                                                " (want ap_done cleared, ap_idle set)"),
        (h["reg_cycles"] == run.cycles, f"CYCLES register {h['reg_cycles']} != {run.cycles} "
                                        "counted by the bench"),
        (h["reg_status"] == STATUS_LOADED,
         f"STATUS {h['reg_status']:#x} (want {STATUS_LOADED:#x}: weights loaded, no frame "
         "error, no start refused)"),
        (h["reg_id"] == int(info["build_id_hex"], 16),
         f"BUILD_ID {h['reg_id']:#010x} != the build's 0x{info['build_id_hex']}"),
        (h["reg_isr_after"] == 0 and h["irq_after"] == 0,
         f"ISR {h['reg_isr_after']:#x} / interrupt {h['irq_after']} after the acknowledge"),
    ]
    bad = [text for ok, text in checks if not ok]
    if bad:
        return TensorResult("control (s_axi_control)", False, 0, None, None, "; ".join(bad),
                            len(bad))
    return TensorResult("control (s_axi_control)", True, len(checks))
