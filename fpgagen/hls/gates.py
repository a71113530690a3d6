"""The gates on the HLS core's synthesis branch, run together on a build's hls/ folder.

1. it compiles: ``g++ -O0 -c -D__SYNTHESIS__`` of the sources as they are, initializers
   included, clean (fpgagen/hls/synth_branch.py);
2. its memories are the Plan's, counted from the code under the stated rule
   (fpgagen/hls/memories.py);
3. one hardware instance per engine unit, from g++'s call graph (fpgagen/hls/instances.py);
4. every pipelined loop's carried state passes through at most two multiplexers after an
   adder or comparator on a recurrence (fpgagen/hls/recurrences.py).

One preprocessing and one -O0 compile of a declarations-only copy serve 2, 3 and 4 (the
object's symbols name the arrays, its call graph the calls, the preprocessed text the loops);
1 compiles the sources as they are. On the ZC706 default the four take about 20 s
(docs/hardware.md, measured figures), most of it the full compile.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fpgagen.hls import instances, memories, recurrences, synth_branch


@dataclass(frozen=True)
class GateResult:
    """The four verdicts and how long they took."""

    compile: synth_branch.CompileResult
    memories: memories.MemoryCount
    instances: instances.InstanceCheck
    loops: recurrences.RecurrenceCheck
    seconds: float

    @property
    def ok(self) -> bool:
        return (self.compile.ok and self.memories.ok and self.instances.ok
                and self.loops.ok)

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "seconds": round(self.seconds, 2),
                "synthesis_compile": self.compile.to_json(),
                "memories": self.memories.to_json(), "instances": self.instances.to_json(),
                "loop_state": self.loops.to_json()}

    def lines(self) -> list[tuple[str, bool]]:
        """What ``verify`` prints, each line with whether it is good news: one line per gate,
        then each problem."""
        c, m, i = self.compile, self.memories, self.instances
        elided = (f"; initializers elided: {', '.join(c.elided)}" if c.elided else
                  ", initializers included")
        out = [(("__SYNTHESIS__ branch compiles clean" if c.ok else
                 f"__SYNTHESIS__ branch: {len(c.diagnostics)} g++ diagnostic line(s)")
                + f" (g++ -O0, {c.seconds:.1f} s, {c.cpu_seconds:.1f} s CPU, "
                   f"{c.max_rss_mb:,.0f} MB{elided})", c.ok)]
        out += [(f"  {d}", False) for d in c.diagnostics[:10]]
        out.append((m.line(), m.ok))
        out += [(f"  MISMATCH {x}", False) for x in m.mismatches]
        out.append(("HLS instances: " + instances.summary(i), i.ok))
        out += [(f"  {x}", False) for x in i.problems[1:]]
        out.append(("HLS loop state: " + self.loops.summary(), self.loops.ok))
        out += [(f"  {v}", False) for v in self.loops.problems[:10]]
        return out


def run_gates(hls_dir: Path, plan: Mapping[str, Sequence[memories.Part]]) -> GateResult:
    """Run the four gates on ``hls_dir`` against the arrays the Plan's HLS memories are
    written as (`plan_arrays` of ``Plan.hls_memories``, or `report_arrays` of a build's
    report.json)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fpgagen-hlsgate-") as tmp:
        work = Path(tmp)
        compiled = synth_branch.compile_check(synth_branch.prepare(hls_dir, work / "full"))
        src = synth_branch.prepare(hls_dir, work / "decl", synth_branch.DECLARATIONS_ONLY)
        pre = synth_branch.preprocess(src)
        loops = recurrences.check_preprocessed(pre, src.root)
        obj = synth_branch.compile_object(instances.mark_inline_off(pre), work / "obj")
        graph = instances.read_callgraph(obj.parent)
        instance_check = instances.check_instances(graph)
        user = {f.name for f in graph.functions.values() if f.where.startswith(str(src.root))}
        names, local = memories.static_symbols(obj, user)
        arrays = memories.probe_arrays(src, names, work)
        memory_count = memories.count_memories(arrays, memories.hls_pragmas(pre), plan, local)
    return GateResult(compiled, memory_count, instance_check, loops, time.perf_counter() - t0)
