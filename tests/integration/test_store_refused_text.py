"""Text a backend refuses (NUL, lone surrogates) is stored on SQLite and PostgreSQL alike (issue 31): stripped in text
columns, escaped in the raw payload; a row the database still refuses is one RowRefusedError naming the activity
and the kind of refusal, never its contents."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from syncd.adapters.db import Store
from syncd.domain.model import Gear
from syncd.errors import RowRefusedError
from tests.integration.test_store_activities import _activity

NUL_NAME = "Run \x00 name"
SURROGATE = "Hills \ud800 again"


def test_nul_and_surrogates_are_stored_the_same_on_every_backend(store: Store) -> None:
    athlete = store.ensure_athlete("strava:7", name="Ada\x00")
    activity = _activity("77\x00", name=NUL_NAME, description=f"legs {SURROGATE}", sport_original="Run\x00")
    raw = {"summary": {"name": NUL_NAME, "key\x00": [SURROGATE, 1, None]}, "detail": {"description": SURROGATE}}

    first = store.upsert_activity(athlete, activity, raw)
    again = store.upsert_activity(athlete, activity, raw)

    assert first.created and not again.changed  # the same content is no change, every pass
    stored = store.get_activity(first.activity_id, with_streams=False)
    assert stored.activity.name == "Run  name"
    assert stored.activity.description == "legs Hills \ufffd again"
    assert stored.activity.sport_original == "Run"
    assert stored.raw["summary"]["name"] == "Run \\u0000 name"  # the original, readable in the raw payload
    assert stored.raw["summary"]["key\\u0000"] == ["Hills \\ud800 again", 1, None]
    assert stored.raw["detail"]["description"] == "Hills \\ud800 again"
    assert store.find_activity_id("strava", "77\x00") == first.activity_id  # a lookup by the original finds it
    assert store.get_athlete(athlete).name == "Ada"
    store.upsert_gear(athlete, Gear("g\x001", "Shoe \x00 one", 1000.0))
    gear = store.get_gear(athlete, "g\x001")
    assert gear is not None and gear.name == "Shoe  one"


def test_a_row_the_database_refuses_is_one_error_without_its_contents(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    athlete = store.ensure_athlete("strava:7")
    secret_name = "Sore back after the hills"
    refused = replace(_activity("88", name=secret_name), workout_type=2**70)  # no backend keeps this integer
    caplog.set_level(logging.DEBUG)

    with pytest.raises(RowRefusedError) as caught:
        store.upsert_activity(athlete, refused, {"name": secret_name})

    message = str(caught.value)
    assert message.startswith("the database refused activity strava:88 (")
    assert "tried again at the next sync" in message and "\n" not in message
    assert secret_name not in message and secret_name not in caplog.text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert store.find_activity_id("strava", "88") is None
    good = store.upsert_activity(athlete, _activity("89"), {})  # the store goes on
    assert good.created


def test_any_refused_value_is_an_error_without_the_value(store: Store) -> None:
    """PostgreSQL's own message quotes the value (`invalid input syntax for type integer: "..."`): every statement
    on the store's engine reports the kind of refusal only, whatever table it writes."""
    import sqlalchemy as sa

    secret = "Sore back after the hills"
    statements = [("SELECT CAST(:x AS INTEGER) + 1", {"x": 2**70})]  # too big for any backend's integer
    if store.engine.dialect.name == "postgresql":
        statements.append(("SELECT CAST(:x AS INTEGER)", {"x": secret}))
        statements.append(("SELECT CAST(:x AS JSONB)", {"x": '{"name": "' + secret + ' \\u0000"}'}))
    for sql, params in statements:
        with store.engine.connect() as conn, pytest.raises(RowRefusedError) as caught:
            conn.execute(sa.text(sql), params)
        assert secret not in str(caught.value) and str(caught.value).startswith("the database refused a value (")
        assert caught.value.kind and "\n" not in str(caught.value)
