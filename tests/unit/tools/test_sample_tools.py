"""The sample tools: a safe calculator and deterministic demo weather and search."""

from __future__ import annotations

import pytest

from sessionforge.sample_tools import CalculatorTool, SearchTool, WeatherTool, default_registry
from sessionforge.tools.sample_tools import evaluate_expression


@pytest.mark.parametrize(
    ("operation", "expected"), [("add", 8), ("subtract", 2), ("multiply", 15), ("divide", 5 / 3)]
)
def test_calculator_operations(operation: str, expected: float) -> None:
    assert CalculatorTool().run(operation=operation, a=5, b=3) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [("(2 + 3) * 4", 20), ("-2 ** 2", -4), ("7 // 2 + 7 % 2", 4), ("1.5 * 2", 3.0), ("2 ** 10", 1024)],
)
def test_calculator_expressions(expression: str, expected: float) -> None:
    assert CalculatorTool().run(expression=expression) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os').system('true')", "unsupported element 'Call'"),
        ("x + 1", "unsupported element 'Name'"),
        ("(1).real", "unsupported element 'Attribute'"),
        ("'a' * 3", "unsupported element 'Constant'"),
        ("True + 1", "True and False are not numbers"),
        ("[1, 2]", "unsupported element 'List'"),
        ("1 if 1 else 2", "unsupported element 'IfExp'"),
        ("9 ** 9 ** 9", "exponent too large"),
        ("1 / 0", "division by zero"),
        ("1 +", "not an arithmetic expression"),
        ("1+" * 150 + "1", "expression too long"),
        ("10.0 ** 99 * 10.0 ** 99", "the result is too large"),
        ("(-8) ** 0.5", "not a real number"),
    ],
)
def test_calculator_refuses_anything_but_arithmetic(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        evaluate_expression(expression)


def test_calculator_needs_a_complete_request() -> None:
    calculator = CalculatorTool()
    with pytest.raises(ValueError, match="division by zero"):
        calculator.run(operation="divide", a=1, b=0)
    with pytest.raises(ValueError, match="operation with both a and b"):
        calculator.run(operation="add", a=1)
    with pytest.raises(ValueError, match="not both"):
        calculator.run(operation="add", a=1, b=2, expression="1+2")


async def test_execute_is_the_awaitable_run() -> None:
    assert await CalculatorTool().execute(operation="add", a=5, b=3) == 8


def test_demo_data_is_deterministic_and_labelled() -> None:
    weather = WeatherTool().run("Oslo")
    assert weather == WeatherTool().run("oslo ") | {"location": "Oslo"}
    assert weather["demo_data"] is True
    assert weather["units"] == "C"
    imperial = WeatherTool().run("Oslo", units="imperial")
    assert imperial["temperature"] == round(weather["temperature"] * 9 / 5 + 32)

    search = SearchTool().run("session storage", max_results=2)
    assert search == SearchTool().run("session storage", max_results=2)
    assert search["demo_data"] is True
    assert [r["rank"] for r in search["results"]] == [1, 2]
    assert all(r["url"].startswith("https://example.com/session-storage/") for r in search["results"])
    with pytest.raises(ValueError, match="between 1 and 10"):
        SearchTool().run("x", max_results=50)


def test_default_registry_describes_the_tools_to_a_model() -> None:
    registry = default_registry()
    assert registry.names == ["calculator", "weather", "search"]
    schemas = {s.name: s for s in registry.schemas()}
    assert "demo data" in schemas["weather"].description
    assert set(schemas["calculator"].parameters["properties"]) == {"operation", "a", "b", "expression"}
    assert schemas["search"].parameters["required"] == ["query"]
    assert registry.call("calculator", '{"operation": "add", "a": 5, "b": 3}') == "8"
    assert default_registry() is not registry
