"""PainDiary: record, replace, list, tags and stale marks, the same from the in-memory fake, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from syncd.adapters.db import NotFoundError
from syncd.domain.model import Sport
from syncd.domain.pain import PainEntry, PainSource
from syncd.ports import PainDiary
from tests.contract.conftest import Stores
from tests.contract.helpers import T0, run

DAY = date(2026, 11, 2)


def test_one_entry_per_day_without_a_run_replaced_in_place(store: Stores, diary: PainDiary, athlete: int) -> None:
    first = diary.record(PainEntry(athlete, DAY, 3, PainSource.CLI, note="stiff"), now=T0)
    assert first.id is not None and first.recorded_at == T0 and first.note == "stiff"
    again = diary.record(PainEntry(athlete, DAY, 5, PainSource.WEB), now=T0 + timedelta(hours=1))
    assert again.id == first.id and (again.score, again.source, again.note) == (5, PainSource.WEB, "")
    assert [(e.day, e.score) for e in diary.entries(athlete)] == [(DAY, 5)] and diary.count(athlete) == 1


def test_entries_in_day_order_with_their_run(store: Stores, diary: PainDiary, athlete: int) -> None:
    activity_id = store.upsert_activity(athlete, run("1"), {}).activity_id
    other = store.ensure_athlete("other")
    diary.record(PainEntry(athlete, DAY + timedelta(days=2), 1, PainSource.CLI), now=T0)
    diary.record(PainEntry(athlete, DAY, 6, PainSource.TAG, activity_id=activity_id), now=T0 + timedelta(hours=2))
    diary.record(PainEntry(athlete, DAY, 4, PainSource.WEB, activity_id=activity_id), now=T0 + timedelta(hours=1))
    diary.record(PainEntry(other, DAY, 2, PainSource.CLI), now=T0)
    listed = diary.entries(athlete)
    assert [(e.day, e.score, e.source) for e in listed] == [
        (DAY, 4, PainSource.WEB),
        (DAY, 6, PainSource.TAG),
        (DAY + timedelta(days=2), 1, PainSource.CLI),
    ]  # a tag and a form entry on one run are two entries
    assert (listed[0].activity_start_utc, listed[0].activity_source) == (T0, "strava")
    assert listed[2].activity_start_utc is None
    assert [e.score for e in diary.entries(athlete, day_from=DAY + timedelta(days=1))] == [1]
    assert len(diary.entries()) == 4 and diary.count(other) == 1


def test_tags(store: Stores, diary: PainDiary, athlete: int) -> None:
    tagged = store.upsert_activity(athlete, run("1"), {}).activity_id
    formed = store.upsert_activity(athlete, run("2", T0 + timedelta(days=1)), {}).activity_id
    diary.record(PainEntry(athlete, DAY, 6, PainSource.TAG, activity_id=tagged), now=T0)
    diary.record(PainEntry(athlete, DAY, 3, PainSource.WEB, activity_id=formed), now=T0)
    entry = diary.tag_entry(tagged)
    assert entry is not None and entry.score == 6 and diary.tag_entry(formed) is None
    assert diary.tagged_activities([tagged, formed, 999]) == {tagged} and diary.tagged_activities([]) == set()
    assert diary.remove_tag(tagged) and not diary.remove_tag(tagged) and not diary.remove_tag(formed)
    assert [e.activity_id for e in diary.entries(athlete)] == [formed]
    assert diary.delete_athlete(athlete) == 1 and diary.entries(athlete) == []


def test_marking_runs_stale(store: Stores, diary: PainDiary, athlete: int) -> None:
    ids = [store.upsert_activity(athlete, run(str(i), T0 + timedelta(days=i)), {}).activity_id for i in range(4)]
    ride = store.upsert_activity(athlete, run("ride", T0 + timedelta(days=1), sport=Sport.RIDE), {}).activity_id
    for activity_id in [*ids[:3], ride]:
        store.save_annotation(activity_id, "v1", [], "note")
    store.save_annotation(ids[1], "v1", [], "newer note")
    assert diary.mark_runs_stale(athlete, DAY + timedelta(days=1), DAY + timedelta(days=3)) == 2
    versions = [a.rules_version if (a := store.latest_annotation(i)) else None for i in [*ids, ride]]
    assert versions == ["v1", "stale", "stale", None, "v1"]
    newer = store.latest_annotation(ids[1])
    assert newer is not None and newer.note == "newer note"
    assert store.save_annotation(ids[1], "v1", [], "newer note")  # stale is not equal: re-annotating appends


def test_what_the_diary_reads_from_the_rest_of_the_store(store: Stores, diary: PainDiary, athlete: int) -> None:
    assert diary.first_activity_day(athlete) is None and diary.advice_mode(athlete) is None
    store.upsert_activity(athlete, run("late", T0 + timedelta(days=3)), {})
    first = store.upsert_activity(athlete, run("first", T0.replace(hour=23), utc_offset_s=3600), {}).activity_id
    assert diary.first_activity_day(athlete) == DAY + timedelta(days=1)  # the local date
    store.mark_deleted("strava", "first")
    assert diary.first_activity_day(athlete) == DAY + timedelta(days=3)
    diary.set_advice_mode(athlete, "sore")
    assert diary.advice_mode(athlete) == "sore"
    with pytest.raises(NotFoundError):
        diary.set_advice_mode(athlete + 1000, "sore")
    diary.keep_description(first, "#back 6")
    assert store.get_activity(first).activity.description == "#back 6"
