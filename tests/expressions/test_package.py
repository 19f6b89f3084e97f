"""server/expressions is shared by every engine: it must not depend on the workflow binding."""

from __future__ import annotations

import ast
from pathlib import Path

import server.expressions

PACKAGE = Path(server.expressions.__file__).parent


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_expressions_import_neither_spiffworkflow_nor_the_engine() -> None:
    files = sorted(PACKAGE.glob("*.py"))
    assert {p.name for p in files} >= {"jexl.py", "feel.py", "sql.py", "limits.py", "__init__.py"}
    for path in files:
        for module in _imports(path):
            assert not module.startswith(("SpiffWorkflow", "server.engine", "flask")), f"{path.name} imports {module}"
            assert not module.startswith("server.") or module.startswith("server.expressions"), \
                f"{path.name} imports {module}"
