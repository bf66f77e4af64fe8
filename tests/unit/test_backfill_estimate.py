"""The backfill estimate: one read per Strava write-back, within the reads polling leaves over."""

from syncd.domain.backfill import estimate_backfill


def test_thousands_of_old_notes_take_days_not_one_burst() -> None:
    estimate = estimate_backfill(5_999, read_daily_limit=1_000, poll_share_pct=25.0)
    assert (estimate.per_day, estimate.days) == (750, 8)
    assert "about 8 days" in estimate.describe()


def test_a_small_backfill_fits_in_a_day_and_nothing_says_so() -> None:
    assert "within a day" in estimate_backfill(40).describe()
    assert estimate_backfill(0).describe() == "nothing to write back"
