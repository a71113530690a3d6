"""The HLS core's synthesis branch, as g++ sees it: what Vitis HLS parses, checked without Vitis.

Under ``__SYNTHESIS__`` the generated C++ differs from what C-simulation compiles: the
``FG_PRAGMA`` directives become ``_Pragma("HLS ...")``, the debug hook and the loop counters of
the testbench are gone. C-simulation never compiles that branch;
this module does, with the same g++ and the same ap_types headers (hls4ml's), so a typo or a
type error there fails here instead of in a user's csynth run.

The ap_types headers cannot be used with ``__SYNTHESIS__`` as they are: ap_common.h stops with
``#error "The open-source version of AP types does not support synthesis."``, because under
synthesis ap_int is built on ``ssdm_int``, a type only the Vitis HLS front end knows. So a small
shim folder, searched before ap_types, holds an ``ap_int.h`` and an ``ap_fixed.h`` that include
the real headers with ``__SYNTHESIS__`` undefined around them (``push_macro``/``pop_macro``):
the types are the C-simulation model of ap_int/ap_fixed (the same API), everything in
fpgagen's own files is compiled as synthesis sees it. What this does not prove: that Vitis's
own ssdm-based headers accept every operator the generated code uses (the open-source headers
are Xilinx's C-sim model of them), nor anything about scheduling.

Flags: ``-Wall -Wextra``, minus two warnings that are about Vitis, not about the code:
``-Wno-unknown-pragmas`` (g++ does not know ``#pragma HLS``) and ``-Wno-unused-label`` (loop
labels name loops in the Vitis report; C-simulation turns the same warning off in
fpgagen.cpp, but only outside ``__SYNTHESIS__``). Anything else g++ says fails the gate.

The ROMs are arrays of plain unsigned integers (weights.h) in both branches, so the whole
synthesis branch of the ZC706 default, its 1,226 x 256-chunk weight initializer included,
compiles at -O0 in seconds (docs/hardware.md, measured figures; an ``ap_int`` element type made
the same initializer a million class objects g++ could not compile in minutes). The compile gate
(`compile_check`) compiles the sources as they are, initializers included. The memory probe
and the call graph only need the declarations: they compile a copy whose large initializers
are replaced by ``{}`` (`prepare` with `DECLARATIONS_ONLY`), which saves two whole compiles.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fpgagen.errors import FpgagenError
from fpgagen.hls.toolchain import ap_types_dir, compiler

SYNTH_FLAGS = ("-std=c++14", "-D__SYNTHESIS__")
WARN_FLAGS = ("-Wall", "-Wextra", "-Wno-unknown-pragmas", "-Wno-unused-label")
# the ap_types entry points that reach ap_common.h's #error under __SYNTHESIS__
SHIMMED = ("ap_int.h", "ap_fixed.h")
SHIM_DIR = "synth_shim"
# for the probe and the call graph, whose compiles need only the declarations: initializers
# longer than this are elided in their copy of the sources (not in the compile gate's)
DECLARATIONS_ONLY = 1024
TIMEOUT_S = 600.0


def _env() -> dict[str, str]:
    """g++'s environment: the C locale, so its messages are plain ASCII whatever the user's."""
    return {**os.environ, "LC_ALL": "C"}

# a file-scope array definition with an initializer: `static const T NAME[..]... = {`
_INITIALIZED_ARRAY = re.compile(
    r"^(?P<decl>(?:static\s+)?(?:const\s+)?[\w:<>, ]+?\s+(?P<name>\w+)\s*(?:\[[^\]\n]*\]\s*)+)"
    r"=\s*\{", re.M)


@dataclass(frozen=True)
class SynthSources:
    """A copy of hls/ ready for g++ under ``__SYNTHESIS__`` (see `prepare`)."""

    root: Path
    elided: tuple[str, ...]  # arrays whose initializers were replaced by {} (declaration-only)

    @property
    def top_file(self) -> Path:
        return self.root / "fpgagen.cpp"

    def include_flags(self) -> list[str]:
        """The shim first, then ap_types (both system: their warnings are not ours), then the
        csim folder (ap_axi_sdata.h, hls_stream.h come from there and ap_types)."""
        return ["-isystem", str(self.root / SHIM_DIR), "-isystem", str(ap_types_dir()),
                "-I", str(self.root / "csim"), "-I", str(self.root)]

    def flags(self) -> list[str]:
        return [*SYNTH_FLAGS, *WARN_FLAGS, *self.include_flags()]


@dataclass(frozen=True)
class CompileResult:
    """The synthesis-branch compile gate's verdict: clean means no diagnostic at all. ``elided``
    names initializers the compile did not see (none, for the gate: `prepare`'s default);
    ``max_rss_mb`` is g++'s peak memory."""

    ok: bool
    seconds: float                # wall time
    diagnostics: tuple[str, ...]  # g++'s lines (warnings, errors), empty when clean
    elided: tuple[str, ...]
    max_rss_mb: float = 0.0
    cpu_seconds: float = 0.0      # g++'s own user + system time (the machine's load aside)

    def to_json(self) -> dict[str, object]:
        return {"clean": self.ok, "seconds": round(self.seconds, 2),
                "cpu_seconds": round(self.cpu_seconds, 2),
                "max_rss_mb": round(self.max_rss_mb, 1), "optimization": "-O0",
                "diagnostics": list(self.diagnostics[:20]),
                "initializers_elided": list(self.elided)}


def shim_header(name: str) -> str:
    """A header that includes ap_types' ``name`` with ``__SYNTHESIS__`` undefined around it."""
    guard = "FPGAGEN_SYNTH_SHIM_" + re.sub(r"\W", "_", name).upper()
    return ("// fpgagen synthesis-branch gate (fpgagen/hls/synth_branch.py): the open-source\n"
            f"// {name} #errors under __SYNTHESIS__ (it needs Vitis's ssdm_int); include it\n"
            "// as the C-simulation model, and only it, with __SYNTHESIS__ undefined.\n"
            f"#ifndef {guard}\n#define {guard}\n"
            '#pragma push_macro("__SYNTHESIS__")\n#undef __SYNTHESIS__\n'
            f"#include_next <{name}>\n"
            '#pragma pop_macro("__SYNTHESIS__")\n#endif\n')


def elide_initializers(text: str, limit: int) -> tuple[str, tuple[str, ...]]:
    """``text`` with every array initializer longer than ``limit`` characters replaced by
    ``{}``, and the names of those arrays. Braces are matched outside ``//`` comments."""
    out, names, pos = [], [], 0
    for m in _INITIALIZED_ARRAY.finditer(text):
        if m.start() < pos:
            continue
        end = _closing_brace(text, m.end() - 1)
        if end - m.end() < limit:
            continue
        out += [text[pos:m.start()], m.group("decl").rstrip(), " = {}"]
        names.append(m.group("name"))
        pos = end + 1
    out.append(text[pos:])
    return "".join(out), tuple(names)


_BRACE_OR_COMMENT = re.compile(r"[{}]|//[^\n]*")


def _closing_brace(text: str, start: int) -> int:
    depth = 0
    for m in _BRACE_OR_COMMENT.finditer(text, start):
        tok = m.group()
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
            if depth == 0:
                return m.start()
    raise FpgagenError("unbalanced braces in an array initializer of the generated HLS code")


def prepare(hls_dir: Path, root: Path, elide_bytes: int | None = None) -> SynthSources:
    """Copy ``hls_dir`` to ``root`` with the shim inside; with ``elide_bytes``, elide
    initializers longer than that (the memory count and the call graph need only the
    declarations: they pass `DECLARATIONS_ONLY`; the compile gate elides nothing)."""
    if not (hls_dir / "fpgagen.cpp").is_file():
        raise FpgagenError(f"{hls_dir} has no fpgagen.cpp (give the hls/ folder of a build)")
    shutil.copytree(hls_dir, root, dirs_exist_ok=True)
    elided: list[str] = []
    for path in sorted(root.glob("*.[ch]*")):
        if elide_bytes is None or path.stat().st_size <= elide_bytes:
            continue
        text, names = elide_initializers(path.read_text(), elide_bytes)
        if names:
            path.write_text(text)
            elided += names
    shim = root / SHIM_DIR
    shim.mkdir(exist_ok=True)
    for name in SHIMMED:
        (shim / name).write_text(shim_header(name))
    return SynthSources(root, tuple(elided))


def run_gxx(args: list[str], what: str, cwd: Path | None = None,
            timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """Run g++ ``args``; a failure to compile is a one-line `FpgagenError` naming ``what``."""
    try:
        proc = subprocess.run([compiler(), *args], capture_output=True, text=True, check=False,
                              timeout=timeout, cwd=cwd, env=_env())
    except subprocess.TimeoutExpired:
        raise FpgagenError(f"{what}: g++ did not finish within {timeout:.0f} s") from None
    if proc.returncode != 0:
        first = next((ln for ln in proc.stderr.splitlines() if "error" in ln),
                     proc.stderr.strip()[:200] or f"exit {proc.returncode}")
        raise FpgagenError(f"{what}: {first.strip()}")
    return proc


def compile_check(src: SynthSources) -> CompileResult:
    """The gate: ``g++ -O0 -c -D__SYNTHESIS__`` of fpgagen.cpp, the sources as `prepare` copied
    them (every initializer, unless that copy elided some), clean or not; its time and g++'s
    peak memory."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fpgagen-synth-o-") as tmp:
        err = Path(tmp) / "stderr"
        with err.open("w") as stderr:
            proc = subprocess.Popen([compiler(), "-O0", "-c", *src.flags(), str(src.top_file),
                                     "-o", str(Path(tmp) / "fpgagen.o")],
                                    stdout=subprocess.DEVNULL, stderr=stderr, env=_env())
            status, rss_kb, cpu = _wait(proc, TIMEOUT_S)
        if status is None:
            raise FpgagenError(f"the __SYNTHESIS__ branch: g++ did not finish within "
                               f"{TIMEOUT_S:.0f} s")
        lines = tuple(ln for ln in err.read_text().splitlines() if ln.strip())
    return CompileResult(status == 0 and not lines, time.perf_counter() - t0, lines,
                         src.elided, rss_kb / 1024, cpu)


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> tuple[int | None, int, float]:
    """Wait for ``proc`` (reaping it with wait4: its own resource usage); its exit status,
    None after a timeout (it is killed), its peak resident memory in KiB and its CPU seconds
    (user + system)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            proc.returncode = -9
            return None, 0, 0.0
        time.sleep(0.02)


def preprocess(src: SynthSources) -> str:
    """fpgagen.cpp after the preprocessor, under ``__SYNTHESIS__``: every macro expanded, each
    ``FG_PRAGMA(HLS ...)`` printed as a ``#pragma HLS ...`` line."""
    return run_gxx(["-E", *src.flags(), str(src.top_file)],
                   "preprocessing the __SYNTHESIS__ branch").stdout


def compile_object(preprocessed: str, work: Path) -> Path:
    """Compile ``preprocessed`` (from `preprocess`, possibly edited; the flags that matter
    were applied by the preprocessor) at -O0 into an object in ``work``, with g++'s call graph
    beside it (``fpgagen.ci``, ``-fcallgraph-info``). -O0 keeps every call a call: nothing is
    inlined away before the call graph is written."""
    work.mkdir(parents=True, exist_ok=True)
    ii = work / "fpgagen.ii"
    ii.write_text(preprocessed)
    obj = work / "fpgagen.o"
    run_gxx(["-std=c++14", "-O0", "-c", "-w", "-fcallgraph-info", str(ii.name), "-o",
             obj.name], "compiling the __SYNTHESIS__ branch for its call graph", cwd=work)
    return obj
