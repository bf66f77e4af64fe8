"""Strava rate-limit headers, window maths, spending decisions and the polling plan (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncd.domain.rate_budget import (
    POLL_JITTER,
    BudgetState,
    RateSnapshot,
    active_hours,
    after_spend,
    decide,
    exhausted,
    next_daily_reset,
    next_poll_at,
    next_short_reset,
    observed,
    parse_headers,
    plan_polling,
    short_window_start,
)

T = datetime(2026, 11, 23, 10, 7, 31, tzinfo=UTC)


def test_parses_both_header_pairs_case_insensitively() -> None:
    snap = parse_headers(
        {
            "X-RateLimit-Limit": "200,2000",
            "x-ratelimit-usage": "12, 340",
            "X-ReadRateLimit-Limit": "100,1000",
            "X-ReadRateLimit-Usage": "7,300",
        }
    )
    assert snap == RateSnapshot(200, 12, 2000, 340, 100, 7, 1000, 300)


@pytest.mark.parametrize("value", ["", "200", "a,b", "-1,5", "1;2"])
def test_malformed_headers_are_ignored(value: str) -> None:
    assert parse_headers({"X-RateLimit-Limit": value}).empty


def test_windows_reset_at_quarter_hours_and_utc_midnight() -> None:
    assert short_window_start(T) == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert next_short_reset(T) == datetime(2026, 11, 23, 10, 15, tzinfo=UTC)
    assert next_short_reset(datetime(2026, 11, 23, 23, 59, tzinfo=UTC)) == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    assert next_daily_reset(T) == datetime(2026, 11, 24, tzinfo=UTC)


def test_reads_stop_before_the_limit_keeping_a_reserve_for_writes() -> None:
    state = BudgetState(
        read_short_usage=89,
        short_usage=89,
        short_window_start=short_window_start(T),
        daily_window_start=T.replace(hour=0, minute=0, second=0),
    )
    assert decide(state, "read", T, write_reserve=10).allowed
    state = after_spend(state, "read", T)
    blocked = decide(state, "read", T, write_reserve=10)
    assert not blocked.allowed
    assert blocked.resume_at == datetime(2026, 11, 23, 10, 15, tzinfo=UTC)
    assert decide(state, "write", T, write_reserve=10).allowed  # the reserve is for writes


def test_daily_exhaustion_resumes_at_midnight() -> None:
    state = BudgetState(read_daily_usage=1000, daily_window_start=T.replace(hour=0, minute=0, second=0))
    decision = decide(state, "read", T)
    assert not decision.allowed
    assert decision.resume_at == datetime(2026, 11, 24, tzinfo=UTC)


def test_usage_of_ended_windows_does_not_count() -> None:
    state = BudgetState(
        short_usage=200,
        read_short_usage=100,
        short_window_start=short_window_start(T),
        daily_window_start=T.replace(hour=0, minute=0, second=0),
    )
    assert not decide(state, "read", T).allowed
    assert decide(state, "read", T + timedelta(minutes=8)).allowed


def test_observed_takes_strava_limits_and_never_lowers_our_count() -> None:
    state = after_spend(after_spend(BudgetState(), "read", T), "read", T)
    merged = observed(state, RateSnapshot(300, 1, 3000, 1, 150, 1, 1500, 1), T)
    assert (merged.short_limit, merged.read_daily_limit) == (300, 1500)
    assert merged.read_short_usage == 2
    assert observed(state, RateSnapshot(read_short_usage=50), T).read_short_usage == 50


def test_429_exhausts_the_short_window_only() -> None:
    state = exhausted(BudgetState(), T)
    decision = decide(state, "read", T)
    assert not decision.allowed and decision.resume_at == next_short_reset(T)


def test_polling_fits_the_share_of_the_daily_read_budget() -> None:
    one = plan_polling(1, read_daily_limit=1000, share_pct=25)
    assert one.interval_s == 900 and one.projected_daily_reads == pytest.approx(96)
    ten = plan_polling(10, read_daily_limit=1000, share_pct=25)
    assert ten.projected_daily_reads == pytest.approx(250)  # 10 x 96 would be the whole day's budget
    assert ten.interval_s == pytest.approx(86400 * 10 / 250)
    webhook = plan_polling(10, webhook=True)
    assert webhook.interval_s == 86400 and webhook.projected_daily_reads == pytest.approx(10)
    assert plan_polling(0).projected_daily_reads == 0


def test_polls_relax_outside_the_athletes_usual_hours() -> None:
    hours = active_hours([datetime(2026, 11, 20, 6, 30, tzinfo=UTC)])
    assert hours == frozenset({6, 7})
    assert next_poll_at(T.replace(hour=6), 900, hours) == T.replace(hour=6) + timedelta(seconds=900)
    assert next_poll_at(T.replace(hour=14), 900, hours) == T.replace(hour=14) + timedelta(seconds=1800)
    assert next_poll_at(T, 900, frozenset()) == T + timedelta(seconds=900)


def test_poll_jitter_stretches_or_shortens_the_interval_by_a_fraction() -> None:
    assert next_poll_at(T, 900, frozenset(), 0.1) == T + timedelta(seconds=990)
    assert next_poll_at(T, 900, frozenset(), -0.1) == T + timedelta(seconds=810)
    assert next_poll_at(T, 900, frozenset(), 0.0) == next_poll_at(T, 900, frozenset())
    hours = frozenset({6, 7})  # outside the usual hours the jittered interval is doubled
    assert next_poll_at(T.replace(hour=14), 900, hours, 0.1) == T.replace(hour=14) + timedelta(seconds=1980)
    assert next_poll_at(T, 900, frozenset(), 5.0) == T + timedelta(seconds=1350)  # clamped to +-50 %
    spread = {next_poll_at(T, 900, frozenset(), j) for j in (-POLL_JITTER, 0.0, POLL_JITTER)}
    assert len(spread) == 3
