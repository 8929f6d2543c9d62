"""Demonstration tools: a calculator, a weather lookup and a web search.

**The weather and search tools return made-up data.** Nothing here calls a network service: each
answer is derived deterministically from the arguments (a hash of them), so examples and tests give
the same output everywhere. They exist to show how a tool is structured — a class with a typed
``run`` method whose docstring describes it to the model — and to give
:class:`~sessionforge.tools.processor.SessionAwareToolProcessor` something to run out of the box
(:func:`default_registry`).

The calculator is real, and safe on model-written input: expressions are parsed with :mod:`ast` and
only numbers and arithmetic operators are evaluated (never ``eval``), with bounds on the input length
and on exponents so a model cannot ask for a computation that never ends.
"""

from __future__ import annotations

import ast
import hashlib
import math
import operator
from collections.abc import Callable
from typing import Any, ClassVar, Literal

from .registry import ToolRegistry

__all__ = ["CalculatorTool", "SampleTool", "SearchTool", "WeatherTool", "default_registry"]

Number = int | float


class SampleTool:
    """What the sample tools share: a ``name``, a ``description`` and a typed ``run`` method.

    ``run`` is what a registry exposes to the model (its signature becomes the JSON schema);
    ``execute`` is the awaitable form for async callers.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    run: Callable[..., Any]

    async def execute(self, **arguments: Any) -> Any:
        return self.run(**arguments)


# ---- calculator -----------------------------------------------------------------------------------

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_MAX_EXPRESSION = 200
_MAX_EXPONENT = 100
_MAX_MAGNITUDE = 1e100


def _evaluate(node: ast.AST) -> Number:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        if isinstance(node.value, bool):
            raise ValueError("True and False are not numbers here")
        return node.value
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        result: Number = _UNARY[type(node.op)](_evaluate(node.operand))
        return result
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and (abs(right) > _MAX_EXPONENT or abs(left) > _MAX_MAGNITUDE):
            raise ValueError(f"exponent too large (at most {_MAX_EXPONENT})")
        if isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)) and right == 0:
            raise ValueError("division by zero")
        result = _BINARY[type(node.op)](left, right)
        if isinstance(result, complex):
            raise ValueError("the result is not a real number")
        if abs(result) > _MAX_MAGNITUDE:
            raise ValueError("the result is too large")
        return result
    raise ValueError(f"unsupported element {type(node).__name__!r}: only numbers and + - * / // % ** ()")


def evaluate_expression(expression: str) -> Number:
    """The value of an arithmetic expression, evaluated from its syntax tree with a whitelist."""
    if len(expression) > _MAX_EXPRESSION:
        raise ValueError(f"expression too long (at most {_MAX_EXPRESSION} characters)")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not an arithmetic expression: {exc.msg}") from None
    result = _evaluate(tree)
    if isinstance(result, float) and not math.isfinite(result):
        raise ValueError("the result is not a finite number")
    return result


class CalculatorTool(SampleTool):
    """Arithmetic on two numbers, or on an expression such as ``"(2 + 3) * 4"``."""

    name = "calculator"
    description = (
        "Do arithmetic: give an operation (add, subtract, multiply, divide) with numbers a and b, "
        "or an expression using numbers, + - * / // % ** and parentheses."
    )

    def run(
        self,
        operation: Literal["add", "subtract", "multiply", "divide"] | None = None,
        a: int | float | None = None,
        b: int | float | None = None,
        expression: str | None = None,
    ) -> Number:
        """Compute a result.

        Args:
            operation: add, subtract, multiply or divide, applied to a and b
            a: the first number
            b: the second number
            expression: an arithmetic expression, instead of operation, a and b
        """
        if expression is not None:
            if operation is not None:
                raise ValueError("give either an expression or an operation, not both")
            return evaluate_expression(expression)
        if operation is None or a is None or b is None:
            raise ValueError("give an operation with both a and b, or an expression")
        if operation == "divide" and b == 0:
            raise ValueError("division by zero")
        functions: dict[str, Callable[[Number, Number], Number]] = {
            "add": operator.add,
            "subtract": operator.sub,
            "multiply": operator.mul,
            "divide": operator.truediv,
        }
        return functions[operation](a, b)


# ---- demo data ------------------------------------------------------------------------------------


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).digest()


_CONDITIONS = ["sunny", "partly cloudy", "cloudy", "light rain", "rain", "windy", "fog", "snow"]


class WeatherTool(SampleTool):
    """Demo weather: invented, deterministic readings for any location (no network, not real data)."""

    name = "weather"
    description = "Current weather for a location (demo data: invented, not a real forecast)."

    def run(self, location: str, units: Literal["metric", "imperial"] = "metric") -> dict[str, Any]:
        """Look up the current weather.

        Args:
            location: a city or place name
            units: metric (Celsius, km/h) or imperial (Fahrenheit, mph)
        """
        if not location.strip():
            raise ValueError("location must not be empty")
        seed = _digest("weather", location.strip().lower())
        celsius = seed[0] % 40 - 5
        wind_kmh = seed[2] % 50
        metric = units == "metric"
        return {
            "location": location.strip(),
            "temperature": celsius if metric else round(celsius * 9 / 5 + 32),
            "units": "C" if metric else "F",
            "condition": _CONDITIONS[seed[1] % len(_CONDITIONS)],
            "humidity": 30 + seed[3] % 60,
            "wind_speed": wind_kmh if metric else round(wind_kmh * 0.621),
            "demo_data": True,
        }


class SearchTool(SampleTool):
    """Demo search: invented, deterministic results on example.com (no network, not real data)."""

    name = "search"
    description = "Search the web (demo data: invented results on example.com)."

    def run(self, query: str, max_results: int = 3) -> dict[str, Any]:
        """Search for pages about a query.

        Args:
            query: what to search for
            max_results: how many results to return (1-10)
        """
        if not query.strip():
            raise ValueError("query must not be empty")
        if not 1 <= max_results <= 10:
            raise ValueError("max_results must be between 1 and 10")
        words = query.strip().split()
        slug = "-".join(w.lower() for w in words)[:60]
        results = []
        for rank in range(1, max_results + 1):
            code = _digest("search", query.strip().lower(), str(rank)).hex()[:8]
            results.append(
                {
                    "rank": rank,
                    "title": f"{query.strip()} — demo result {rank}",
                    "url": f"https://example.com/{slug}/{code}",
                    "snippet": f"An invented page about {query.strip()} (demo data, result {rank}).",
                }
            )
        return {"query": query.strip(), "results": results, "demo_data": True}


def default_registry() -> ToolRegistry:
    """A fresh registry holding the three sample tools, under the names ``calculator``, ``weather``
    and ``search`` (fresh each time, so adding a tool to it changes no other processor)."""
    registry = ToolRegistry()
    for tool in (CalculatorTool(), WeatherTool(), SearchTool()):
        registry.register(tool.run, name=tool.name, description=tool.description)
    return registry
