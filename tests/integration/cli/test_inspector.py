"""``sessionforge inspect`` over HTTP and in real headless Chromium.

The JSON API: rows for every session (an unreadable one as a warning row, not a 500), 400 for a
malformed id, 404 for an unknown one, 403 without the token, 400 for a foreign ``Host``. The page:
the session tree, a conversation, the chart with its axes resizing with the window, escaping,
compactions as what the model saw against what is stored, a fork beside its parent, live refresh.
A 10,000-message store: search finds a message, a deep link opens it, only one page of entries is
rendered, and at 800 px nothing scrolls sideways. The page test saves a screenshot
(``docs/inspector.png`` when ``SESSIONFORGE_SCREENSHOTS=1``: the README's picture).

Chromium and its driver come from Debian (``make test`` installs them); a missing browser is a
failure with the install hint, never a skip, so the page cannot go untested by accident.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sessionforge.cli import app
from sessionforge.cli._common import StoreSpec
from sessionforge.cli.inspect import catalog_for
from sessionforge.cli.inspector import InspectorServer, SearchIndex
from sessionforge.core.events import EventSource, EventType, SessionEvent
from sessionforge.core.messages import ChatMessage, ToolCall
from sessionforge.core.usage import TokenUsage
from sessionforge.faces.chat_session import ChatSession
from sessionforge.providers.base import USAGE_KEY
from sessionforge.storage.base import Store
from sessionforge.storage.config import open_store
from sessionforge.storage.forks import fork
from sessionforge.storage.session import Session

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
BIG = 10_000


def _usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "estimated_cost_usd": (prompt * 0.15 + completion * 0.6) / 1e6,
        "model": "gpt-4o-mini",
    }


def _summarizing(messages: list[ChatMessage], target: int, counter: Any) -> list[ChatMessage]:
    return [
        messages[0],
        ChatMessage.system("Summary: the user asked about the weather in Paris."),
        messages[-1],
    ]


async def _seed_events(store: Store) -> None:
    """An infinite-context style pair (a segment under its parent, with a summary), a fork that
    took another path, and a fork whose parent is gone (unreadable)."""
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
    await fork("alpha", at=4, store=store, new_session_id="alpha-fork")  # after the tool result
    doomed = await Session.create(session_id="doomed", store=store)
    await doomed.add_event(SessionEvent(message="soon gone", source=EventSource.USER))
    await doomed.save()
    await fork("doomed", store=store, new_session_id="orphan")
    await store.delete("doomed")  # what a delete without --cascade/--detach used to do


@pytest.fixture
def seeded_store(store_url: str) -> str:
    store = open_store(store_url, namespace="default")
    chat = ChatSession(
        system_prompt="Be brief.", session_id="alpha", model="gpt-4o-mini", compactor=_summarizing
    )
    chat.add_message(ChatMessage.user("What is the weather in Paris?"))
    chat.add_message(
        ChatMessage.assistant(
            None,
            tool_calls=[ToolCall(id="c1", name="weather", arguments={"city": "Paris"})],
            metadata={USAGE_KEY: _usage(40, 12)},
        )
    )
    chat.add_message(ChatMessage.tool("sunny, 21C", tool_call_id="c1", name="weather"))
    chat.add_message(ChatMessage.assistant("It is sunny in Paris.", metadata={USAGE_KEY: _usage(60, 8)}))
    chat.compact(10_000)
    chat.add_message(ChatMessage.user("Thanks!"))
    chat.add_message(ChatMessage.assistant("You are welcome.", metadata={USAGE_KEY: _usage(80, 5)}))
    chat.save(store)
    asyncio.run(_seed_events(store))
    branch = ChatSession.load("alpha-fork", store)
    branch.add_message(ChatMessage.user("And in Rome?"))
    branch.save(store)
    other = open_store(store_url, namespace="team")
    side = ChatSession(session_id="elsewhere", model="gpt-4o")
    side.add_message(ChatMessage.user("a session in another namespace"))
    side.save(other)
    return store_url


@contextmanager
def _serve(url: str) -> Iterator[InspectorServer]:
    server = InspectorServer(catalog_for(StoreSpec(url, create=False)))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def inspector(seeded_store: str) -> Iterator[InspectorServer]:
    with _serve(seeded_store) as server:
        yield server


def _get(
    server: InspectorServer, path: str, *, token: bool = True, host: str | None = None
) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    sep = "&" if "?" in path else "?"
    conn.putrequest("GET", path + (f"{sep}token={server.token}" if token else ""), skip_host=True)
    conn.putheader("Host", host or f"127.0.0.1:{server.port}")
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    try:
        return response.status, json.loads(body)
    except json.JSONDecodeError:
        return response.status, body.decode()


def test_json_endpoints(inspector: InspectorServer) -> None:
    status, body = _get(inspector, "/api/sessions")
    assert status == 200
    by_id = {r["id"]: r for r in body["sessions"]}
    assert set(by_id) == {"alpha", "alpha-fork", "root", "segment-2", "orphan", "elsewhere"}
    assert body["namespaces"] == ["default", "team"] and by_id["elsewhere"]["namespace"] == "team"
    assert by_id["segment-2"]["kind"] == "segment" and by_id["segment-2"]["parent_id"] == "root"
    assert by_id["root"]["child_ids"] == ["segment-2"]
    assert by_id["alpha-fork"]["fork_of"]["session_id"] == "alpha"
    assert by_id["alpha"]["branches"] == ["alpha-fork"]
    # one unreadable session is a warning row, and the rest of the list still answers
    assert by_id["orphan"]["kind"] == "unreadable" and "doomed" in by_id["orphan"]["error"]
    # attribution: turns are user messages, calls are model calls, one model
    assert (by_id["alpha"]["turns"], by_id["alpha"]["calls"], by_id["alpha"]["models"]) == (
        2,
        3,
        ["gpt-4o-mini"],
    )

    status, alpha = _get(inspector, "/api/sessions/alpha")
    assert status == 200 and alpha["total_entries"] > 0
    assert [t["turn"] for t in alpha["usage"]] == [1, 2]
    assert [t["total_tokens"] for t in alpha["usage"]] == [120, 85]
    assert alpha["usage"][-1]["cumulative_cost_usd"] == pytest.approx(
        sum(c["cost_usd"] for c in alpha["model_calls"])
    )
    status, page = _get(inspector, "/api/sessions/alpha/entries?offset=0&limit=3")
    assert status == 200 and page["total"] == alpha["total_entries"] and len(page["entries"]) == 3
    compaction = next(
        e for e in _get(inspector, "/api/sessions/alpha/entries")[1]["entries"] if e["kind"] == "compaction"
    )
    assert compaction["summary"] == "Summary: the user asked about the weather in Paris."
    status, seen = _get(inspector, f"/api/sessions/alpha/compactions/{compaction['id']}")
    assert status == 200
    assert [e["text"] for e in seen["saw"]][:2] == [
        "Be brief.",
        "Summary: the user asked about the weather in Paris.",
    ]
    assert seen["stored_total"] == 6 and sum(e["dropped"] for e in seen["stored"]) == 3

    status, side = _get(inspector, "/api/sessions/alpha-fork/compare")
    assert status == 200 and side["parent_id"] == "alpha"
    assert [e["text"] for e in side["fork"]] == ["And in Rome?"]
    assert "It is sunny in Paris." in [e["text"] for e in side["parent"]]
    assert _get(inspector, "/api/sessions/elsewhere?ns=team")[0] == 200

    # bad input: answered, never a 500
    assert _get(inspector, "/api/sessions/nope")[0] == 404
    assert _get(inspector, "/api/sessions/bad%20id!")[0] == 400
    assert _get(inspector, "/api/sessions/alpha?ns=no%20such")[0] == 400
    assert _get(inspector, "/api/sessions/alpha/entries?offset=-1")[0] == 400
    assert _get(inspector, "/api/sessions/alpha/entries?limit=x")[0] == 400
    assert _get(inspector, "/api/sessions/alpha/entries?around=nope")[0] == 404
    assert _get(inspector, "/api/sessions/alpha/compare")[0] == 400  # not a fork
    assert _get(inspector, "/api/sessions/alpha/compactions/nope")[0] == 404
    assert _get(inspector, "/api/sessions/orphan")[0] == 503
    assert _get(inspector, "/api/sessions?min_cost=cheap")[0] == 400
    assert _get(inspector, "/api/sessions?since=yesterday")[0] == 400
    assert _get(inspector, "/api/sessions?until=2026-13-01")[0] == 400
    status, dated = _get(inspector, "/api/sessions?since=2000-01-01&until=2999-12-31")
    assert status == 200 and {r["id"] for r in dated["sessions"]} == set(by_id) - {"orphan"}  # no date
    # the token and the host
    assert _get(inspector, "/api/sessions", token=False)[0] == 403
    assert _get(inspector, "/", token=False)[0] == 403
    assert _get(inspector, "/api/sessions", host="evil.example")[0] == 400
    assert _get(inspector, "/api/sessions", host=f"localhost:{inspector.port}")[0] == 200
    status, hits = _get(inspector, "/api/search?q=Rome")
    assert status == 200 and [h["session_id"] for h in hits["hits"]] == ["alpha-fork"]


@pytest.mark.parametrize("use_fts", [True, False], ids=["fts5", "scan"])
def test_search_index_both_ways(use_fts: bool) -> None:
    index = SearchIndex(use_fts=use_fts)
    index.put("ns", "s1", [{"id": "e1", "role": "user", "timestamp": "t", "text": "The quokka smiled"}])
    index.put("ns", "s2", [{"id": "e2", "role": "assistant", "timestamp": "t", "text": "no animals here"}])
    hits = index.search("quokka")
    assert [(h["session_id"], h["entry_id"]) for h in hits] == [("s1", "e1")]
    assert "\x02quokka\x03" in hits[0]["snippet"].lower()
    assert index.search('"; DROP TABLE entries; --') == []  # words only: no query syntax gets through
    index.drop("ns", "s1")
    assert index.search("quokka") == []


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


def _open(browser: Any, server: InspectorServer, path: str = "/") -> None:
    """The printed URL first (it sets the token cookie), then the page wanted."""
    browser.get(server.url)
    if path != "/":
        browser.get(server.base + path)


def test_the_page_in_headless_chromium(
    inspector: InspectorServer, browser: Any, seeded_store: str, tmp_path: Path
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    # A re-render can replace an element between finding it and reading it: such a wait tries again.
    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))

    def click(css: str) -> None:
        """Find and click in one step of a wait: a live refresh that re-renders it makes it try again."""
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, css).click() or True)

    _open(browser, inspector)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, '.node[data-id="alpha"]')))
    assert browser.find_elements(
        By.CSS_SELECTOR, 'li:has(> .node[data-id="alpha"]) .node[data-id="alpha-fork"]'
    )
    assert browser.find_elements(
        By.CSS_SELECTOR, 'li:has(> .node[data-id="root"]) .node[data-id="segment-2"]'
    )
    assert "cannot be read" in browser.find_element(By.CSS_SELECTOR, '.node.broken[data-id="orphan"]').text

    click('.node[data-id="alpha"]')
    wait.until(lambda d: d.find_element(By.ID, "session").get_attribute("data-session") == "alpha")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".conversation .entry")))
    assert browser.current_url.endswith("/s/alpha")
    roles = [e.get_attribute("class") for e in browser.find_elements(By.CSS_SELECTOR, ".conversation .entry")]
    for role in ("role-system", "role-user", "role-assistant", "role-tool", "role-compaction"):
        assert any(role in r for r in roles), roles
    assert 'weather({"city":"Paris"})' in browser.find_element(By.CSS_SELECTOR, ".toolcall").text
    assert all(t.text for t in browser.find_elements(By.CSS_SELECTOR, ".conversation .entry time"))
    assert "took" in browser.find_element(By.CSS_SELECTOR, ".role-assistant .latency").text

    # the compaction: what the model saw against what the store holds
    compaction = browser.find_element(By.CSS_SELECTOR, ".role-compaction")
    assert compaction.find_element(By.CSS_SELECTOR, ".summary").text.startswith("Summary: the user asked")
    click(".role-compaction details summary")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".role-compaction .saw .entry"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".role-compaction .saw .entry")) == 3
    assert len(browser.find_elements(By.CSS_SELECTOR, ".role-compaction .stored .entry.dropped")) == 3

    # the chart: uPlot with an x axis and two y axes, two turns; it follows the window's width
    wait.until(lambda d: d.execute_script("return !!window.__chart"))
    browser.execute_script("document.getElementById('detail').scrollTop = 0")
    keep = os.environ.get("SESSIONFORGE_SCREENSHOTS") == "1"  # the README's picture
    shot = ROOT / "docs" / "inspector.png" if keep else tmp_path / "inspector.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    assert browser.execute_script("return window.__chart.axes.length") == 3
    assert browser.execute_script("return window.__chart.data[0].length") == 2
    wide = browser.execute_script("return window.__chart.width")
    browser.set_window_size(800, 1000)
    wait.until(lambda d: d.execute_script("return window.__chart.width") < wide)
    click('.scale button[data-scale="time"]')
    assert browser.execute_script("return window.__chart.scales.x.time") is True
    browser.set_window_size(1400, 1000)

    # a fork beside its parent, from the fork point
    click('.node[data-id="alpha-fork"]')
    wait.until(lambda d: d.find_element(By.ID, "session").get_attribute("data-session") == "alpha-fork")
    click('.tabs button[data-tab="compare"]')
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".compare .fork-side .entry"))
    assert [e.text.split("\n")[-1] for e in browser.find_elements(By.CSS_SELECTOR, ".fork-side .entry")] == [
        "And in Rome?"
    ]
    assert "It is sunny in Paris." in browser.find_element(By.CSS_SELECTOR, ".parent-side").text

    # a hostile message is shown as text and runs nothing
    click('.node[data-id="segment-2"]')
    wait.until(lambda d: d.find_element(By.ID, "session").get_attribute("data-session") == "segment-2")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".conversation .entry")))
    texts = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".conversation .entry .text")]
    assert HOSTILE in texts
    assert "summary of segment 1" in browser.find_element(By.CSS_SELECTOR, ".entry.role-summary").text
    assert not browser.find_elements(By.CSS_SELECTOR, ".conversation img, .conversation script")
    assert browser.execute_script("return window.__pwned === undefined")
    assert "parent: root" in browser.find_element(By.CSS_SELECTOR, ".links").text

    # live refresh: a turn added while the page is open appears without a reload
    click('.node[data-id="alpha"]')
    wait.until(lambda d: d.find_element(By.ID, "session").get_attribute("data-session") == "alpha")
    store = open_store(seeded_store, namespace="default")
    live = ChatSession.load("alpha", store)
    live.add_message(ChatMessage.user("A message from a running chat"))
    live.save(store)
    WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: "A message from a running chat" in d.find_element(By.CSS_SELECTOR, ".conversation").text
    )
    assert "live" in browser.find_element(By.ID, "live").text


async def _big_store(url: str) -> tuple[str, str]:
    """A session of 10,000 messages (appended as events, as a long-running app would) and a small
    one; returns the ids of the message to search for and of the one to deep-link to."""
    store = open_store(url, namespace="default")
    session = await Session.create(session_id="long-run", store=store)
    ids: dict[int, str] = {}
    for i in range(BIG):
        source = EventSource.USER if i % 2 == 0 else EventSource.LLM
        text = f"message {i} about the weather" if i != 9_123 else "the zebra-crossing question, at last"
        usage = TokenUsage.of(20, 0, model="gpt-4o-mini") if source == EventSource.LLM else None
        event = SessionEvent(message=text, source=source, token_usage=usage)
        ids[i] = event.id
        await session.add_event(event)
    await session.save()
    await store.aclose()
    return ids[9_123], ids[7_777]


def test_ten_thousand_messages_search_deep_link_and_800px(
    browser: Any, store_url: str, tmp_path: Path
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    zebra, deep = asyncio.run(_big_store(store_url))
    with _serve(store_url) as server:
        wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
        browser.set_window_size(800, 1000)
        _open(browser, server)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '.node[data-id="long-run"]'))
        box = browser.find_element(By.ID, "search")
        box.send_keys("zebra")
        box.send_keys(Keys.ENTER)

        # The hits are rendered again as results arrive (while typing, then on Enter): each read
        # and the click is one step of a wait, which a re-render makes try again.
        def first_hit(d: Any) -> tuple[str | None, str]:
            hit = d.find_element(By.CSS_SELECTOR, ".hit")
            return hit.get_attribute("data-entry"), hit.find_element(By.CSS_SELECTOR, "mark").text.lower()

        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".hit"))
        assert wait.until(first_hit) == (zebra, "zebra")
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".hit").click() or True)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'.entry.target[data-id="{zebra}"]'))
        assert "zebra-crossing" in browser.find_element(By.CSS_SELECTOR, ".entry.target").text

        # a deep link opens the right message, and only its page of the 10,000 is rendered
        browser.get(f"{server.base}/s/long-run/m/{deep}")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'.entry.target[data-id="{deep}"]'))
        target = browser.find_element(By.CSS_SELECTOR, ".entry.target")
        assert "message 7777 about the weather" in target.text
        assert browser.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight",
            target,
        )
        rendered = len(browser.find_elements(By.CSS_SELECTOR, ".conversation .entry"))
        assert rendered <= 200
        assert f"of {BIG}" in browser.find_element(By.CSS_SELECTOR, ".pager .range").text
        # nothing scrolls sideways at 800 px
        assert browser.execute_script(
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
        assert browser.execute_script(
            "return [...document.querySelectorAll('body *')].every(e => e.getBoundingClientRect().right <= innerWidth + 1)"
        )


def test_inspect_command_serves_until_interrupted(
    seeded_store: str, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[str] = []

    def serve(self: InspectorServer) -> None:
        """Serve for real in a thread, ask once, then stop as Ctrl-C would."""
        self.start()
        served.append(self.url)
        status, body = _get(self, "/api/sessions")
        assert status == 200 and len(body["sessions"]) == 6
        self.stop()
        raise KeyboardInterrupt

    monkeypatch.setattr(InspectorServer, "serve_forever", serve)
    result = runner.invoke(app, ["inspect", "--no-browser", "--store", seeded_store])
    assert result.exit_code == 0, result.output
    assert served and served[0] in result.output and "stopped" in result.output
    assert "token=" in served[0]


def test_inspect_refuses_a_bad_port_and_a_missing_store(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["inspect", "--no-browser", "--port", "99999"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    missing = runner.invoke(app, ["inspect", "--no-browser", "--store", f"sqlite:///{tmp_path}/typo.db"])
    assert missing.exit_code == 1 and "no store at" in missing.output
    assert not (tmp_path / "typo.db").exists()
