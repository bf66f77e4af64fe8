"""The activity page's line about the note on a platform, when that note is up to date but not syncd's own text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncd.domain.model import Activity, Source, Sport
from syncd.records import AthleteRecord, PlatformWrite, StoredActivity
from syncd.services.platform_notes import WriteBackSettings, platform_notes

NOW = datetime(2026, 12, 6, 22, tzinfo=UTC)
OWN = "Mode: sore (back pain logged in the last 7 days).\n▲ Long-run spike: ..."
ON_STRAVA = "Mode: staying well (no #back tag of 4+ on earlier runs here in the last 7 days).\n▲ Long-run spike: ..."


def _headline(wanted: str, own: str) -> str:
    stored = StoredActivity(1, 1, Activity(Source.STRAVA, "49", Sport.RUN, "Sunday long run", NOW - timedelta(hours=2)))
    write = PlatformWrite("strava", "done", ON_STRAVA, "replaced", None, NOW, on_platform=ON_STRAVA, written_at=NOW)
    settings = WriteBackSettings(
        {"strava": "all"}, AthleteRecord(1, "strava:1001", "", None, "metric", None, False), timedelta(days=30)
    )
    [view] = platform_notes(stored, [write], own=own, wanted=wanted, settings=settings, now=NOW)
    return view.headline


def test_an_up_to_date_platform_note_in_another_mode_says_why_it_differs() -> None:
    # the demo after a diary entry of 8/10: "Mode: sore" above, Strava's "Mode: staying well" below, and only
    # "Written to Strava on 06 Dec 2026 22:00 UTC." between them
    headline = _headline(wanted=ON_STRAVA, own=OWN)
    assert headline == (
        "Written to Strava on 06 Dec 2026 22:00 UTC. It differs from syncd's note above: the note on Strava follows "
        "only your #back tags there, never your diary."
    )


def test_the_same_text_needs_no_explanation() -> None:
    assert _headline(wanted=ON_STRAVA, own=ON_STRAVA) == "Written to Strava on 06 Dec 2026 22:00 UTC."


def _ride_view(write: PlatformWrite) -> str:
    stored = StoredActivity(1, 1, Activity(Source.STRAVA, "49", Sport.RIDE, "Evening Ride", NOW - timedelta(hours=2)))
    settings = WriteBackSettings(
        {"strava": "all"}, AthleteRecord(1, "strava:1001", "", None, "metric", None, False), timedelta(days=30)
    )
    [view] = platform_notes(stored, [write], own=None, wanted=None, settings=settings, now=NOW)
    return view.headline


def test_a_note_that_goes_is_said_to_be_removed_not_written() -> None:
    # a run turned into a ride: "" is queued, and the write-back removes syncd's block
    assert _ride_view(PlatformWrite("strava", "pending", "", None, None, NOW, on_platform=ON_STRAVA)) == (
        "syncd's note waits to be removed from Strava (at the next sync, within the rate budget)."
    )
    removed = PlatformWrite("strava", "done", "", "removed", None, NOW, on_platform=ON_STRAVA, written_at=NOW)
    assert _ride_view(removed) == "syncd's note removed from Strava on 06 Dec 2026 22:00 UTC."
