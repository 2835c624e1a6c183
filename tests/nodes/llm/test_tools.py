"""Typed tools: schemas from signatures and docstrings, validation, errors to the model."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel

from plait.nodes import DefinitionError, RunContext, Tool, ToolCall, ToolRegistry, tool

pytestmark = pytest.mark.anyio


class Address(BaseModel):
    city: str
    country: str = "FR"


@tool
async def forecast(address: Address, days: int = 3, unit: Literal["C", "F"] = "C") -> list[float]:
    """Forecast the temperature at an address.

    Args:
        address: Where to forecast.
        days: How many days ahead,
            counting today.
        unit: Celsius or Fahrenheit.

    Returns:
        One temperature a day.
    """
    return [21.5] * days


def test_the_schema_comes_from_the_signature_and_docstring() -> None:
    spec = forecast.spec

    assert spec.name == "forecast"
    assert spec.description == "Forecast the temperature at an address."
    schema = spec.parameters
    assert schema["required"] == ["address"]
    properties = schema["properties"]
    assert isinstance(properties, dict)
    assert properties["days"] == {
        "default": 3,
        "description": "How many days ahead, counting today.",
        "title": "Days",
        "type": "integer",
    }
    assert properties["unit"]["enum"] == ["C", "F"]
    assert "$defs" in schema
    definitions = schema["$defs"]
    assert isinstance(definitions, dict)
    assert "Address" in definitions
    assert schema["additionalProperties"] is False


async def test_valid_arguments_run_the_tool_and_results_become_text() -> None:
    result = await forecast.invoke(
        ToolCall("c1", "forecast", {"address": {"city": "Paris"}, "days": 2})
    )

    assert (result.call_id, result.content, result.is_error) == ("c1", "[21.5, 21.5]", False)


async def test_invalid_arguments_go_back_as_an_error_result() -> None:
    result = await forecast.invoke(
        ToolCall("c2", "forecast", {"address": {}, "days": "many", "x": 1})
    )

    assert result.is_error
    assert result.content.startswith("Invalid arguments for tool `forecast`:")
    assert "`address.city`: Field required" in result.content
    assert "`days`: Input should be a valid integer" in result.content
    assert "`x`: Extra inputs are not permitted" in result.content


async def test_a_failing_sync_tool_is_an_error_result_and_context_is_passed() -> None:
    seen: list[RunContext | None] = []

    @tool(name="divide-numbers", description="Divide a by b.")
    def divide(a: float, b: float, context: RunContext) -> float:
        seen.append(context)
        return a / b

    assert divide.spec.name == "divide-numbers"
    assert "context" not in divide.spec.parameters["properties"]  # type: ignore[operator]
    ok = await divide.invoke(ToolCall("c", "divide-numbers", {"a": 1, "b": 4}))
    failed = await divide.invoke(ToolCall("c", "divide-numbers", {"a": 1, "b": 0}))

    assert ok.content == "0.25"
    assert failed.is_error
    assert failed.content == "Error: ZeroDivisionError: float division by zero"
    assert divide(6, 3, None) == 2  # type: ignore[arg-type]


def test_bad_tool_definitions_list_every_problem() -> None:
    def bad(x, *rest: int) -> None:  # type: ignore[no-untyped-def]
        """Bad."""

    with pytest.raises(DefinitionError) as caught:
        tool(name="has space")(bad)

    assert caught.value.codes == ["invalid-tool-name", "missing-annotation", "variadic-parameter"]


def test_a_registry_resolves_names_and_reports_unknown_ones() -> None:
    registry = ToolRegistry([forecast])

    @registry.add
    def lookup(query: str) -> str:
        """Look something up."""
        return query

    assert isinstance(lookup, Tool)
    assert registry.names == ("forecast", "lookup")
    assert registry.select(["lookup"]) == (lookup,)
    with pytest.raises(DefinitionError) as caught:
        registry.select(["lookup", "forcast", "nope"])
    assert [p.location for p in caught.value.problems] == ["tool `forcast`", "tool `nope`"]
    assert "did you mean `forecast`?" in str(caught.value)

    def other(query: str) -> str:
        return query

    with pytest.raises(ValueError, match="already registered"):
        registry.add(tool(name="lookup")(other))
