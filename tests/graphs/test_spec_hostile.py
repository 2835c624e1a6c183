"""Hostile specs: each is a SpecError with a location, and loading one imports nothing and
runs nothing. The published JSON Schema accepts every example spec and rejects what it can
see of the hostile ones."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from plait import Problem, SpecError, load
from plait.graphs import spec_schema

from .test_spec_parts import CALLS, REGISTRY

ROOT = Path(__file__).resolve().parents[2]
Spec = dict[str, Any]


def base(**changes: object) -> Spec:
    document: Spec = {
        "plait": "1",
        "name": "hostile",
        "inputs": {"x": "int"},
        "output": "a",
        "nodes": [{"id": "a", "kind": "function", "function": "inc", "inputs": {"x": "inputs.x"}}],
    }
    document.update(changes)
    return document


def node(**changes: object) -> Spec:
    return base(nodes=[{**base()["nodes"][0], **changes}])


def deep(levels: int) -> str:
    return json.dumps(base(description="@")).replace('"@"', "[" * levels + "]" * levels)


HOSTILE: dict[str, tuple[object, str, str]] = {
    # name: (spec, expected code, expected location)
    "__import__": (node(function="__import__"), "unknown-function", "$.nodes[0].function"),
    "dotted path": (node(function="os.system"), "unknown-function", "$.nodes[0].function"),
    "module:function": (
        node(function="subprocess:Popen"),
        "unknown-function",
        "$.nodes[0].function",
    ),
    "builtins.eval condition": (
        base(
            nodes=[
                {
                    "id": "a",
                    "kind": "loop",
                    "body": "g",
                    "carry": "x",
                    "max_iterations": 2,
                    "until": "builtins.eval",
                    "inputs": {"x": "inputs.x"},
                }
            ],
            graphs={"g": base(plait=None)},
        ),
        "unknown-field",
        "$.graphs.g.plait",
    ),
    "type by import path": (base(inputs={"x": "os.PathLike"}), "unknown-type", "$.inputs.x"),
    "type with code": (
        base(inputs={"x": "__import__('os').system('true')"}),
        "invalid-type",
        "$.inputs.x",
    ),
    "error class by import path": (
        node(retry={"retry_on": ["subprocess.CalledProcessError"]}),
        "unknown-error",
        "$.nodes[0].retry.retry_on[0]",
    ),
    "kind by import path": (node(kind="os.system"), "unknown-kind", "$.nodes[0].kind"),
    "unknown kind": (node(kind="shell"), "unknown-kind", "$.nodes[0].kind"),
    "class injection field": (
        node(__class__="subprocess.Popen"),
        "unknown-field",
        "$.nodes[0].__class__",
    ),
    "unsupported version": (base(plait="2"), "unsupported-version", "$.plait"),
    "10,000-deep nesting": (deep(10_000), "too-deep", "line 1, column"),
    "200-deep nesting": (deep(200), "too-deep", "$.description"),
    "10 MB string": (base(description="x" * 10_000_000), "too-long", "$.description"),
    "10 MB string as text": (
        json.dumps(base(description="x" * 10_000_000)),
        "too-long",
        "$.description",
    ),
    "duplicate keys": (
        json.dumps(base()).replace('"name": "hostile"', '"name": "a", "name": "b"'),
        "duplicate-key",
        "$",
    ),
    "truncated JSON": (json.dumps(base())[:40], "invalid-json", "line 1, column"),
    "NaN": (json.dumps(base()).replace('"int"', "NaN"), "invalid-json", "$"),
    "huge number": (
        json.dumps(base()).replace('"int"', "9" * 5000),
        "invalid-json",
        "$",
    ),
    "huge loop bound": (
        base(
            nodes=[
                {
                    "id": "a",
                    "kind": "loop",
                    "body": "g",
                    "carry": "x",
                    "max_iterations": 10**15,
                    "inputs": {"x": "inputs.x"},
                }
            ],
            graphs={"g": {k: v for k, v in base().items() if k not in ("plait", "name")}},
        ),
        "too-many-iterations",
        "$.nodes[0].max_iterations",
    ),
    "python object in data": (base(description=object()), "invalid-value", "$.description"),
    "non-string key": (base(pools={1: 2}), "invalid-value", "$.pools"),
    "terminal escape in a name": (node(function="\x1b]0;pwned\x07"), "unknown-function", "$"),
}


@pytest.fixture(scope="module", autouse=True)
def warm() -> None:
    """Load one good spec first, so what a load imports for itself is already there."""
    assert load(base(), REGISTRY).name == "hostile"


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_spec_is_refused_with_a_location_importing_and_running_nothing(
    name: str,
) -> None:
    document, code, location = HOSTILE[name]
    modules = set(sys.modules)
    calls = len(CALLS)

    with pytest.raises(SpecError) as raised:
        load(document, REGISTRY)  # type: ignore[arg-type]

    assert set(sys.modules) == modules, f"loading imported {set(sys.modules) - modules}"
    assert len(CALLS) == calls
    problems: list[Problem] = list(raised.value.problems)
    assert code in [problem.code for problem in problems], problems
    found = next(problem for problem in problems if problem.code == code)
    assert found.location.startswith(location)
    assert "\x1b" not in str(raised.value)
    assert len(str(raised.value)) < 5_000


def test_a_str_is_never_taken_for_a_file_name(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(base()), encoding="utf-8")
    assert load(path, REGISTRY).name == "hostile"
    with pytest.raises(SpecError) as raised:
        load(str(path), REGISTRY)
    assert raised.value.codes == ["invalid-json"]


SPEC_MODULES = sorted((ROOT / "graphs" / "spec").glob("*.py"))
FORBIDDEN_NAMES = {"eval", "exec", "compile", "__import__", "__builtins__", "globals", "vars"}
FORBIDDEN_MODULES = {"importlib", "pickle", "marshal", "sys", "runpy", "pkgutil", "ctypes"}


@pytest.mark.parametrize("path", SPEC_MODULES, ids=lambda path: path.name)
def test_the_spec_modules_have_no_way_to_import_or_evaluate(path: Path) -> None:
    """Static proof to go with the dynamic one: nothing that imports or evaluates text."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not names & FORBIDDEN_NAMES
    imported = {
        alias.name.split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, ast.Import)
        for alias in n.names
    }
    imported |= {
        (n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
    }
    assert not imported & FORBIDDEN_MODULES
    # getattr only with a fixed attribute name: never a name taken from a spec
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "getattr":
            attribute = ast.unparse(call.args[1])
            assert isinstance(call.args[1], ast.Constant) or attribute in ("name", "item.name")


# -- the JSON Schema -------------------------------------------------------------------


def test_the_schema_is_generated_from_the_models() -> None:
    from plait.graphs.spec._models import DocumentSpec

    schema = spec_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    generated = DocumentSpec.model_json_schema()
    assert schema["properties"].keys() == generated["properties"].keys()  # type: ignore[attr-defined]
    assert schema["$defs"].keys() == generated["$defs"].keys()  # type: ignore[attr-defined]
    kinds = schema["$defs"]["GraphSpec"]["properties"]["nodes"]["items"]["discriminator"]  # type: ignore[index]
    assert sorted(kinds["mapping"]) == [
        "agent",
        "chain",
        "evaluator_optimizer",
        "function",
        "human",
        "join",
        "loop",
        "map",
        "orchestrator",
        "parallel",
        "router",
        "subgraph",
    ]


def _validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = spec_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.json")), ids=lambda p: p.name)
def test_the_schema_accepts_every_example(path: Path) -> None:
    validator = _validator()
    assert list(validator.iter_errors(json.loads(path.read_text(encoding="utf-8")))) == []


SCHEMA_VISIBLE = [
    "kind by import path",
    "unknown kind",
    "class injection field",
    "unsupported version",
    "200-deep nesting",
    "builtins.eval condition",
]


@pytest.mark.parametrize("name", SCHEMA_VISIBLE)
def test_the_schema_rejects_the_hostile_specs_it_can_see(name: str) -> None:
    validator = _validator()
    document, _, _ = HOSTILE[name]
    data = json.loads(document) if isinstance(document, str) else document
    assert list(validator.iter_errors(data))


def test_the_schema_rejects_odd_input_names_as_the_loader_does() -> None:
    validator = _validator()
    document = node(inputs={"x y": "inputs.x"})
    assert list(validator.iter_errors(document))
    with pytest.raises(SpecError):
        load(document, REGISTRY)
