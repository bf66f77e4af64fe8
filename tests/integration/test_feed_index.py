"""The feed index (adapters/db/feed_index.py) answers exactly what SQL over the tables answers, after every kind
of change, while reading only what changed: counts, sport menus and pages for every filter, at any depth."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from syncd.adapters.db import Store, feed_index
from syncd.adapters.db.feed_queries import feed_page, sports_in_use
from syncd.adapters.db.mapping import flags_to_json
from syncd.adapters.db.models import ACCOUNTS, ACTIVITIES, ACTIVITY_FLAGS, ANNOTATIONS
from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.model import Activity, Source, Sport
from syncd.records import FeedCursor, FeedFilter, FeedPage

START = datetime(2026, 3, 2, 6, tzinfo=UTC)
SPORTS = [Sport.RUN, Sport.RUN, Sport.RIDE, Sport.WALK, Sport.TRAIL_RUN]
FLAGS = [FlagCode.DOWNHILL, FlagCode.SPEED_WORK, FlagCode.HARD_SURFACE]


def _activity(n: int, rng: random.Random) -> Activity:
    sport = rng.choice(SPORTS)
    start = START + timedelta(hours=rng.randrange(0, 24 * 60))  # same starts happen: ties go by id
    return Activity(source=Source.STRAVA, external_id=f"a{n}", sport=sport, sport_original=sport.value,
                    start_utc=start, name=f"activity {n}", utc_offset_s=rng.choice([0, 3600, -7 * 3600]))  # fmt: skip


def _flag(code: FlagCode) -> Flag:
    return Flag(code, Severity.CAUTION, Confidence.MEDIUM, {})


def _sql_ids(engine: Engine, f: FeedFilter) -> list[int]:
    """The oracle: the feed's filters as plain SQL over the tables, newest first on (start_utc, id)."""
    conditions: list[Any] = [~ACTIVITIES.c.deleted]
    if f.athlete_id is not None:
        conditions.append(ACTIVITIES.c.athlete_id == f.athlete_id)
    if f.sport is not None:
        conditions.append(ACTIVITIES.c.sport == f.sport)
    if f.week is not None:
        monday = datetime.combine(f.week, datetime.min.time())
        conditions += [ACTIVITIES.c.start_local >= monday, ACTIVITIES.c.start_local < monday + timedelta(days=7)]
    if f.flag is not None:
        conditions.append(
            sa.exists().where(ACTIVITY_FLAGS.c.activity_id == ACTIVITIES.c.id, ACTIVITY_FLAGS.c.code == f.flag)
        )
    annotated = sa.exists().where(ANNOTATIONS.c.activity_id == ACTIVITIES.c.id)
    if f.annotated_only:
        conditions.append(annotated)
    if f.unannotated_only:
        conditions.append(~annotated)
    stmt = sa.select(ACTIVITIES.c.id).where(*conditions).order_by(ACTIVITIES.c.start_utc.desc(), ACTIVITIES.c.id.desc())
    with engine.connect() as conn:
        return [int(i) for i in conn.execute(stmt).scalars()]


def _filters(athletes: list[int]) -> Iterator[FeedFilter]:
    yield FeedFilter()
    for athlete in [*athletes, 999]:
        yield FeedFilter(athlete_id=athlete)
    for sport in ["run", "ride", "walk", "swim"]:
        yield FeedFilter(sport=sport)
        yield FeedFilter(athlete_id=athletes[0], sport=sport)
    for code in [*FLAGS, FlagCode.WORN_SHOES]:
        yield FeedFilter(flag=code.value)
        yield FeedFilter(flag=code.value, athlete_id=athletes[1])
    yield FeedFilter(week=date(2026, 3, 9))
    yield FeedFilter(week=date(2026, 3, 9), sport="run", annotated_only=True)
    yield FeedFilter(annotated_only=True)
    yield FeedFilter(unannotated_only=True, athlete_id=athletes[0])


def _check(store: Store, athletes: list[int]) -> None:
    for f in _filters(athletes):
        expected = _sql_ids(store.engine, f)
        page = feed_page(store.engine, f, page=1, per_page=7)
        assert page.total == len(expected), f
        assert [r.id for r in page.rows] == expected[:7], f
        last = max(page.pages, 1)
        deep = feed_page(store.engine, f, page=last, per_page=7)
        assert [r.id for r in deep.rows] == expected[(last - 1) * 7 : last * 7], f
        past = feed_page(store.engine, f, page=last + 3, per_page=7)  # a stale link: empty, no error
        assert past.rows == [] and past.older is None, f
        _walk(store, f, expected)
    for athlete in [None, *athletes]:
        with store.engine.connect() as conn:
            stmt = (
                sa.select(ACTIVITIES.c.sport, sa.func.count()).where(~ACTIVITIES.c.deleted).group_by(ACTIVITIES.c.sport)
            )
            if athlete is not None:
                stmt = stmt.where(ACTIVITIES.c.athlete_id == athlete)
            expected_counts = {str(sport): int(n) for sport, n in conn.execute(stmt)}
            index = feed_index.current(conn)
            counts = dict(zip(index.sports, index.sport_counts(athlete).tolist(), strict=True))
        assert sports_in_use(store.engine, athlete) == sorted(expected_counts)
        assert {sport: n for sport, n in counts.items() if n} == expected_counts  # incremental = a full recount


def _walk(store: Store, f: FeedFilter, expected: list[int]) -> None:
    """Every row once, in order, following the pages' `older` cursors; each page's `newer` cursor leads back to the
    page before it (by key: a deep page is a binary search, never an OFFSET)."""
    seen: list[int] = []
    pages: list[FeedPage] = []
    cursor: FeedCursor | None = None
    while True:
        page = feed_page(store.engine, f, per_page=7, before=cursor)
        assert page.offset == len(seen) and page.page == len(pages) + 1, f
        seen += [r.id for r in page.rows]
        pages.append(page)
        if page.older is None:
            break
        cursor = FeedCursor.parse(str(page.older))  # through the link's text, as a browser sends it back
    assert seen == expected, f
    for number, page in enumerate(pages[2:], start=2):
        back = feed_page(store.engine, f, per_page=7, before=page.newer)
        assert [r.id for r in back.rows] == [r.id for r in pages[number - 1].rows], f


def _full_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    build = feed_index._build

    def counting(conn: sa.Connection, version: feed_index.Version) -> feed_index.Snapshot:
        calls.append(1)
        return build(conn, version)

    monkeypatch.setattr(feed_index, "_build", counting)
    return calls


def test_index_matches_sql_after_every_kind_of_change(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(32)
    builds = _full_builds(monkeypatch)
    # no margins: each delta then reads only this step's change, so every path of the merge is exercised
    monkeypatch.setattr(feed_index, "CLOCK_MARGIN", timedelta(0))
    monkeypatch.setattr(feed_index, "ID_MARGIN", 0)
    with Store.open(db_url) as store:
        athletes = [store.ensure_athlete("local", name="A"), store.ensure_athlete("strava:2", name="B")]
        made = 0
        for _ in range(60):
            store.upsert_activity(rng.choice(athletes), _activity(made, rng), {})
            made += 1
        _check(store, athletes)
        assert len(builds) == 1
        for step in range(25):
            action = step % 5
            target = f"a{rng.randrange(made)}"
            activity_id = store.find_activity_id("strava", target)
            assert activity_id is not None
            if action == 0:  # a new activity
                store.upsert_activity(rng.choice(athletes), _activity(made, rng), {})
                made += 1
            elif action == 1:  # an edit: new sport and start
                athlete = int(store.get_activity(activity_id, with_streams=False).athlete_id)
                edited = _activity(int(target[1:]), rng)
                store.upsert_activity(athlete, edited, {"edit": step})
            elif action == 2:  # deleted on the platform
                store.mark_deleted("strava", target)
            else:  # annotated, re-annotated with other flags, or cleared of flags
                flags = [_flag(code) for code in rng.sample(FLAGS, rng.randrange(0, 3))]
                store.save_annotation(activity_id, f"v{step}", flags, "note")
            with store.engine.connect() as conn:  # the per-sport counts came over from the last index, not a recount
                assert ("sport_counts", athletes[0]) in feed_index.current(conn).memo
            _check(store, athletes)  # ...and they equal SQL's
        assert len(builds) == 1, "a change was read by a full rebuild instead of a delta"


def test_an_unlinked_account_with_its_activities_rebuilds_the_index(db_url: str) -> None:
    """Hard deletion (unlinking an account removes its activities) moves no max id: the account count catches it."""
    rng = random.Random(7)
    with Store.open(db_url) as store:
        athletes = [store.ensure_athlete("local", name="A"), store.ensure_athlete("strava:2", name="B")]
        with store.engine.begin() as conn:
            conn.execute(sa.insert(ACCOUNTS).values(athlete_id=athletes[1], provider="strava", external_id="2"))
        for n in range(20):
            store.upsert_activity(athletes[n % 2], _activity(n, rng), {})
        _check(store, athletes)
        with store.engine.begin() as conn:
            conn.execute(sa.delete(ACTIVITIES).where(ACTIVITIES.c.athlete_id == athletes[0], ACTIVITIES.c.id < 5))
            conn.execute(sa.delete(ACCOUNTS))
        _check(store, athletes)


def test_clock_skew_between_workers_is_read_back(db_url: str) -> None:
    """A worker whose clock is behind stamps an older updated_at than the newest seen: the margin still reads it."""
    rng = random.Random(3)
    with Store.open(db_url) as store:
        athletes = [store.ensure_athlete("local", name="A"), store.ensure_athlete("strava:2", name="B")]
        for n in range(10):
            store.upsert_activity(athletes[0], _activity(n, rng), {})
        _check(store, athletes)
        with store.engine.begin() as conn:
            newest = conn.execute(sa.select(sa.func.max(ACTIVITIES.c.updated_at))).scalar_one()
            conn.execute(
                sa.update(ACTIVITIES)
                .where(ACTIVITIES.c.id == 3)
                .values(sport="swim", updated_at=newest - feed_index.CLOCK_MARGIN / 2)
            )
        store.upsert_activity(athletes[1], _activity(99, rng), {})  # moves the version
        _check(store, athletes)


def test_an_annotation_committed_late_below_the_newest_id_is_read(db_url: str) -> None:
    """Another worker's transaction may commit an annotation whose id is below one already seen: the window below
    the newest id is read again when its count changed."""
    rng = random.Random(5)
    with Store.open(db_url) as store:
        athletes = [store.ensure_athlete("local", name="A"), store.ensure_athlete("strava:2", name="B")]
        ids = [store.upsert_activity(athletes[0], _activity(n, rng), {}).activity_id for n in range(6)]
        with store.engine.begin() as conn:
            conn.execute(sa.insert(ANNOTATIONS).values(id=100, activity_id=ids[0], rules_version="v", flags=[]))
        _check(store, athletes)
        with store.engine.begin() as conn:  # the late one: id 50 < 100, with a flag
            flags = flags_to_json([_flag(FlagCode.DOWNHILL)])
            conn.execute(sa.insert(ANNOTATIONS).values(id=50, activity_id=ids[1], rules_version="v", flags=flags))
            conn.execute(sa.insert(ACTIVITY_FLAGS).values(activity_id=ids[1], code="downhill"))
        store.upsert_activity(athletes[1], _activity(99, rng), {})  # moves the version
        _check(store, athletes)
        assert feed_page(store.engine, FeedFilter(flag="downhill")).total == 1


def test_a_reader_following_older_links_sees_every_row_once_while_new_ones_arrive(db_url: str) -> None:
    """Pages by key: activities stored above the reader's place (a sync landing mid-walk), and the row a link
    names deleted, neither repeat nor skip a row below it; `?page=N` would shift by one on every new activity."""
    rng = random.Random(11)
    with Store.open(db_url) as store:
        athlete = store.ensure_athlete("local", name="A")
        for n in range(40):
            store.upsert_activity(athlete, _activity(n, rng), {})
        expected = _sql_ids(store.engine, FeedFilter())
        first = feed_page(store.engine, FeedFilter(), per_page=10)
        later = START + timedelta(days=90)  # newer than everything stored
        for n in range(3):
            store.upsert_activity(athlete, replace(_activity(100 + n, rng), start_utc=later + timedelta(hours=n)), {})
        named = store.get_activity(first.rows[-1].id, with_streams=False)
        store.mark_deleted("strava", named.activity.external_id)
        seen = [r.id for r in first.rows]
        cursor = first.older
        while cursor is not None:
            page = feed_page(store.engine, FeedFilter(), per_page=10, before=cursor)
            seen += [r.id for r in page.rows]
            cursor = page.older
        assert seen == expected
        assert FeedCursor.parse("12_x") is None and FeedCursor.parse("1.5_2") is None
        assert FeedCursor.parse(str(FeedCursor(-5, 9))) == FeedCursor(-5, 9)  # starts before 1970 stay readable
