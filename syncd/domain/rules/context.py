"""What every rule is given: the activity, the athlete's history around it, thresholds and optional map data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from syncd.domain.history import HistoryEntry
from syncd.domain.model import Activity, Gear
from syncd.domain.thresholds import Thresholds
from syncd.ports import SurfaceMap


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Input of one rule run.

    `history` holds the athlete's *other* activities (never this one), in any order, typically the 42 days before
    this activity plus the rest of its calendar week. `now` (aware UTC) tells weekly rules whether the week is
    over; None means "evaluate as of the end of the activity's week".
    """

    activity: Activity
    history: Sequence[HistoryEntry] = ()
    thresholds: Thresholds = Thresholds()
    gear: Gear | None = None
    surface_map: SurfaceMap | None = None
    max_heart_rate: float | None = None
    now: datetime | None = None
