"""ToolRegistry: schemas from type hints and docstrings, calls, and failures as results."""

from __future__ import annotations

from typing import Literal

import pytest

from sessionforge import ToolRegistry
from sessionforge.errors import ToolProcessingError, UsageError


def make_registry() -> ToolRegistry:
    registry = ToolRegistry()

    @registry.tool
    def add(a: int, b: int = 2) -> int:
        """Add two integers.

        Args:
            a: the first number
            b: the second number,
                which defaults to two
        """
        return a + b

    @registry.tool(name="weather", description="Current weather for a city.")
    async def get_weather(city: str, unit: Literal["C", "F"] = "C") -> dict[str, object]:
        return {"city": city, "temp": 21, "unit": unit}

    @registry.tool
    def explode() -> str:
        """Always fails."""
        raise RuntimeError("kaboom")

    return registry


def test_schema_from_hints_and_docstring() -> None:
    schemas = {s.name: s for s in make_registry().schemas()}
    add = schemas["add"]
    assert add.description == "Add two integers."
    assert add.parameters["required"] == ["a"]
    assert add.parameters["properties"]["a"]["type"] == "integer"
    assert add.parameters["properties"]["a"]["description"] == "the first number"
    assert add.parameters["properties"]["b"]["description"] == "the second number, which defaults to two"
    assert add.parameters["properties"]["b"]["default"] == 2
    weather = schemas["weather"]
    assert weather.description == "Current weather for a city."
    assert weather.parameters["properties"]["unit"]["enum"] == ["C", "F"]


def test_calls_sync_and_async_tools() -> None:
    registry = make_registry()
    assert registry.call("add", '{"a": 40}') == "42"
    assert registry.call("weather", {"city": "Oslo"}) == '{"city": "Oslo", "temp": 21, "unit": "C"}'


async def test_acall_runs_async_tools_in_the_loop() -> None:
    registry = make_registry()
    assert await registry.acall("weather", '{"city": "Rome", "unit": "F"}') == (
        '{"city": "Rome", "temp": 21, "unit": "F"}'
    )
    assert await registry.acall("add", {"a": 1, "b": 1}) == "2"


@pytest.mark.parametrize(
    ("name", "arguments", "fragment"),
    [
        ("nope", "{}", "unknown tool 'nope'"),
        ("add", "{not json", "not valid JSON"),
        ("add", '{"b": 1}', "a: Field required"),
        ("add", '{"a": 1, "c": 1}', "c: Extra inputs"),
        ("add", "[1, 2]", "must be a JSON object"),
        ("explode", "{}", "RuntimeError: kaboom"),
    ],
)
def test_failures_raise_for_callers_and_become_results_for_models(
    name: str, arguments: str, fragment: str
) -> None:
    registry = make_registry()
    with pytest.raises(ToolProcessingError, match=fragment.replace("(", r"\(")):
        registry.call(name, arguments)
    result = registry.execute(name, arguments)
    assert result.is_error
    assert fragment in result.content


def test_duplicate_and_bad_names_are_refused() -> None:
    registry = make_registry()
    with pytest.raises(UsageError, match="already registered"):
        registry.register(lambda: None, name="add")
    with pytest.raises(UsageError, match="letters, digits"):
        registry.register(lambda: None, name="has space")
    assert registry.names == ["add", "weather", "explode"]
    assert "add" in registry
    assert len(registry) == 3
