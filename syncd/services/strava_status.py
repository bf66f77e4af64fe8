"""The Strava part of `syncd status`: how much of the daily read budget polling will use, and what is left."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from syncd.config import Settings
from syncd.domain.rate_budget import plan_polling
from syncd.services.poll_planning import athlete_schedule

if TYPE_CHECKING:
    from syncd.ports import AccountList, AppearanceReads, AthleteRepository, RateBudgets


def strava_summary(
    accounts: AccountList,
    budgets: RateBudgets,
    athletes: AthleteRepository,
    appearances: AppearanceReads,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The linked accounts, the shared rate budget and each active account's poll schedule."""
    now = now or datetime.now(UTC)
    strava = settings.strava
    linked = [a for a in accounts.list_accounts() if a.provider == "strava"]
    active = [a for a in linked if a.state == "ok"]
    budget = budgets.rate_budget(f"strava:{strava.client_id}").state(now) if strava.client_id else None
    read_daily_limit = budget.read_daily_limit if budget else 1000
    plan = plan_polling(
        len(active),
        read_daily_limit=read_daily_limit,
        share_pct=float(strava.poll_share_pct),
        min_interval_s=60.0 * strava.poll_interval_min,
    )
    schedules = {
        a.external_id: athlete_schedule(athletes, appearances, a.athlete_id, now=now, webhook=False, plan=plan)
        for a in active
    }
    summary: dict[str, Any] = {
        "accounts": len(linked),
        "needs_relink": [a.external_id for a in linked if a.state == "needs_relink"],
        "poll_interval_min": round(plan.interval_s / 60, 1),
        # adaptive polling (syncd.domain.poll_schedule): list reads on a day with nothing new, without a webhook;
        # with a push subscription each account costs one safety read a day
        "projected_daily_reads": sum(s.reads_per_idle_day for s in schedules.values()),
        "projected_daily_reads_with_webhook": len(active),
        "poll_hours_local": {
            ext_id: {"hours": list(s.poll_hours), "learned": s.learned, "reads_per_day": s.reads_per_idle_day}
            for ext_id, s in schedules.items()
        },
        "read_daily_limit": read_daily_limit,
        "write_back": strava.write_back,
        # what the daemon will do next: the earliest due account (adaptive polling sets each one's due time)
        "next_poll": min((a.next_due_at for a in active), default=None),
    }
    if len(linked) > 10:
        summary["warning"] = "a standard-tier Strava app serves at most 10 athletes (2026 rule); see docs/strava.md"
    if budget is not None:
        summary["used_today"] = {"reads": budget.read_daily_usage, "all": budget.daily_usage}
    return summary
