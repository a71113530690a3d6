"""The package's layout is its architecture: subpackages by pipeline stage, imports only
downward, no cycles (imports inside functions count: they would only hide one)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "fpgagen"

# Lowest first: a subpackage may import its own modules and those of the layers below it.
# The generators of the two cores (hls, rtl) share a layer and read neither each other nor
# anything above the machine they both build.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"errors", "util", "driver"}),
    frozenset({"frontend"}),
    frozenset({"quant"}),
    frozenset({"plan"}),
    frozenset({"machine"}),
    frozenset({"hls", "rtl"}),
    frozenset({"system"}),
    frozenset({"verify", "silicon"}),
    frozenset({"report"}),
    frozenset({"pipeline"}),
    frozenset({"api"}),
    frozenset({"dse"}),
    frozenset({"cli", "__main__"}),
)
# The package itself (fpgagen/__init__.py) holds __version__, which any layer may import, and
# re-exports the API on first use: its own imports may reach only these layers.
FACADE_LAYERS = frozenset({"api", "dse", "errors"})
TOP_LEVEL_FILES_MAX = 12


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The package modules ``path`` imports (anywhere in the file), resolved to modules."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{path}: relative import; the package uses absolute ones")
            base = node.module or ""
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in modules else base)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m in modules}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: _imports(p, modules) - {m} for m, p in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first search (each one once, from its smallest module).
    Package __init__ files are only docstrings, so an import of a package is no edge."""
    inits = {m for m, p in _modules().items() if p.name == "__init__.py"}
    state: dict[str, int] = {}
    stack: list[str] = []
    found: set[tuple[str, ...]] = set()

    def visit(u: str) -> None:
        state[u] = 1
        stack.append(u)
        for v in sorted(graph[u] - inits):
            if state.get(v) == 1:
                cyc = stack[stack.index(v):]
                k = cyc.index(min(cyc))
                found.add(tuple(cyc[k:] + cyc[:k]))
            elif v not in state:
                visit(v)
        stack.pop()
        state[u] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    return [list(c) for c in sorted(found)]


def _layer(module: str) -> int:
    part = module.split(".")[1] if "." in module else ""
    if not part:  # the package itself (its __version__)
        return 0
    for i, names in enumerate(LAYERS):
        if part in names:
            return i
    raise AssertionError(f"{module}: fpgagen/{part} is in no layer of tests/test_layout.py")


def test_no_import_cycle():
    assert _cycles(_graph()) == []


def test_a_cycle_is_found():
    """The cycle search itself finds a cycle (so an empty answer means something)."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_imports_go_down_the_layers():
    upward = [f"{m} -> {t}" for m, targets in sorted(_graph().items()) for t in sorted(targets)
              if _layer(t) > _layer(m) and m != "fpgagen"]
    assert upward == []


def test_the_package_re_exports_only_the_api():
    """``import fpgagen`` is the API's front door: it imports the API (lazily), nothing else."""
    targets = _graph()["fpgagen"]
    assert targets, "fpgagen/__init__.py re-exports nothing"
    assert all(t.split(".")[1] in FACADE_LAYERS for t in targets), sorted(targets)


def test_the_two_cores_never_read_each_other():
    graph = _graph()
    for a, b in (("hls", "rtl"), ("rtl", "hls")):
        reads = [f"{m} -> {t}" for m, ts in graph.items() if m.startswith(f"fpgagen.{a}.")
                 for t in ts if t.startswith(f"fpgagen.{b}.")]
        assert reads == []


def test_few_files_at_the_top():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= TOP_LEVEL_FILES_MAX, top


def test_every_subpackage_says_what_it_holds():
    for init in PACKAGE.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc, f"{init} has no docstring"
