"""The spec's "Tool Integration" snippets, with only their import lines changed.

The processor example names ``"session-123"``, which does not exist yet: ``create`` makes it, and the
default registry holds the sample tools, so the calculator adds 5 and 3.
"""

from __future__ import annotations

import pytest

from sessionforge.core.events import EventType
from sessionforge.storage.session import Session


async def test_session_aware_tool_processor(capsys: pytest.CaptureFixture[str]) -> None:
    from sessionforge import SessionAwareToolProcessor

    # Create processor for a session
    processor = await SessionAwareToolProcessor.create(
        session_id="session-123",
        enable_caching=True,
        max_retries=2,
        retry_delay=1.0
    )

    # Process LLM message with tool calls
    llm_response = {
        "tool_calls": [
            {
                "function": {
                    "name": "calculator",
                    "arguments": '{"operation": "add", "a": 5, "b": 3}'
                }
            }
        ]
    }

    results = await processor.process_llm_message(llm_response, None)
    for result in results:
        print(f"Tool: {result.tool}, Result: {result.result}")

    assert capsys.readouterr().out == "Tool: calculator, Result: 8\n"
    session = await Session.load("session-123")
    assert session is not None
    [event] = [e for e in session.events if e.type == EventType.TOOL_CALL]
    assert event.message["tool"] == "calculator"
    assert event.message["result"] == 8


def test_sample_tools() -> None:
    # The package includes sample tools for demonstration
    from sessionforge.sample_tools import (
        CalculatorTool,
        WeatherTool,
        SearchTool
    )

    # These are registered with chuk_tool_processor
    # You can see how to structure your own tools
    assert CalculatorTool().run(operation="add", a=5, b=3) == 8
    assert WeatherTool().run("Paris")["demo_data"] is True
    assert SearchTool().run("sessions")["demo_data"] is True
