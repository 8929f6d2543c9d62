"""The pure replay of compaction records: views, undo order, summaries of undone compactions."""

from __future__ import annotations

from sessionforge.core.views import CompactionRecord, ViewReplay


def test_records_replace_the_view_and_later_events_append() -> None:
    replay = ViewReplay()
    for event_id in "abcd":
        replay.add_events([event_id])
    replay.apply("c1", CompactionRecord(view=["a", "d"], dropped=["b", "c"]))
    replay.add_events(["e"])
    assert replay.view == ["a", "d", "e"]
    assert replay.order == ["a", "b", "c", "d", "e"]


def test_undo_walks_back_and_hides_the_undone_summaries() -> None:
    replay = ViewReplay()
    for event_id in "abcd":
        replay.add_events([event_id])
    replay.apply("c1", CompactionRecord(view=["a", "d"], dropped=["b", "c"]))
    replay.add_events(["e"])
    replay.add_events(["s"])  # the second compaction's summary, written before its record
    replay.apply("c2", {"action": "compact", "view": ["s", "e"], "dropped": ["a", "d"], "added": ["s"]})
    assert replay.undo_view() == ("c2", ["a", "d", "e"])
    replay.apply("u2", CompactionRecord(action="undo", view=["a", "d", "e"], undoes="c2"))
    assert replay.undo_view() == ("c1", ["a", "b", "c", "d", "e"])
    replay.apply("u1", CompactionRecord(action="undo", view=["a", "b", "c", "d", "e"], undoes="c1"))
    assert replay.undo_view() is None
    assert replay.view == ["a", "b", "c", "d", "e"]


def test_a_view_naming_unknown_events_keeps_only_known_ones() -> None:
    replay = ViewReplay()
    replay.add_events(["a"])
    replay.apply("c", CompactionRecord(view=["a", "zzz"]))
    assert replay.view == ["a"]
