"""One hardware instance per engine unit, read from g++'s call graph of the synthesis branch.

Vitis HLS builds a function that is not inlined (``#pragma HLS INLINE off``) as a hardware
instance per call site, and an inlined function as a copy of its logic at each site. So:

- every function marked ``INLINE off`` (but the top) must be reached from the top function by
  exactly one chain of call sites: two sites (or one site in a function that is itself reached
  twice) build two engines;
- every function that multiplies ``ap_int`` values (a call to ``operator*`` of the ap types: at
  -O0 an ap_int multiply is a call, while the native ``int`` arithmetic of addresses is not)
  must be reached by exactly one chain, through an ``INLINE off`` function (itself or a caller
  on the chain): the MAC array is built once, inside a named unit (the conv engine).

Both facts come from the compiler, not from the text: g++ 12's ``-fcallgraph-info`` writes
every call site (caller, callee, file:line:col) of the translation unit compiled at -O0 under
``__SYNTHESIS__``. Which functions are ``INLINE off`` is asked the compiler too: in the
preprocessed code each ``#pragma HLS INLINE off`` line is replaced by a call to a marker
function, so the call graph names the function whose body holds the pragma (a pragma outside
any function does not compile, and says so).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fpgagen.errors import FpgagenError

TOP = "fpgagen_top"
MARKER = "fg_gate_inline_off_marker"
_INLINE_OFF = re.compile(r"^[ \t]*#[ \t]*pragma[ \t]+HLS[ \t]+INLINE[ \t]+off[ \t]*$",
                         re.M | re.I)
_NODE = re.compile(r'^node: \{ title: "((?:[^"\\]|\\.)*)" label: "((?:[^"\\]|\\.)*)"', re.M)
_EDGE = re.compile(r'^edge: \{ sourcename: "((?:[^"\\]|\\.)*)" targetname: '
                   r'"((?:[^"\\]|\\.)*)" label: "((?:[^"\\]|\\.)*)"', re.M)
_MULTIPLY = re.compile(r"\boperator\s*\*=?\s*[<(]")


def mark_inline_off(preprocessed: str) -> str:
    """The preprocessed code with each ``#pragma HLS INLINE off`` line turned into a call to
    `MARKER` (declared at the top), so that the call graph says which function holds it."""
    marked, n = _INLINE_OFF.subn(f"{MARKER}();", preprocessed)
    return f'extern "C" void {MARKER}(void);\n{marked}' if n else preprocessed


@dataclass(frozen=True)
class Function:
    """A function of the call graph: its display name and where it is defined."""

    title: str
    name: str       # e.g. conv_rows (no return type, no arguments)
    signature: str  # the first line of g++'s label
    where: str      # file:line:col of the definition, or "" for an external function


@dataclass(frozen=True)
class Call:
    caller: str  # Function.title
    callee: str
    site: str    # file:line:col of the call


@dataclass(frozen=True)
class CallGraph:
    """g++'s call graph of one translation unit (``-fcallgraph-info``, VCG format)."""

    functions: Mapping[str, Function]
    calls: tuple[Call, ...]

    def by_name(self, name: str) -> list[Function]:
        return [f for f in self.functions.values() if f.name == name]


def _unescape(s: str) -> str:
    return s.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def function_name(signature: str) -> str:
    """``void conv_rows(const layer_t&, int, int)`` -> ``conv_rows``; an operator keeps its
    symbol (``operator*``); return type, scopes and template arguments are dropped."""
    head = signature.split(" [with ")[0]
    if "operator" in head:
        return "operator" + head.split("operator", 1)[1].split("(")[0].split("<")[0].strip()
    depth = 0
    for i, ch in enumerate(head):  # the argument list: the first "(" outside template <>
        depth += (ch == "<") - (ch == ">")
        if ch == "(" and depth == 0:
            head = head[:i]
            break
    head = re.sub(r"<[^<>]*(?:<[^<>]*>[^<>]*)*>\s*$", "", head.strip())  # template arguments
    return re.split(r"[\s:*&]+", head)[-1]


def parse_callgraph(text: str) -> CallGraph:
    """Read g++'s ``.ci`` file."""
    funcs: dict[str, Function] = {}
    for title, label in _NODE.findall(text):
        sig, _, where = _unescape(label).partition("\n")
        funcs[_unescape(title)] = Function(_unescape(title), function_name(sig), sig, where)
    calls = tuple(Call(_unescape(a), _unescape(b), _unescape(s)) for a, b, s in _EDGE.findall(text))
    for c in calls:
        for t in (c.caller, c.callee):
            funcs.setdefault(t, Function(t, t, t, ""))
    if not funcs:
        raise FpgagenError("g++ wrote an empty call graph (-fcallgraph-info)")
    return CallGraph(funcs, calls)


@dataclass(frozen=True)
class Unit:
    """A function the gate cares about and the chains of call sites that reach it."""

    name: str
    inline_off: bool
    multiplies: bool
    paths: tuple[tuple[Call, ...], ...]
    in_unit: bool  # every chain passes an INLINE off function (the function itself counts)

    def chains(self, graph: CallGraph) -> list[str]:
        return [" -> ".join([TOP] + [f"{graph.functions[c.callee].name} ({_site(c.site)})"
                                     for c in p]) for p in self.paths]


def _site(where: str) -> str:
    return Path(where.split(":")[0]).name + where[len(where.split(":")[0]):]


@dataclass(frozen=True)
class InstanceCheck:
    """The verdict: the INLINE off functions, the multiplying ones, and what is wrong."""

    units: tuple[Unit, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "problems": list(self.problems),
                "inline_off": [u.name for u in self.units if u.inline_off],
                "multiply": [u.name for u in self.units if u.multiplies],
                "instances": {u.name: len(u.paths) for u in self.units}}


def _paths_from(graph: CallGraph, top: str, limit: int = 16
                ) -> dict[str, tuple[tuple[Call, ...], ...]]:
    """Every chain of call sites from ``top`` to each function of the generated code (library
    functions are leaves); at most ``limit`` chains kept per function: beyond two, the count
    is what matters (reported as ``limit``+)."""
    by_caller: dict[str, list[Call]] = {}
    for c in graph.calls:
        by_caller.setdefault(c.caller, []).append(c)
    out: dict[str, tuple[tuple[Call, ...], ...]] = {}
    stack: list[tuple[str, tuple[Call, ...]]] = [(top, ())]
    while stack:
        title, path = stack.pop()
        for c in by_caller.get(title, ()):
            if c.callee == top or any(p.caller == c.callee for p in path):
                raise FpgagenError(f"recursion in the HLS core: {graph.functions[c.callee].name}"
                                   " calls itself (Vitis HLS does not synthesize it)")
            got = out.get(c.callee, ())
            if len(got) >= limit:
                continue
            out[c.callee] = (*got, (*path, c))
            if not _is_library(graph.functions[c.callee]):
                stack.append((c.callee, (*path, c)))
    return out


def check_instances(graph: CallGraph, top: str = TOP) -> InstanceCheck:
    """Apply the two rules of the module docstring to ``graph``."""
    tops = graph.by_name(top)
    if len(tops) != 1:
        raise FpgagenError(f"the HLS code defines {len(tops)} functions named {top} (want 1)")
    root = tops[0].title
    off = {c.caller for c in graph.calls if graph.functions[c.callee].name == MARKER}
    mult = {c.caller for c in graph.calls
            if _MULTIPLY.search(graph.functions[c.callee].signature)
            and graph.functions[c.caller].where and not _is_library(graph.functions[c.caller])}
    paths = _paths_from(graph, root)
    mult = {t for t in mult if t == root or t in paths}  # dead code builds nothing
    units, problems = [], []
    for title in sorted(off | mult, key=lambda t: graph.functions[t].name):
        f = graph.functions[title]
        reach = () if title == root else paths.get(title, ())
        inside = title in off or all(any(c.caller in off and c.caller != root for c in p)
                                     for p in reach)
        u = Unit(f.name, title in off, title in mult, reach, inside and bool(reach or
                                                                          title == root))
        units.append(u)
        if title == root:
            if title in mult:
                problems.append(f"{top} multiplies itself: the MACs belong in an INLINE off "
                                "unit (the conv engine) called once")
            continue
        what = "INLINE off" if title in off else "multiplying"
        if len(reach) != 1:
            n = f"{len(reach)}+" if len(reach) >= 16 else str(len(reach))
            chains = "; ".join(u.chains(graph)) or f"never called from {top}"
            problems.append(f"{f.name} ({what}) has {n} instances, want 1: {chains}")
        if title in mult and not inside:
            problems.append(f"{f.name} multiplies outside any INLINE off unit: its MACs are "
                            "copied into every caller (mark the unit that holds them "
                            "FG_PRAGMA(HLS INLINE off))")
    if not mult:
        problems.append(f"no function reached from {top} multiplies ap_int values: the gate "
                        "cannot find the conv engine")
    if not off - {root}:
        problems.append("no function is marked INLINE off: nothing is a hardware unit of its "
                        "own")
    return InstanceCheck(tuple(units), tuple(problems))


def _is_library(f: Function) -> bool:
    """A function of the ap types or the C++ library (its multiplies are the operators)."""
    return "/ap_types/" in f.where or f.where.startswith("/usr/") or "operator" in f.name


def summary(check: InstanceCheck) -> str:
    """One line: the units and their instance counts, or the first problem."""
    units = ", ".join(f"{u.name} x{len(u.paths)}" for u in check.units if u.inline_off)
    if check.ok:
        return f"one instance per engine unit ({units})"
    return f"{len(check.problems)} problem(s): {check.problems[0]}"


def read_callgraph(folder: Path) -> CallGraph:
    """The ``.ci`` file g++ wrote into ``folder``."""
    files = sorted(folder.glob("*.ci"))
    if len(files) != 1:
        raise FpgagenError(f"g++ -fcallgraph-info wrote {len(files)} .ci files in {folder}")
    return parse_callgraph(files[0].read_text())
