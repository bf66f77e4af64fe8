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
    accounts = [{"provider": a.provider, "external_id": a.external_id, "state": a.state} for a in store.list_accounts()]
    return {
        "version": __version__,
        "database": make_url(settings.database_url).render_as_string(hide_password=True),
        "state_dir": str(settings.state_dir),
        "rules_version": policy.version,
        "athletes": len(store.list_athletes()),
        "accounts": accounts,
        "rows": store.counts(),
    }
