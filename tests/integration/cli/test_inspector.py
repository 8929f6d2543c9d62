"""``sessionforge inspect`` in real headless Chromium: the tree, a conversation, the chart, escaping.

Chromium and its driver come from Debian (``make test`` installs them); a missing browser is a
failure with the install hint, never a skip, so the page cannot go untested by accident.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sessionforge.cli import app
from sessionforge.cli._inspector import InspectorServer
from sessionforge.core.events import EventSource, EventType, SessionEvent
from sessionforge.core.messages import ChatMessage, ToolCall
from sessionforge.core.usage import TokenUsage
from sessionforge.faces.chat_session import ChatSession
from sessionforge.storage.base import Store
from sessionforge.storage.config import open_store
from sessionforge.storage.forks import fork
from sessionforge.storage.session import Session

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


def _summarizing(messages: list[ChatMessage], target: int, counter: Any) -> list[ChatMessage]:
    return [
        messages[0],
        ChatMessage.system("Summary: the user asked about the weather in Paris."),
        messages[-1],
    ]


async def _seed_events(store: Store) -> None:
    """An infinite-context style pair (a segment under its parent, with a summary) and a fork."""
    root = await Session.create(session_id="root", store=store)
    for text, source, usage in [
        ("first question", EventSource.USER, TokenUsage.of(12, 0, model="gpt-4o-mini")),
        ("first answer", EventSource.LLM, TokenUsage.of(0, 20, model="gpt-4o-mini")),
    ]:
        await root.add_event(SessionEvent(message=text, source=source, token_usage=usage))
    await root.save()
    segment = await Session.create(parent_id="root", session_id="segment-2", store=store)
    await segment.add_event(SessionEvent(message="summary of segment 1", type=EventType.SUMMARY))
    await segment.add_event(
        SessionEvent(
            message=HOSTILE, source=EventSource.USER, token_usage=TokenUsage.of(30, 5, model="gpt-4o-mini")
        )
    )
    await segment.save()
    await fork("alpha", store=store, new_session_id="alpha-fork")


@pytest.fixture
def seeded_store(store_url: str) -> str:
    store = open_store(store_url, namespace="default")
    chat = ChatSession(
        system_prompt="Be brief.", session_id="alpha", model="gpt-4o-mini", compactor=_summarizing
    )
    chat.add_message(ChatMessage.user("What is the weather in Paris?"))
    chat.add_message(
        ChatMessage.assistant(
            None, tool_calls=[ToolCall(id="c1", name="weather", arguments={"city": "Paris"})]
        )
    )
    chat.add_message(ChatMessage.tool("sunny, 21C", tool_call_id="c1", name="weather"))
    chat.add_message(ChatMessage.assistant("It is sunny in Paris."))
    chat.compact(10_000)
    chat.add_message(ChatMessage.user("Thanks!"))
    chat.add_message(ChatMessage.assistant("You are welcome."))
    chat.metadata["turns"] = [
        {
            "label": "weather",
            "prompt_tokens": 40,
            "completion_tokens": 12,
            "cost_usd": 0.00002,
            "model": "gpt-4o-mini",
        },
        {
            "label": "thanks",
            "prompt_tokens": 60,
            "completion_tokens": 5,
            "cost_usd": 0.00003,
            "model": "gpt-4o-mini",
        },
    ]
    chat.save(store)
    asyncio.run(_seed_events(store))
    return store_url


@pytest.fixture
def inspector(seeded_store: str) -> Iterator[InspectorServer]:
    server = InspectorServer(open_store(seeded_store, namespace="default"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.close()
    thread.join(timeout=5)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.fail(
            f"the inspector test needs Chromium at {CHROMIUM} and its driver at {CHROMEDRIVER}: run `make test` "
            "(scripts/bootstrap.sh --services installs them) or `sudo apt-get install chromium chromium-driver`"
        )
    os.environ["SE_OFFLINE"] = "true"
    os.environ["SE_AVOID_STATS"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chrome-profile'}",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_json_endpoints(inspector: InspectorServer) -> None:
    status, rows = _get(inspector.url + "api/sessions")
    assert status == 200
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {"alpha", "alpha-fork", "root", "segment-2"}
    assert by_id["segment-2"]["kind"] == "segment" and by_id["segment-2"]["parent_id"] == "root"
    assert by_id["root"]["child_ids"] == ["segment-2"]
    assert by_id["alpha-fork"]["fork_of"]["session_id"] == "alpha" and by_id["alpha"]["branches"] == [
        "alpha-fork"
    ]
    status, alpha = _get(inspector.url + "api/sessions/alpha")
    assert status == 200
    assert [t["cumulative_cost_usd"] for t in alpha["usage"]] == pytest.approx([0.00002, 0.00005])
    compaction = next(e for e in alpha["entries"] if e["kind"] == "compaction")
    assert compaction["summary"] == "Summary: the user asked about the weather in Paris."
    assert _get(inspector.url + "api/sessions/nope")[0] == 404


def test_the_page_in_headless_chromium(inspector: InspectorServer, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)
    browser.get(inspector.url)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, '.node[data-id="alpha"]')))
    # the hierarchy: the fork under its parent, the segment under its parent
    assert browser.find_elements(
        By.CSS_SELECTOR, 'li:has(> .node[data-id="alpha"]) .node[data-id="alpha-fork"]'
    )
    assert browser.find_elements(
        By.CSS_SELECTOR, 'li:has(> .node[data-id="root"]) .node[data-id="segment-2"]'
    )

    browser.find_element(By.CSS_SELECTOR, '.node[data-id="alpha"]').click()
    wait.until(lambda d: d.find_element(By.ID, "detail").get_attribute("data-session") == "alpha")
    roles = [e.get_attribute("class") for e in browser.find_elements(By.CSS_SELECTOR, ".conversation .entry")]
    for role in ("role-system", "role-user", "role-assistant", "role-tool", "role-compaction"):
        assert any(role in r for r in roles), roles
    assert 'weather({"city":"Paris"})' in browser.find_element(By.CSS_SELECTOR, ".toolcall").text
    summary = browser.find_element(By.CSS_SELECTOR, ".role-compaction .summary")
    assert summary.text == "Summary: the user asked about the weather in Paris."

    bars = browser.find_elements(By.CSS_SELECTOR, "svg#chart rect.bar")
    assert len(bars) == 2
    assert all(b.size["width"] > 0 and b.size["height"] > 0 for b in bars)
    assert bars[1].size["height"] > bars[0].size["height"]  # 65 tokens against 52
    line = browser.find_element(By.CSS_SELECTOR, "svg#chart path.cost-line")
    assert browser.execute_script("return arguments[0].getTotalLength()", line) > 0

    # a hostile message is shown as text and runs nothing
    browser.find_element(By.CSS_SELECTOR, '.node[data-id="segment-2"]').click()
    wait.until(lambda d: d.find_element(By.ID, "detail").get_attribute("data-session") == "segment-2")
    texts = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".conversation .entry .text")]
    assert HOSTILE in texts
    assert "summary of segment 1" in browser.find_element(By.CSS_SELECTOR, ".entry.role-summary").text
    assert not browser.find_elements(By.CSS_SELECTOR, ".conversation img, .conversation script")
    assert browser.execute_script("return window.__pwned === undefined")
    assert "parent: root" in browser.find_element(By.CSS_SELECTOR, ".links").text


def test_inspect_command_without_a_browser_serves_until_interrupted(
    seeded_store: str, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[str] = []
    original = InspectorServer.serve_forever

    def serve(self: InspectorServer, poll_interval: float = 0.5) -> None:
        """Serve for real in a thread, ask once, then stop as Ctrl-C would."""
        threading.Thread(target=original, args=(self, 0.05), daemon=True).start()
        served.append(self.url)
        status, rows = _get(self.url + "api/sessions")
        assert status == 200 and len(rows) == 4
        raise KeyboardInterrupt

    monkeypatch.setattr(InspectorServer, "serve_forever", serve)
    result = runner.invoke(app, ["inspect", "--no-browser", "--store", seeded_store])
    assert result.exit_code == 0, result.output
    assert served and served[0] in result.output and "stopped" in result.output
