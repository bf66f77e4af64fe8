"""Linked Garmin Connect accounts: which athlete a new link belongs to. The login and token-store flows, which
need garminconnect, live in syncd.adapters.garmin.sessions. An account is linked once (interactive login with
MFA, or an existing garminconnect token store), then lives on the token store, saved encrypted whenever it changes.

syncd never logs in with a password on a schedule: Garmin blocks accounts that log in repeatedly. A token store
Garmin rejects marks the account "needs_relink" (syncd.services.accounts.mark_needs_relink) and the athlete runs
`syncd link garmin` again.

Which athlete: `--athlete KEY` names one (e.g. "strava:123", so Garmin and Strava runs meet in one history); else
the athlete already linked to this Garmin account; else the only athlete with a Strava account; else a new
"garmin:<profile id>" athlete.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from syncd.services.accounts import LinkError

if TYPE_CHECKING:
    from syncd.services.accounts import LinkRepositories

PROVIDER = "garmin"


def choose_athlete(store: LinkRepositories, garmin_id: str, athlete: str | None, name: str) -> int:
    athletes = store.athletes.list_athletes()
    if athlete:
        for record in athletes:
            if record.key == athlete or str(record.id) == athlete:
                return record.id
        keys = ", ".join(a.key for a in athletes) or "none yet"
        raise LinkError(f"no athlete {athlete!r} (known: {keys}); pass one of them to --athlete or leave it out")
    accounts = store.accounts.list_accounts()
    for account in accounts:
        if account.provider == PROVIDER and account.external_id == garmin_id:
            return account.athlete_id
    strava = {a.athlete_id for a in accounts if a.provider == "strava"}
    if len(strava) == 1:
        return strava.pop()
    return store.athletes.ensure_athlete(f"{PROVIDER}:{garmin_id}", name=name)
