"""Adapters that make sessionforge the memory of the agent frameworks users already work in.

One module per framework, each needing its own extra; importing sessionforge (or this package) imports
no framework:

* :mod:`.openai_agents` — an OpenAI Agents SDK ``Session`` (extra ``agents``);
* :mod:`.langchain` — a LangChain ``BaseChatMessageHistory`` (extra ``langchain``);
* :mod:`.langgraph` — a LangGraph checkpoint saver, sync and async (extra ``langgraph``);
* :mod:`.pydantic_ai` — pydantic-ai message histories in and out (extra ``pydantic-ai``).

Every adapter writes ordinary events into an ordinary session, so every face, the command line and the
inspector read what a framework wrote, with its tokens, costs, compactions and forks.
"""
