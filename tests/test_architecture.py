"""The layout holds: imports go one way (the import-linter contracts in pyproject.toml), no module
imports itself back through another, the DAG files call only ``pipeline.jobs``, and the flat top
level of ``pipeline/`` holds only the shared modules."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
SHARED_MODULES = {
    "__init__",
    "__main__",
    "clock",
    "config",
    "errors",
    "i18n",
    "labels",
    "vocabulary",
}


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_contracts_are_kept() -> None:
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_stage_that_imports_an_entrypoint_breaks_the_contracts(tmp_path: Path) -> None:
    shutil.copytree(
        ROOT / "pipeline", tmp_path / "pipeline", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    people = tmp_path / "pipeline" / "registry" / "people.py"
    people.write_text(
        people.read_text() + "\n\ndef _app():\n    from pipeline.cli import app\n\n    return app\n"
    )

    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout
    assert "pipeline.registry.people -> pipeline.cli" in result.stdout


def test_no_module_imports_itself_back_through_others() -> None:
    """Strongly connected modules, counting function-local imports and package ``__init__``s."""
    graph = grimp.build_graph("pipeline", cache_dir=None)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)

    assert cycles == []


def test_dag_files_call_only_the_jobs() -> None:
    imported = {
        node.module
        for path in (ROOT / "dags").glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pipeline")
    }

    assert imported == {"pipeline.jobs"}


def test_the_top_level_of_pipeline_holds_only_shared_modules() -> None:
    flat = {p.stem for p in (ROOT / "pipeline").glob("*.py")}

    assert flat == SHARED_MODULES
