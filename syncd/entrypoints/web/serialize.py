"""The JSON API's field names (a public contract, documented in docs/api.md): change only by adding fields.

Numbers stay in SI units (`distance_m`, evidence values); the `display` fields carry the same values as the pages
show them, in the athlete's units, so a client never has to re-implement the formatting.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from syncd.lru import Lru
from syncd.records import FeedPage
from syncd.services.feed import CardView, FlagView, SessionView, flag_view


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _finite(value: float | None) -> float | None:
    """JSON has no NaN or infinity: a row stored before import validation existed must not make the feed a 500."""
    return value if value is None or math.isfinite(value) else None


def _json_safe(value: Any) -> Any:
    """Flag evidence with non-finite numbers nulled (recursively), for the same reason."""
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _flag_json(view: FlagView) -> dict[str, Any]:
    return {
        **view.flag.to_json(),
        "title": view.title,
        "evidence_text": view.evidence_line,
        "evidence_display": [{"key": i.key, "label": i.label, "text": i.text} for i in view.evidence],
    }


def _session_json(session: SessionView | None) -> dict[str, Any] | None:
    if session is None:
        return None
    return {
        "kind": session.kind,
        "label": session.label,
        "week": session.week,
        "count": session.count,
        "target": session.target,
    }


_ITEMS: Lru[tuple[object, ...], dict[str, Any]] = Lru(2048)


def activity_json(card: CardView, *, detail: bool = False) -> dict[str, Any]:
    """The card as JSON, made once per distinct card (a fresh copy each time: callers may add to it)."""
    if card.key is None:
        return _activity_json(card, detail=detail)
    return dict(_ITEMS.get((card.key, detail), lambda: _activity_json(card, detail=detail)))


def _activity_json(card: CardView, *, detail: bool) -> dict[str, Any]:
    row = card.row
    data: dict[str, Any] = {
        "id": row.id,
        "athlete_id": row.athlete_id,
        "source": row.source,
        "external_id": row.external_id,
        "name": row.name,
        "sport": row.sport,
        "start_utc": _iso(row.start_utc),
        "start_local": row.start_local.isoformat(),
        "distance_m": _finite(row.distance_m),
        "duration_s": _finite(row.duration_s),
        "elapsed_s": _finite(row.elapsed_s),
        "elevation_gain_m": _finite(row.elevation_gain_m),
        "annotated": row.flags is not None,
        # true: the run's samples are still on its platform ("no streams yet"): its speed-work, warm-up and
        # downhill checks wait for them (the note says so too)
        "awaiting_streams": row.awaiting_streams,
        "flags": [_json_safe(_flag_json(flag_view(flag, card.units))) for flag in row.flags or ()],  # stored order
        "note": row.note,
        "rules_version": row.rules_version,
        "annotated_at": _iso(row.annotated_at),
        "writeback": [
            {"provider": w.provider, "status": w.status, "attempts": w.attempts, "updated_at": _iso(w.updated_at)}
            for w in row.writebacks
        ],
        "url": f"/activities/{row.id}",
        "units": card.units,
        "display": {
            "title": card.title,
            "sport": card.sport_label,
            "when": card.when,
            "distance": card.distance,
            "duration": card.duration,
        },
        "session": _session_json(card.session),
    }
    if detail:
        data.update(
            elevation_loss_m=_finite(row.elevation_loss_m),
            moving_s=_finite(row.moving_s),
            gear_id=row.gear_id,
            private=row.private,
            description=row.description,
        )
    return data


def page_json(page: FeedPage, cards: list[CardView]) -> dict[str, Any]:
    return {
        "items": [activity_json(card) for card in cards],
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
        "older": None if page.older is None else str(page.older),  # ?before= for the next page, at any depth
    }
