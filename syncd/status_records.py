"""The plain records the short commands read (athletes, their accounts, input warnings), apart from syncd.records
(which re-exports them): creating its twenty dataclasses costs `syncd status` more than its own queries (issue 32).
No secret ever sits in one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class AthleteRecord:
    id: int
    key: str
    name: str
    timezone_name: str | None
    units: str
    email: str | None
    digest_opt_in: bool
    units_chosen: bool = False
    max_heart_rate: float | None = None
    write_back: str | None = None
    digest_unsubscribed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class InputWarning:
    """Bad input about one activity that syncd kept going past; `message` names the problem and the fix, never a
    pain score."""

    activity_id: int
    athlete_id: int
    source: str
    external_id: str
    start_utc: datetime
    kind: str  # "twin" (an ambiguous match), "pain_tag" (a #back tag on a run dated out of range)
    message: str


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """An account without its tokens (fetch those with Store.get_account_tokens), so logging one is safe."""

    id: int
    athlete_id: int
    provider: str
    external_id: str
    has_tokens: bool
    state: str
    state_message: str | None
    sync_cursor: str | None
    next_due_at: datetime
    lease_owner: str | None
    lease_expires_at: datetime | None
