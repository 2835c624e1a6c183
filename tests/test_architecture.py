"""The folder tree is the architecture: one-way imports, curated fronts, a light import."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUBPACKAGES = ("nodes", "graphs", "engine", "visual")
FRONTS = (
    "plait",
    "plait.nodes",
    "plait.graphs",
    "plait.engine",
    "plait.engine.executors",
    "plait.engine.telemetry",
    "plait.visual",
)

# What each layer may import at load time (besides itself): nodes <- graphs <- engine,
# visual reads graphs; nothing imports the front.
ALLOWED = {
    "nodes": set(),
    "graphs": {"nodes"},
    "engine": {"nodes", "graphs"},
    "visual": {"nodes", "graphs"},
}
# The one sanctioned call-time import against the direction: Graph.run and friends are
# convenience delegates to the engine (docs/adr-001-layout-and-import-direction.md).
CALL_TIME_EXCEPTIONS = {("graphs/_graph.py", "engine")}


def _modules() -> list[Path]:
    found = [path for name in SUBPACKAGES for path in sorted((ROOT / name).rglob("*.py"))]
    front = ROOT / "plait"
    found.extend(
        path
        for path in sorted(front.rglob("*.py"))
        if path.relative_to(front).parts[0] not in SUBPACKAGES  # the layers' symlinks
    )
    return found


def _folders() -> set[str]:
    """Every package folder of the tree, as `layer/sub/`."""
    folders = set()
    for layer in (*SUBPACKAGES, "plait"):
        for init in (ROOT / layer).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT)
            if layer == "plait" and len(relative.parts) > 1 and relative.parts[1] in SUBPACKAGES:
                continue
            folders.add(f"{relative.as_posix()}/")
    return folders


def test_the_architecture_page_names_every_folder_and_no_other() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    tree = page.split("## The tree", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^- `([a-z_/]+/)` — ", tree, flags=re.MULTILINE))
    assert named == _folders(), (
        f"docs/architecture.md and the tree disagree: only on the page {sorted(named - _folders())}"
        f", only in the tree {sorted(_folders() - named)}"
    )


@pytest.mark.parametrize("path", _modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_module_is_over_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 400, f"{path.relative_to(ROOT)} has {lines} lines: split it by concern"


@pytest.mark.parametrize("path", _modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_the_front_imports_no_underscore_module_of_a_layer(path: Path) -> None:
    relative = path.relative_to(ROOT)
    if relative.parts[0] != "plait":
        return
    for module, _ in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        parts = module.split(".")
        if parts[0] == "plait" and len(parts) > 1 and parts[1] in SUBPACKAGES:
            private = [part for part in parts[2:] if part.startswith("_")]
            assert not private, f"{relative} imports `{module}`: go through the layer's front"


def _imports(tree: ast.Module) -> list[tuple[str, bool]]:
    """(imported module, at load time?) for every import, skipping TYPE_CHECKING blocks."""
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, load_time: bool) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.orelse:
                visit(statement, load_time)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, load_time) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, load_time))
        inner = load_time and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, True)
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_imports_flow_one_way(path: Path) -> None:
    relative = str(path.relative_to(ROOT))
    layer = relative.split("/")[0]
    for module, load_time in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        top, _, rest = module.partition(".")
        assert top not in SUBPACKAGES, (
            f"{relative} imports `{module}`: import `plait.{module}`, never the root copy"
        )
        if top != "plait" or layer == "plait":
            continue
        target = rest.split(".")[0]
        assert target in SUBPACKAGES, f"{relative} imports the front `{module}`"
        if target == layer:
            continue
        if not load_time and (relative, target) in CALL_TIME_EXCEPTIONS:
            continue
        assert target in ALLOWED[layer], f"{relative} ({layer}) must not import `{module}`"
        assert rest == target, (
            f"{relative} imports `{module}`: other subpackages go through the front "
            f"`plait.{target}`"
        )


def _front_order(name: str) -> tuple[int, str]:
    if name.isupper() or (name.upper() == name and "_" in name):
        return (0, name)
    return (1 if name[:1].isupper() else 2, name)


@pytest.mark.parametrize("front", FRONTS)
def test_front_all_is_sorted_and_complete(front: str) -> None:
    module = importlib.import_module(front)
    exported = list(module.__all__)
    internal = set(getattr(module, "_INTERNAL", {}))
    for name in [*exported, *internal]:  # a front may load parts lazily (PEP 562)
        getattr(module, name)
    assert exported == sorted(exported, key=_front_order), f"{front}.__all__ is not sorted"
    assert not internal & set(exported), f"{front}.__all__ names internal helpers"
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    public.discard("annotations")
    assert set(exported) - {"__version__"} == public - internal, f"{front}.__all__ is not complete"
    for name in exported:
        assert hasattr(module, name), f"{front}.__all__ names missing `{name}`"


LAZY_FRONTS = {
    "plait": "plait/__init__.py",
    "plait.nodes": "nodes/__init__.py",
    "plait.engine": "engine/__init__.py",
}


def _type_checking_imports(path: Path) -> dict[str, str]:
    """name -> module of every import in the file's `if TYPE_CHECKING:` block."""
    found: dict[str, str] = {}
    for statement in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(statement, ast.If) and "TYPE_CHECKING" in ast.unparse(statement.test):
            for node in statement.body:
                assert isinstance(node, ast.ImportFrom)
                assert node.module
                found.update((alias.asname or alias.name, node.module) for alias in node.names)
    return found


@pytest.mark.parametrize("front", sorted(LAZY_FRONTS))
def test_a_lazy_front_is_one_table(front: str) -> None:
    """The table is the one list: `__all__` and the TYPE_CHECKING imports (for mypy) agree."""
    module = importlib.import_module(front)
    table = {**module._PUBLIC, **getattr(module, "_INTERNAL", {})}
    assert _type_checking_imports(ROOT / LAZY_FRONTS[front]) == table, (
        f"{front}: the TYPE_CHECKING imports and the lazy table disagree"
    )
    assert set(module.__all__) - {"__version__"} == set(module._PUBLIC)


def test_import_plait_leaves_heavy_dependencies_unloaded() -> None:
    code = (
        "import sys, plait\n"
        "heavy = ['networkx', 'pydantic', 'rich', 'trio', 'anthropic', 'openai', 'yaml',"
        " 'httpx', 'httpx2', 'psycopg', 'psycopg_pool', 'opentelemetry',"
        " 'dask', 'distributed', 'redis']\n"
        "print(','.join(name for name in heavy if name in sys.modules))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == ""


@pytest.mark.parametrize("path", _modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_function_is_over_80_lines(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 80
    ]
    assert not long, f"{path.relative_to(ROOT)}: split {', '.join(long)}"
