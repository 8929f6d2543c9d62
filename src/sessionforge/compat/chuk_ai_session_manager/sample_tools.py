"""``chuk_ai_session_manager.sample_tools``: a calculator, a weather lookup and a web search.

sessionforge's sample tools: the calculator computes; the weather and search tools return invented,
deterministic demo data (chuk-ai-session-manager's were random), registered with
``sessionforge.tools.sample_tools.default_registry()`` rather than chuk-tool-processor's registry.
"""

from sessionforge.tools.sample_tools import CalculatorTool, SearchTool, WeatherTool

__all__ = ["CalculatorTool", "SearchTool", "WeatherTool"]
