"""The Strava part of `syncd status`: how much of the daily read budget polling will use, and what is left."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from syncd.config import Settings
from syncd.domain.rate_budget import plan_polling

if TYPE_CHECKING:
    from syncd.adapters.db.repository import Store


def strava_summary(store: Store, settings: Settings, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    strava = settings.strava
    linked = [a for a in store.list_accounts() if a.provider == "strava"]
    active = [a for a in linked if a.state == "ok"]
    budget = store.rate_budget(f"strava:{strava.client_id}").state(now) if strava.client_id else None
    read_daily_limit = budget.read_daily_limit if budget else 1000
    plan = plan_polling(
        len(active),
        read_daily_limit=read_daily_limit,
        share_pct=float(strava.poll_share_pct),
        min_interval_s=60.0 * strava.poll_interval_min,
    )
    summary: dict[str, Any] = {
        "accounts": len(linked),
        "needs_relink": [a.external_id for a in linked if a.state == "needs_relink"],
        "poll_interval_min": round(plan.interval_s / 60, 1),
        "projected_daily_reads": round(plan.projected_daily_reads),
        "read_daily_limit": read_daily_limit,
        "write_back": strava.write_back,
    }
    if len(linked) > 10:
        summary["warning"] = "a standard-tier Strava app serves at most 10 athletes (2026 rule); see docs/strava.md"
    if budget is not None:
        summary["used_today"] = {"reads": budget.read_daily_usage, "all": budget.daily_usage}
    return summary
