"""Import rules of the package layout (see README "Project layout" and shared/DESIGN.md).

Imports are read from the source (every ``import`` statement, module level or inside a function), so an import
that only runs on some code path counts like any other.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "specialize"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Modules ``path`` imports: ``from a.b import c`` counts as ``a.b.c`` when that is a module, else ``a.b``."""
    package = _module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else _module_name(path)
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative import
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in SRC.rglob("*.py") if "remote_code" not in p.parts}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        # An import of a package's submodule also runs the package's __init__, but a package importing its own
        # submodules is the normal way to expose them; only real module-to-module edges are followed.
        graph[name] = {m for m in _imports(path) if m in modules and m != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_counting_imports_inside_functions():
    graph = _graph()
    # A package __init__ that re-exports its submodules is a facade, not part of a cycle through them.
    without_facades = {
        v: {w for w in ws if not (graph.get(w) is not None and v.startswith(w + "."))} for v, ws in graph.items()
    }
    cycles = _cycles(without_facades)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_data_imports_nothing_else_of_the_package_and_no_torch():
    for path in (SRC / "data").rglob("*.py"):
        for name in _imports(path):
            assert not name.startswith(("torch", "transformers")), f"{path} imports {name}"
            if name.startswith("specialize."):
                assert name.startswith(("specialize.data", "specialize.errors")), f"{path} imports {name}"


def test_nothing_below_cli_imports_cli():
    for path in SRC.rglob("*.py"):
        if "cli" in path.relative_to(SRC).parts or path.name == "__main__.py":
            continue
        assert not any(n.startswith("specialize.cli") for n in _imports(path)), path


def test_models_and_training_know_nothing_of_serve():
    for folder in ("models", "training", "tasks", "data", "runtime"):
        for path in (SRC / folder).rglob("*.py"):
            assert not any(n.startswith("specialize.serve") for n in _imports(path)), path


def test_errors_module_imports_nothing():
    assert not [n for n in _imports(SRC / "errors.py") if not n.startswith("__future__")]


def test_importing_the_package_is_cheap():
    code = "import sys, specialize, specialize.data.io; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
