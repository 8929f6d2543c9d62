"""The spec's ``sample_tools`` module: demonstration tools (see :mod:`sessionforge.tools.sample_tools`).

The weather and search tools return invented, deterministic demo data, never real information.
"""

from __future__ import annotations

from .tools.sample_tools import CalculatorTool, SampleTool, SearchTool, WeatherTool, default_registry

__all__ = ["CalculatorTool", "SampleTool", "SearchTool", "WeatherTool", "default_registry"]
