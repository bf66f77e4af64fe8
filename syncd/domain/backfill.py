"""How long an explicit write-back backfill takes within Strava's daily read budget (pure arithmetic).

Each Strava write-back costs one read (the current description, to merge into) and one write; the reads are the
scarce part. Polling keeps its share of the daily read budget; the outbox drains within the rest, so a backfill of
thousands of old activities spreads over days instead of starving new runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from syncd.domain.rate_budget import DEFAULT_READ_DAILY_LIMIT


@dataclass(frozen=True, slots=True)
class BackfillEstimate:
    queued: int
    per_day: int
    days: int

    def describe(self) -> str:
        if self.queued == 0:
            return "nothing to write back"
        when = "within a day" if self.days <= 1 else f"about {self.days} days"
        return (
            f"{self.queued} note(s) queued; at up to {self.per_day} write-backs a day (the Strava read budget left "
            f"after polling) `syncd run` writes them {when}"
        )


def estimate_backfill(
    queued: int, *, read_daily_limit: int = DEFAULT_READ_DAILY_LIMIT, poll_share_pct: float = 25.0
) -> BackfillEstimate:
    """Days needed to write `queued` notes back with one read each, leaving polling its share of the reads."""
    per_day = max(1, int(read_daily_limit * max(0.0, 100.0 - poll_share_pct) / 100.0))
    return BackfillEstimate(queued=queued, per_day=per_day, days=max(0, math.ceil(queued / per_day)))
