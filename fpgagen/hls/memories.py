"""The HLS core's on-chip memories, counted from the generated code, next to the Plan's.

The Plan says which memories the machine has (width x depth, mapped onto BRAM/URAM blocks) and
how a core writes them: each RAM as its block-RAM columns, one array per column, each ROM as
one array (`fpgagen.machine.columns.written_arrays`). The HLS C++ must declare exactly those,
or Vitis builds a different machine. This module asks the compiler what the code declares,
under ``__SYNTHESIS__`` (fpgagen/hls/synth_branch.py), and shapes it the way Vitis HLS does:

- the arrays: every static array g++ defines in the translation unit (``nm`` of the object),
  their dimensions and element widths printed by a probe program compiled with the generated
  sources (``std::extent`` of the array, the ``ap_int``/``ap_uint`` width of its element);
  arrays of a struct (the layer table ``LAYERS``) are tables, not lane memories, and are not
  counted; function-local static arrays are refused (the contract puts memories at file scope,
  where they can be probed);
- the shaping: the ``#pragma HLS`` lines of the preprocessed code (every macro expanded):
  ``ARRAY_PARTITION`` splits a dimension into separate memories, ``ARRAY_RESHAPE`` widens the
  word by it (``complete``, or ``cyclic``/``block`` with ``factor``; ``dim=0`` every
  dimension), the remaining dimensions multiply into the depth; ``BIND_STORAGE impl=`` says
  bram, uram or lutram (none: bram, what Vitis picks for an array of this size);
- the blocks: each memory built by the rule a tool applies to one array (docs/hardware.md,
  the memory rule): for ``impl=bram`` one block aspect, the cheapest
  (`fpgagen.plan.bram.map_one_array`: a column of one block width is a stack of that block),
  for ``impl=uram`` URAM columns over the whole width (`map_with_uram`: Vitis puts the whole
  array in URAM), no block for LUTRAM.

`compare` puts the arrays of each role (`role_of`: ``arena_c0`` .. are the activation arena's
columns) beside the arrays the Plan says that memory is written as: the same arrays, widths,
depths, BRAM36/BRAM18/URAM; a mismatch names both sides.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fpgagen.errors import FpgagenError
from fpgagen.hls.synth_branch import SynthSources, run_gxx
from fpgagen.machine.columns import written_arrays
from fpgagen.plan.bram import URAM_WIDTH, BlockMapping, bram36_total, map_one_array, map_with_uram
from fpgagen.plan.plan import ACTIVATIONS, BIASES, INPUT_STAGING, WEIGHTS, Memory
from fpgagen.util.arith import ceil_div

# the arrays of the HLS core and the Plan memories they build (templates/hls/fpgagen.cpp.j2):
# a RAM's columns are <name>_c0, <name>_c1, ..
CODE_NAMES = {"arena": ACTIVATIONS, "stage": INPUT_STAGING, "WMEM": WEIGHTS, "BMEM": BIASES}
_COLUMN = re.compile(r"^(?P<base>\w+?)_c\d+$")
IMPLS = ("bram", "uram", "lutram")


def role_of(array: str) -> str | None:
    """The Plan memory an array of the HLS core builds (a part of), or None."""
    m = _COLUMN.match(array)
    return CODE_NAMES.get(m.group("base") if m else array)

_PRAGMA = re.compile(r"^[ \t]*#[ \t]*pragma[ \t]+HLS[ \t]+(.*?)[ \t]*$", re.M | re.I)
_IDENT = re.compile(r"^[A-Za-z_]\w*(::[A-Za-z_]\w*)*$")
_PROBE = "fg_memory_probe.cpp"
_PROBE_CODE = r"""
// fpgagen/hls/memories.py: prints each array's element width and dimensions, as g++ sees them
#include <cstdio>
#include <type_traits>
template <typename T, typename = void> struct fg_lane {  // 0: not a lane (a struct: a table)
  static const int kind = std::is_integral<T>::value ? 2 : 0;
  static const int width = std::is_integral<T>::value ? (int)(8 * sizeof(T)) : 0;
};
template <int W> struct fg_lane<ap_int<W> > { static const int kind = 1, width = W; };
template <int W> struct fg_lane<ap_uint<W> > { static const int kind = 1, width = W; };
template <typename A, unsigned I = 0, bool Done = (I >= std::rank<A>::value)> struct fg_dims {
  static void print() {
    std::printf(" %lu", (unsigned long)std::extent<A, I>::value);
    fg_dims<A, I + 1>::print();
  }
};
template <typename A, unsigned I> struct fg_dims<A, I, true> { static void print() {} };
template <typename A> static void fg_probe(const char *name, const A &) {
  typedef typename std::remove_all_extents<A>::type CE;
  typedef typename std::remove_cv<CE>::type E;
  std::printf("%s %d %d %d", name, fg_lane<E>::kind, fg_lane<E>::width,
              (int)std::is_const<CE>::value);
  fg_dims<A>::print();
  std::printf("\n");
}
"""


@dataclass(frozen=True)
class Pragma:
    """One ``#pragma HLS`` line: directive, ``key=value`` options, bare words."""

    directive: str
    options: Mapping[str, str]
    words: tuple[str, ...]

    @property
    def variable(self) -> str | None:
        return self.options.get("variable")


def hls_pragmas(preprocessed: str) -> list[Pragma]:
    """Every ``#pragma HLS`` line of the preprocessed code, in order."""
    out = []
    for m in _PRAGMA.finditer(preprocessed):
        tokens = m.group(1).split()
        if not tokens:
            continue
        opts = dict(t.split("=", 1) for t in tokens[1:] if "=" in t)
        out.append(Pragma(tokens[0].upper(), {k.lower(): v for k, v in opts.items()},
                          tuple(t.lower() for t in tokens[1:] if "=" not in t)))
    return out


@dataclass(frozen=True)
class CodeArray:
    """A static array as g++ sees it: dimensions and element width (``lane``: an integer or
    ap_int element; False for a struct element, the layer table); ``ap``: the element is an
    ap_int/ap_uint (a class), ``const``: a ROM (its contents are its initializer)."""

    name: str
    dims: tuple[int, ...]
    element_bits: int
    lane: bool
    ap: bool = False
    const: bool = False


def static_symbols(obj: Path, user_functions: set[str]) -> tuple[list[str], list[str]]:
    """The data symbols g++ defined in ``obj``: (file- or namespace-scope names to probe,
    static variables inside a function of the generated code)."""
    nm = shutil.which("nm")
    if nm is None:
        raise FpgagenError("nm not found (binutils): the HLS memory count reads the object's "
                           "symbols")
    proc = subprocess.run([nm, "-C", "--defined-only", str(obj)], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise FpgagenError(f"nm {obj.name}: {proc.stderr.strip()[:200]}")
    names, local = [], []
    for line in proc.stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) != 3 or parts[1].lower() not in "bdgrs":
            continue
        name = parts[2]
        if "(" in name:  # a function-local static: "f(int)::x"
            func = re.sub(r"<.*>", "", name.split("(")[0]).split("::")[-1]
            if func in user_functions:
                local.append(name)
        elif _IDENT.match(name) and not name.startswith(("std::", "__")):
            names.append(name)
    return sorted(set(names)), local


def probe_arrays(src: SynthSources, names: Sequence[str], work: Path) -> list[CodeArray]:
    """Compile and run a probe that includes fpgagen.cpp and prints each array's shape."""
    if not names:
        return []
    calls = "".join(f"  fg_probe<decltype({n})>(\"{n}\", {n});\n" for n in names)
    probe = src.root / _PROBE
    probe.write_text(f'#include "fpgagen.cpp"\n{_PROBE_CODE}\nint main() {{\n{calls}'
                     "  return 0;\n}\n")
    exe = work / "fg_memory_probe"
    run_gxx(["-O0", "-w", *src.flags(), str(probe), "-o", str(exe)],
            "compiling the HLS memory probe")
    proc = subprocess.run([str(exe)], capture_output=True, text=True, check=False, timeout=60)
    if proc.returncode != 0:
        raise FpgagenError(f"the HLS memory probe failed (exit {proc.returncode})")
    out = []
    for line in proc.stdout.splitlines():
        name, kind, width, const, *dims = line.split()
        if dims:  # a scalar is a register, not a memory
            out.append(CodeArray(name, tuple(int(d) for d in dims), int(width), kind != "0",
                                 kind == "1", const == "1"))
    return out


@dataclass(frozen=True)
class CodeMemory:
    """An array as Vitis would build it: ``count`` memories of ``width`` x ``depth``."""

    array: str
    count: int
    width: int
    depth: int
    impl: str
    mapping: BlockMapping  # of one of the ``count`` memories
    notes: tuple[str, ...] = ()

    @property
    def mappings(self) -> list[BlockMapping]:
        return [self.mapping] * self.count

    def shape(self) -> str:
        """``4 RAMs of 18 x 12,544 (bram; each 6 BRAM36 + 1 BRAM18 + 0 URAM)``: what a
        reviewer compares."""
        kind = "ROM" if role_of(self.array) in (WEIGHTS, BIASES) else "RAM"
        n = f"{self.count} {kind}{'s' if self.count != 1 else ''}"
        return (f"{n} of {self.width} x {self.depth:,} ({self.impl}; "
                f"{'each ' if self.count != 1 else ''}{_blocks(self.mapping)})")


def _blocks(m: BlockMapping | Part) -> str:
    return f"{m.bram36} BRAM36 + {m.bram18} BRAM18 + {m.uram} URAM"


def shape_array(array: CodeArray, pragmas: Sequence[Pragma]) -> CodeMemory:
    """What Vitis builds of ``array`` under its ARRAY_PARTITION / ARRAY_RESHAPE /
    BIND_STORAGE pragmas (see the module docstring)."""
    dims = list(array.dims)
    count, width, notes = 1, array.element_bits, []
    impl = None
    for p in pragmas:
        if p.variable != array.name:
            continue
        if p.directive == "BIND_STORAGE":
            impl = p.options.get("impl", "").lower() or None
            continue
        if p.directive not in ("ARRAY_PARTITION", "ARRAY_RESHAPE"):
            continue
        kind = p.options.get("type", "").lower() or next(
            (w for w in p.words if w in ("complete", "cyclic", "block")), "complete")
        dim = int(p.options.get("dim", "1"))
        if not 0 <= dim <= len(dims):
            raise FpgagenError(f"{p.directive} variable={array.name} dim={dim}: the array has "
                               f"{len(dims)} dimension(s)")
        for i in range(len(dims)) if dim == 0 else [dim - 1]:
            split = dims[i] if kind == "complete" else int(p.options.get("factor", "0"))
            if split <= 0:
                raise FpgagenError(f"{p.directive} variable={array.name} type={kind}: no factor")
            split = min(split, dims[i])
            if p.directive == "ARRAY_PARTITION":
                count *= split
            else:
                width *= split
            dims[i] = ceil_div(dims[i], split)
    depth = math.prod(dims)
    if impl is None:
        impl = "bram"
        notes.append("no BIND_STORAGE impl: counted as block RAM")
    if impl not in IMPLS:
        raise FpgagenError(f"BIND_STORAGE variable={array.name} impl={impl}: expected one of "
                           f"{', '.join(IMPLS)}")
    if impl == "lutram" or depth == 1:
        mapping = BlockMapping(width, depth, ())
    elif impl == "uram":  # Vitis puts the whole array in URAM, every 72-bit slice
        mapping = map_with_uram(width, depth, ceil_div(width, URAM_WIDTH))
    else:  # one array: one block aspect (the rule, fpgagen/plan/bram.py)
        mapping = map_one_array(width, depth)
    return CodeMemory(array.name, count, width, depth, impl, mapping, tuple(notes))


@dataclass(frozen=True)
class Part:
    """One array the Plan says a core writes (a block-RAM column of a staging bank or arena
    bank or lane group, or a whole ROM), with its blocks."""

    width: int
    depth: int
    bram36: int
    bram18: int
    uram: int

    @property
    def halves(self) -> int:
        return 2 * self.bram36 + self.bram18

    def key(self) -> tuple[int, int, int, int, int]:
        return (self.width, self.depth, self.bram36, self.bram18, self.uram)

    @classmethod
    def of(cls, m: BlockMapping) -> Part:
        return cls(m.width, m.depth, m.bram36, m.bram18, m.uram)


def plan_arrays(memories: Mapping[str, Memory]) -> dict[str, tuple[Part, ...]]:
    """The Plan's memories (the HLS core's: `Plan.hls_memories`), each as the arrays it is
    written as (`fpgagen.machine.columns.written_arrays`)."""
    return {name: tuple(Part.of(a) for a in arrays)
            for name, arrays in written_arrays(memories).items()}


def report_arrays(report: Mapping[str, object]) -> dict[str, tuple[Part, ...]] | None:
    """The same from a build's report.json (``memory.hls_memories[].arrays``, written by
    `check`); None for a report from before the HLS core's arrays were recorded."""
    memory = report.get("memory")
    mems = memory.get("hls_memories") if isinstance(memory, dict) else None
    if not isinstance(mems, list) or not all(isinstance(m, dict) and isinstance(
            m.get("arrays"), list) for m in mems):
        return None
    try:
        return {m["name"]: tuple(Part(int(p["width"]), int(p["depth"]), int(p["bram36"]),
                                      int(p["bram18"]), int(p["uram"])) for p in m["arrays"])
                for m in mems}
    except (KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class MemoryCount:
    """The HLS memory count beside the Plan's, and every disagreement."""

    memories: tuple[CodeMemory, ...]
    tables: tuple[str, ...]      # arrays that are not lane memories (the layer table)
    plan_bram36: int
    plan_uram: int
    mismatches: tuple[str, ...]

    @property
    def bram36(self) -> int:
        return bram36_total([m for c in self.memories for m in c.mappings])

    @property
    def uram(self) -> int:
        return sum(m.uram for c in self.memories for m in c.mappings)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def line(self) -> str:
        """``HLS memories: 436 BRAM36 (Plan: 436) from the code``, plus URAM when there is."""
        uram = f", {self.uram} URAM (Plan: {self.plan_uram})" if self.uram or self.plan_uram \
            else ""
        return f"HLS memories: {self.bram36} BRAM36 (Plan: {self.plan_bram36}){uram} from the code"

    def to_json(self) -> dict[str, object]:
        return {"bram36": self.bram36, "uram": self.uram, "plan_bram36": self.plan_bram36,
                "plan_uram": self.plan_uram, "matches_plan": self.ok,
                "mismatches": list(self.mismatches), "tables_not_counted": list(self.tables),
                "memories": [{"array": m.array, "plan": role_of(m.array),
                              "count": m.count, "width": m.width, "depth": m.depth,
                              "impl": m.impl, "bram36": m.mapping.bram36 * m.count,
                              "bram18": m.mapping.bram18 * m.count,
                              "uram": m.mapping.uram * m.count, "notes": list(m.notes)}
                             for m in self.memories]}


def _shapes(parts: Sequence[Part]) -> str:
    groups: dict[tuple[int, int, str], int] = {}
    for p in parts:
        key = (p.width, p.depth, _blocks(p))
        groups[key] = groups.get(key, 0) + 1
    return " + ".join(f"{n} of {w} x {d:,} ({'each ' if n != 1 else ''}{b})"
                      for (w, d, b), n in sorted(groups.items()))


def compare(code: Sequence[CodeMemory], plan: Mapping[str, Sequence[Part]]) -> list[str]:
    """The arrays of each role against the arrays the Plan writes that memory as: one line
    per memory that differs."""
    out = []
    mine: dict[str, list[CodeMemory]] = {}
    for m in code:
        role = role_of(m.array)
        if role is None or role not in plan:
            out.append(f"{m.array}: the code builds {m.shape()}, the Plan has no such memory")
            continue
        mine.setdefault(role, []).append(m)
    for role, parts in plan.items():
        arrays = mine.get(role, [])
        if not arrays:
            names = [a for a, r in CODE_NAMES.items() if r == role]
            out.append(f"{role}: the Plan has {_shapes(parts)}, the code declares no "
                       f"{' / '.join(names) or 'array for it'}")
            continue
        got = [Part.of(b) for m in arrays for b in m.mappings]
        if sorted(p.key() for p in got) != sorted(p.key() for p in parts):
            out.append(f"{role}: the code builds {_shapes(got)} "
                       f"({', '.join(m.array for m in arrays)}), the Plan {_shapes(parts)}")
    return out


def count_memories(arrays: Sequence[CodeArray], pragmas: Sequence[Pragma],
                   plan: Mapping[str, Sequence[Part]], function_statics: Sequence[str] = ()
                   ) -> MemoryCount:
    """Shape every lane array, compare with the Plan; ``function_statics`` (static variables
    inside functions of the generated code) are reported, not counted."""
    memories = tuple(shape_array(a, pragmas) for a in arrays if a.lane)
    tables = tuple(a.name for a in arrays if not a.lane)
    mismatches = compare(memories, plan)
    # a ROM's initializer must be plain integers: an ap_int element makes every word a class
    # object to construct, which g++ (and a tool's front end) cannot fold in reasonable time
    mismatches += [f"{a.name}: a ROM of ap_int/ap_uint elements; its initializer is "
                   f"{math.prod(a.dims):,} class objects (write it as plain integers)"
                   for a in arrays if a.const and a.ap]
    mismatches += [f"{s}: a static inside a function; memories must be file-scope arrays to be "
                   "counted" for s in function_statics]
    parts = [p for ps in plan.values() for p in ps]
    return MemoryCount(memories, tables, ceil_div(sum(p.halves for p in parts), 2),
                       sum(p.uram for p in parts), tuple(mismatches))
