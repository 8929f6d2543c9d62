"""Another process continuing an Agents SDK session (run as a script, not collected).

``agents_turn.py STORE_URL SERVER_URL SESSION_ID INPUT...`` runs each input through ``Runner.run``
with an :class:`OpenAIAgentsSession` on the store and prints the final outputs as a JSON list.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "src"))

from agents import Agent, OpenAIChatCompletionsModel, RunConfig, Runner
from openai import AsyncOpenAI

from sessionforge.interop.adapters.openai_agents import OpenAIAgentsSession
from sessionforge.storage.config import open_store


async def main(store_url: str, server_url: str, session_id: str, inputs: list[str]) -> None:
    client = AsyncOpenAI(base_url=f"{server_url}/v1", api_key="test-key")
    agent = Agent(
        name="assistant",
        instructions="Be brief.",
        model=OpenAIChatCompletionsModel(model="gpt-4o-mini", openai_client=client),
    )
    store = open_store(store_url)
    try:
        session = OpenAIAgentsSession(session_id, store, model="gpt-4o-mini")
        outputs = []
        for text in inputs:
            result = await Runner.run(
                agent, text, session=session, run_config=RunConfig(tracing_disabled=True)
            )
            outputs.append(result.final_output)
        print(json.dumps(outputs))
    finally:
        await store.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
