"""The engine's shape: grouped by concern, no import cycles, no private names shared across
modules, no module too long to read, and never a Streamlit import."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

ENGINE = ROOT / "genre_core"
SUBPACKAGES = ("data", "models", "metrics", "experiments", "runs", "plots", "cli")
MAX_LINES = 600


def modules() -> dict[str, Path]:
    out = {}
    for path in ENGINE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports_of(path: Path, name: str) -> list[tuple[str, list[str]]]:
    """(module, imported names) for every import in the file, at any depth."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            found.append((base, [alias.name for alias in node.names]))
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        for target, names in imports_of(path, name):
            for candidate in [target] + [f"{target}.{n}" for n in names]:
                if candidate in mods and candidate != name:
                    edges[name].add(candidate)
    return edges


def test_the_engine_is_grouped_by_concern():
    for package in SUBPACKAGES:
        assert (ENGINE / package / "__init__.py").is_file(), package
    loose = sorted(
        p.name for p in ENGINE.glob("*.py") if p.stem not in ("__init__", "__main__", "errors")
    )
    assert loose == ["params.py", "settings.py"], loose


def test_no_module_imports_another_in_a_circle():
    edges = graph()
    # a package's __init__ re-exports its modules; an edge into an __init__ is an edge into them
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if nxt.startswith(node + "."):
                continue  # a package importing its own modules
            if node.startswith(nxt + ".") and nxt in edges:
                continue  # a module importing its own package's public face is fine
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, cycles


def test_no_private_name_is_imported_across_modules():
    mods = modules()
    offences = []
    for name, path in mods.items():
        for target, names in imports_of(path, name):
            if target.startswith("genre_core"):
                offences += [f"{name} imports {target}.{n}" for n in names if n.startswith("_")]
    assert not offences, offences


def test_no_engine_module_is_too_long_to_read():
    long = {
        str(p.relative_to(ROOT)): n
        for p in ENGINE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long, long


def test_the_engine_never_imports_streamlit():
    for name, path in modules().items():
        for target, _ in imports_of(path, name):
            assert not target.startswith("streamlit"), name
