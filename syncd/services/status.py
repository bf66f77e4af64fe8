"""What `syncd status` reports: where the data is, how much there is, and what needs attention."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from syncd import __version__
from syncd.config import Settings
from syncd.services.annotating import AnnotationPolicy

if TYPE_CHECKING:
    from syncd.adapters.db.repository import Store


def collect_status(store: Store, settings: Settings, policy: AnnotationPolicy) -> dict[str, Any]:
    accounts = [
        {"id": a.id, "provider": a.provider, "external_id": a.external_id, "state": a.state, "message": a.state_message}
        for a in store.list_accounts()
    ]
    return {
        "version": __version__,
        "database": make_url(settings.database_url).render_as_string(hide_password=True),
        "state_dir": str(settings.state_dir),
        "rules_version": policy.version,
        "athletes": len(store.list_athletes()),
        "accounts": accounts,
        "rows": store.counts(),
        "digests": _digests(store, settings),
        "strava": _strava(store, settings),
    }


def _strava(store: Store, settings: Settings) -> dict[str, Any]:
    """Projected daily reads of polling and the shared rate budget (see syncd.domain.rate_budget)."""
    from syncd.services.strava_status import strava_summary

    return strava_summary(store, settings)


def _digests(store: Store, settings: Settings) -> dict[str, Any]:
    """Recipients, invalid addresses and failed sends waiting for a retry (see syncd.services.digests)."""
    from syncd.services.digests import digest_summary

    return digest_summary(store, settings)
