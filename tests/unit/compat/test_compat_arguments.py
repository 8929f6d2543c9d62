"""``taking``: a method declares its parameters once, as an arguments object, and stays what it was."""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass

import pytest

from sessionforge.compat._arguments import taking
from sessionforge.compat.forge_llm import AsyncChatAgent, ChatAgent


@dataclass(frozen=True)
class Call:
    text: str
    times: int = 1


call = taking(Call)


class Speaker:
    def __init__(self) -> None:
        self.closed: list[str] = []

    @call
    def say(self, given: Call) -> str:
        """Say it."""
        return given.text * given.times

    @call
    async def asay(self, given: Call) -> str:
        return given.text * given.times

    @call
    def words(self, given: Call) -> Generator[str, None, None]:
        try:
            for _ in range(given.times):
                yield given.text
        finally:
            self.closed.append("words")

    @call
    async def awords(self, given: Call) -> AsyncGenerator[str, None]:
        try:
            for _ in range(given.times):
                yield given.text
        finally:
            self.closed.append("awords")


def test_the_arguments_object_is_built_from_the_callers_arguments() -> None:
    speaker = Speaker()
    assert speaker.say("ab") == "ab"
    assert speaker.say("ab", 2) == speaker.say(text="ab", times=2) == "abab"
    assert list(speaker.words("x", times=3)) == ["x", "x", "x"]
    with pytest.raises(TypeError):
        speaker.say("ab", tries=2)  # type: ignore[call-arg]


async def test_async_methods_stay_async() -> None:
    speaker = Speaker()
    assert await speaker.asay("a", 3) == "aaa"
    assert [word async for word in speaker.awords("y", 2)] == ["y", "y"]


async def test_closing_a_stream_early_closes_the_method_s_own() -> None:
    speaker = Speaker()
    words = speaker.words("x", 5)
    assert next(words) == "x"
    words.close()
    awords = speaker.awords("y", 5)
    assert await awords.__anext__() == "y"
    await awords.aclose()
    assert speaker.closed == ["words", "awords"]


def test_inspect_sees_the_parameters_and_the_kind_of_function() -> None:
    assert list(inspect.signature(Speaker.say).parameters) == ["self", "text", "times"]
    assert inspect.signature(Speaker.say).parameters["times"].default == 1
    assert Speaker.say.__doc__ == "Say it." and Speaker.say.__name__ == "say"
    assert inspect.iscoroutinefunction(Speaker.asay)
    assert inspect.isasyncgenfunction(Speaker.awords)
    assert inspect.isgeneratorfunction(Speaker.words)
    assert not inspect.iscoroutinefunction(Speaker.say)


@pytest.mark.parametrize("agent", [ChatAgent, AsyncChatAgent])
def test_forge_agents_keep_forge_llm_s_signature(agent: type[ChatAgent | AsyncChatAgent]) -> None:
    for method in (agent.chat, agent.stream_chat):
        parameters = inspect.signature(method).parameters
        assert list(parameters) == ["self", "messages", "config", "session", "auto_execute_tools"]
        assert [p.default for p in list(parameters.values())[1:]] == [None, None, None, True]
    assert inspect.iscoroutinefunction(AsyncChatAgent.chat)
    assert inspect.isasyncgenfunction(AsyncChatAgent.stream_chat)
