"""The library's layers: each package imports only what sits below it, and modules import no cycle.

A newcomer finds a concern by folder name (the scorer in ``evaluation/``, checkpoints in ``training/``,
the KV cache in ``generation/``); this keeps the folders honest as the code grows.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What each package may import besides itself: whole packages, or single modules ("tools.spec").
# The tool declarations (tools.spec: names, typed inputs) sit between the project's errors and the
# prompt that lists them; the rest of tools/ (runtime, backends) sits above the protocol.
ALLOWED: dict[str, set[str]] = {
    "protocol": {"tools.spec"},
    "tools": {"protocol.errors"},
    "modeling": {"protocol"},
    "generation": {"protocol", "modeling", "tools.spec"},
    "training": {"protocol", "modeling"},
    "evaluation": {"protocol", "tools", "modeling", "generation"},
    "agent": {"protocol", "tools", "modeling", "generation"},
    "data_gen": {"protocol", "tools", "modeling", "generation", "evaluation"},
    "ui": {"protocol", "tools", "modeling", "generation", "agent"},
    "session_eval": {"protocol", "tools", "modeling", "generation", "evaluation", "agent", "ui"},
}
PACKAGES = set(ALLOWED)


def _imports(path: Path) -> set[str]:
    """The project modules a module imports (at any depth: lazy imports count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _library_modules() -> dict[str, Path]:
    return {_module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def _allowed(package: str, module: str) -> bool:
    return module.split(".", maxsplit=1)[0] == package or any(
        module == entry or module.startswith(entry + ".") for entry in ALLOWED[package]
    )


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_package_imports_a_layer_above_it(package: str) -> None:
    wrong = sorted(
        f"{path.relative_to(ROOT)} imports {imported}"
        for path in sorted((ROOT / package).rglob("*.py"))
        # a package's __main__ is a command-line entry point, which sits above every layer
        if path.name != "__main__.py"
        for imported in _imports(path)
        if not _allowed(package, imported)
    )
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def test_every_library_package_has_a_layer() -> None:
    folders = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "benchmarks", "scripts"}
    assert folders <= PACKAGES, f"give {sorted(folders - PACKAGES)} a place in ALLOWED"


def test_no_module_import_cycles() -> None:
    modules = _library_modules()
    graph = {
        name: {imported for imported in _imports(path) if imported in modules and imported != name}
        for name, path in modules.items()
    }
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == "done":
            return
        assert state.get(name) != "open", "import cycle: " + " -> ".join([*trail, name])
        state[name] = "open"
        for imported in sorted(graph[name]):
            visit(imported, [*trail, name])
        state[name] = "done"

    for name in sorted(graph):
        visit(name, [])
