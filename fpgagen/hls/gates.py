"""The gates on the HLS core's synthesis branch, run together on a build's hls/ folder.

1. it compiles: ``g++ -fsyntax-only -D__SYNTHESIS__``, clean (fpgagen/hls/synth_branch.py);
2. its memories are the Plan's, counted from the code (fpgagen/hls/memories.py);
3. one hardware instance per engine unit, from g++'s call graph (fpgagen/hls/instances.py).

One preprocessing and one -O0 compile serve 2 and 3 (the object's symbols name the arrays,
its call graph the calls); 1 compiles the sources as they are. On the ZC706 default the three
take about 6 s of CPU (docs/hardware.md, measured figures), a small model about as long: the ap_int
headers, not the model, are most of g++'s work.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fpgagen.hls import instances, memories, synth_branch


@dataclass(frozen=True)
class GateResult:
    """The three verdicts and how long they took."""

    compile: synth_branch.CompileResult
    memories: memories.MemoryCount
    instances: instances.InstanceCheck
    seconds: float

    @property
    def ok(self) -> bool:
        return self.compile.ok and self.memories.ok and self.instances.ok

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "seconds": round(self.seconds, 2),
                "synthesis_compile": self.compile.to_json(),
                "memories": self.memories.to_json(), "instances": self.instances.to_json()}

    def lines(self) -> list[tuple[str, bool]]:
        """What ``verify`` prints, each line with whether it is good news: one line per gate,
        then each problem."""
        c, m, i = self.compile, self.memories, self.instances
        elided = (f"; ROM initializers elided: {', '.join(c.elided)}" if c.elided else "")
        out = [(("__SYNTHESIS__ branch compiles clean" if c.ok else
                 f"__SYNTHESIS__ branch: {len(c.diagnostics)} g++ diagnostic line(s)")
                + f" (g++ -fsyntax-only, {c.seconds:.1f} s{elided})", c.ok)]
        out += [(f"  {d}", False) for d in c.diagnostics[:10]]
        out.append((m.line(), m.ok))
        out += [(f"  MISMATCH {x}", False) for x in m.mismatches]
        out.append(("HLS instances: " + instances.summary(i), i.ok))
        out += [(f"  {x}", False) for x in i.problems[1:]]
        return out


def run_gates(hls_dir: Path, plan: Mapping[str, Sequence[memories.Part]]) -> GateResult:
    """Run the three gates on ``hls_dir`` against the Plan's memories (`plan_parts` of a Plan,
    or `report_parts` of a build's report.json)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fpgagen-hlsgate-") as tmp:
        work = Path(tmp)
        compiled = synth_branch.syntax_check(synth_branch.prepare(hls_dir, work / "full"))
        src = synth_branch.prepare(hls_dir, work / "decl", synth_branch.DECLARATIONS_ONLY)
        pre = synth_branch.preprocess(src)
        obj = synth_branch.compile_object(instances.mark_inline_off(pre), work / "obj")
        graph = instances.read_callgraph(obj.parent)
        instance_check = instances.check_instances(graph)
        user = {f.name for f in graph.functions.values() if f.where.startswith(str(src.root))}
        names, local = memories.static_symbols(obj, user)
        arrays = memories.probe_arrays(src, names, work)
        memory_count = memories.count_memories(arrays, memories.hls_pragmas(pre), plan, local)
    return GateResult(compiled, memory_count, instance_check, time.perf_counter() - t0)
