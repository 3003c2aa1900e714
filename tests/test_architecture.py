"""Import rules of the package layout (see README "Project layout")."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "specialize"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_data_imports_nothing_else_of_the_package_and_no_torch():
    for path in (SRC / "data").rglob("*.py"):
        for name in _imports(path):
            assert not name.startswith(("torch", "transformers")), f"{path} imports {name}"
            if name.startswith("specialize."):
                assert name.startswith("specialize.data"), f"{path} imports {name}"


def test_nothing_below_cli_imports_cli():
    for path in SRC.rglob("*.py"):
        if "cli" in path.relative_to(SRC).parts or path.name == "__main__.py":
            continue
        assert not any(n.startswith("specialize.cli") for n in _imports(path)), path


def test_importing_the_package_is_cheap():
    code = "import sys, specialize, specialize.data.io; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
