"""Athlete settings without SQL (`syncd athlete list|show|set`), and which athlete `[email] to` means.

On a one-person install the person links one account (athlete "strava:ID") or imports files (athlete "local"):
`[email] to` is that person's address, so the single linked athlete (else the local one) is the *owner* whose
digest goes there without any opt-in. Everyone else opts in with an address of their own.

A setting that changes what a note says (units, maximum heart rate, a shoe's limit, the advice mode) or where it
goes (write-back)
marks the affected annotations stale; the command that made the change redoes them at once (`annotate_marked`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from syncd.config import Settings
from syncd.domain.units import METRES_PER_MILE, format_distance

if TYPE_CHECKING:
    from syncd.ports import (
        AccountRepository,
        AthleteDirectory,
        AthleteReads,
        AthletesAndAccounts,
        GearRepository,
        PainDiary,
    )
    from syncd.records import AccountRecord, AthleteRecord

LOCAL_ATHLETE = "local"
WRITE_BACK_MODES = ("all", "private", "off")
MAX_HR_RANGE = (100.0, 250.0)
_LIMIT = re.compile(r"^\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>km|mi)?\s*$")


class AthleteError(Exception):
    """A setting that cannot be applied; str() is one line naming the problem and the fix."""


def owner(store: AthletesAndAccounts) -> AthleteRecord | None:
    """The athlete `[email] to` is for: the single athlete with a linked account, else the local athlete.

    None when several athletes have linked accounts and there is no local one: then everyone opts in themselves.
    """
    return owner_of(store.list_athletes(), store.list_accounts())


def owner_of(athletes: list[AthleteRecord], accounts: list[AccountRecord]) -> AthleteRecord | None:
    """`owner` among these athletes and accounts."""
    linked_ids = {a.athlete_id for a in accounts}
    linked = [a for a in athletes if a.id in linked_ids]
    if len(linked) == 1:
        return linked[0]
    local = next((a for a in athletes if a.key == LOCAL_ATHLETE), None)
    if local is not None or linked:
        return local
    return athletes[0] if len(athletes) == 1 else None


def find_athlete(store: AthletesAndAccounts, ref: str | None) -> AthleteRecord:
    """The athlete named by key ("strava:1001", "local") or id; without a name, the only (or owning) athlete."""
    athletes = store.list_athletes()
    if not athletes:
        raise AthleteError("no athlete yet; link an account (`syncd link strava`) or import files (`syncd import`)")
    if ref is None:
        if len(athletes) == 1:
            return athletes[0]
        chosen = owner(store)
        if chosen is not None and len([a for a in athletes if a.key != LOCAL_ATHLETE]) <= 1:
            return chosen
        keys = ", ".join(a.key for a in athletes)
        raise AthleteError(f"several athletes ({keys}); name one, e.g. `syncd athlete show {athletes[-1].key}`")
    for athlete in athletes:
        if ref in (athlete.key, str(athlete.id)):
            return athlete
    keys = ", ".join(a.key for a in athletes)
    raise AthleteError(f"no athlete {ref!r}; the athletes are: {keys} (`syncd athlete list`)")


def max_heart_rate_of(athlete: AthleteRecord, default: float | None) -> float | None:
    """The athlete's own maximum heart rate (`syncd athlete set`), else the configured `[athlete]` one: the one
    figure heart-rate load (TRIMP) is computed with on every surface: the notes, the week strip, the digest and the
    flare-up analysis."""
    own = athlete.max_heart_rate or default
    return float(own) if own else None


def effective_write_back(athlete: AthleteRecord, settings: Settings, provider: str) -> str:
    """What the drain decides for this athlete's notes on `provider` (write_back_policy's one rule)."""
    from syncd.services.write_back_policy import effective_mode

    return effective_mode(
        athlete.write_back, settings.garmin.write_back if provider == "garmin" else settings.strava.write_back
    )


def digest_state(athlete: AthleteRecord, settings: Settings, owner_id: int | None) -> tuple[str | None, str]:
    """(address or None, why): who receives this athlete's weekly digest, in words for `athlete show`/`doctor`."""
    from syncd.services.digest_recipients import recipient

    address = recipient(athlete, settings, owner_id=owner_id)
    if athlete.digest_unsubscribed_at is not None:
        return None, f"off (unsubscribed {athlete.digest_unsubscribed_at:%Y-%m-%d}; `--digest on` turns it back on)"
    if address is None:
        if athlete.digest_opt_in and not athlete.email:
            return None, "off (opted in but no address: `syncd athlete set --email ADDRESS`)"
        return None, "off (`syncd athlete set --email ADDRESS --digest on` turns it on)"
    if not settings.email.host:
        return address, f"to {address}, but [email] host is not set, so nothing is sent"
    if athlete.id == owner_id and not athlete.email:
        return address, f"to {address} ([email] to: the one athlete of this install)"
    return address, f"to {address}"


@dataclass
class AthleteView:
    """One athlete's settings as `syncd athlete show` prints them (and `--json` returns)."""

    key: str
    name: str
    units: str
    units_source: str
    timezone: str | None
    max_heart_rate: float | None
    write_back: dict[str, str]
    email: str | None
    digest: str
    owner: bool
    shoes: list[dict[str, Any]] = field(default_factory=list)
    mode: str = "auto"  # the athlete's advice mode: auto (from the diary), sore or staying_well
    mode_source: str = "[advice] mode"

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "units": self.units,
            "units_source": self.units_source,
            "timezone": self.timezone,
            "max_heart_rate": self.max_heart_rate,
            "write_back": self.write_back,
            "email": self.email,
            "digest": self.digest,
            "owner": self.owner,
            "shoes": self.shoes,
            "mode": self.mode,
            "mode_source": self.mode_source,
        }


def view(store: AthleteReads, settings: Settings, athlete: AthleteRecord) -> AthleteView:
    boss = owner(store)
    owner_id = boss.id if boss is not None else None
    _, digest = digest_state(athlete, settings, owner_id)
    shoes = [
        {
            "gear_id": g.gear_id,
            "name": g.name,
            "distance": format_distance(max(g.distance_m, 0.0), _units(athlete)),
            "limit": format_distance(g.limit_m, _units(athlete)) if g.limit_m else None,
            "limit_source": "athlete" if g.limit_m else f"[rules] shoe_limit_km = {settings.rules.shoe_limit_km:g}",
            "retired": g.retired,
        }
        for g in store.list_gear(athlete.id)
        if g.kind == "shoe"
    ]
    return AthleteView(
        key=athlete.key,
        name=athlete.name,
        units=athlete.units,
        units_source="chosen" if athlete.units_chosen else "[notes] units",
        timezone=athlete.timezone_name,
        max_heart_rate=athlete.max_heart_rate,
        write_back={p: effective_write_back(athlete, settings, p) for p in ("strava", "garmin")},
        email=athlete.email,
        digest=digest,
        owner=athlete.id == owner_id,
        shoes=shoes,
        **_mode_view(store, settings, athlete),
    )


def _mode_view(store: AthleteReads, settings: Settings, athlete: AthleteRecord) -> dict[str, str]:
    own = store.pain_diary.advice_mode(athlete.id)
    if own in ("sore", "staying_well"):
        return {"mode": own, "mode_source": "chosen"}
    return {"mode": settings.advice.mode, "mode_source": "[advice] mode"}


@dataclass
class Changes:
    """What `syncd athlete set` was asked to change; None leaves a setting alone."""

    email: str | None = None
    digest: bool | None = None
    units: str | None = None  # "metric", "imperial" or "default" ([notes] units)
    timezone: str | None = None  # a zone name or "none"
    max_heart_rate: str | None = None  # beats per minute or "none"
    write_back: str | None = None  # "all", "private", "off" or "default"
    shoe_limits: list[str] = field(default_factory=list)  # "GEAR=650", "GEAR=400mi", "GEAR=none"
    mode: str | None = None  # "sore", "well" (staying well) or "auto" (from the diary and [advice] mode)


@dataclass
class Applied:
    lines: list[str] = field(default_factory=list)
    stale: int = 0


@dataclass(frozen=True, slots=True)
class SettingsRepositories:
    """What `syncd athlete set` reads and changes: the athletes (and the accounts: who owns the install), their
    shoes and their diary (the advice mode)."""

    athletes: AthleteDirectory
    accounts: AccountRepository
    gear: GearRepository
    diary: PainDiary


def apply(
    repos: SettingsRepositories, settings: Settings, athlete: AthleteRecord, changes: Changes, now: datetime
) -> Applied:
    """Validate everything first (nothing is written when one value is wrong), then write and mark stale."""
    columns: dict[str, Any] = {}
    lines: list[str] = []
    restale = False
    if changes.email is not None:
        columns["email"] = _email(changes.email)
        lines.append(f"email: {columns['email'] or 'none'}")
    if changes.digest is not None:
        columns["digest_opt_in"] = changes.digest
        columns["digest_unsubscribed_at"] = None if changes.digest else now.astimezone(UTC)
        lines.append(f"digest: {'on' if changes.digest else 'off'}")
        if changes.digest and not (columns.get("email") or athlete.email):
            boss = owner_of(repos.athletes.list_athletes(), repos.accounts.list_accounts())
            if boss is None or boss.id != athlete.id or not settings.email.to:
                raise AthleteError("a digest needs an address: add --email ADDRESS")
    if changes.units is not None:
        units = _units_choice(changes.units)
        new_units = settings.notes.units if units == "default" else units
        columns.update(units=new_units, units_chosen=units != "default")
        lines.append(f"units: {new_units}" + (" (following [notes] units)" if units == "default" else ""))
        restale |= new_units != athlete.units
    if changes.timezone is not None:
        columns["timezone"] = _zone(changes.timezone)
        lines.append(f"time zone: {columns['timezone'] or 'from the activities'}")
    if changes.max_heart_rate is not None:
        columns["max_heart_rate"] = _max_hr(changes.max_heart_rate)
        lines.append(f"maximum heart rate: {_bpm(columns['max_heart_rate'])}")
        restale |= columns["max_heart_rate"] != athlete.max_heart_rate
    if changes.write_back is not None:
        mode = _write_back(changes.write_back)
        columns["write_back"] = None if mode == "default" else mode
        lines.append(f"write-back: {mode}" + (" ([strava]/[garmin] write_back)" if mode == "default" else ""))
        # no note changes: the next drain writes or holds what is queued under the new choice (write_back_policy)
    limits = [
        _shoe_limit(repos.gear, athlete, text, columns.get("units", athlete.units)) for text in changes.shoe_limits
    ]
    advice_mode = _mode(changes.mode) if changes.mode is not None else None
    if not columns and not limits and advice_mode is None:
        raise AthleteError("nothing to change; see `syncd athlete set --help` for the settings")
    repos.athletes.set_athlete_settings(athlete.id, **columns)
    if advice_mode is not None:
        restale |= _set_mode(repos.diary, athlete, advice_mode)
        lines.append(f"mode: {MODE_WORDS[advice_mode]}")
    stale = repos.athletes.mark_annotations_stale(athlete.id) if restale else 0
    for gear_id, name, limit_m, shown in limits:
        repos.gear.set_gear_limit(athlete.id, gear_id, limit_m)
        lines.append(f"shoe {name or gear_id}: limit {shown}")
        if not restale:
            stale += repos.athletes.mark_annotations_stale(athlete.id, gear_id=gear_id)
    return Applied(lines, stale)


def follow_default_units(store: AthleteDirectory, settings: Settings) -> int:
    """Keep athletes who never chose units on `[notes] units`; their notes go stale when it changed."""
    return sum(store.mark_annotations_stale(a) for a in store.follow_default_units(settings.notes.units))


# ---- parsing the values -----------------------------------------------------------------------------------------


def _units(athlete: AthleteRecord) -> Any:
    return "imperial" if athlete.units == "imperial" else "metric"


def _email(text: str) -> str | None:
    from syncd.services.digest_recipients import address_problem

    if text.strip().lower() in ("", "none"):
        return None
    problem = address_problem(text.strip())
    if problem is not None:
        raise AthleteError(f"--email: {problem}")
    return text.strip()


def _units_choice(text: str) -> str:
    if text not in ("metric", "imperial", "default"):
        raise AthleteError(f"--units must be metric, imperial or default (follow [notes] units), not {text!r}")
    return text


def _zone(text: str) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # only when a zone is set: `athlete show` needs none

    if text.strip().lower() in ("", "none"):
        return None
    try:
        ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise AthleteError(f"--timezone: {text!r} is not a time zone; use a name like Europe/Berlin") from None
    return text.strip()


def _max_hr(text: str) -> float | None:
    if text.strip().lower() in ("", "none"):
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    low, high = MAX_HR_RANGE
    if not low <= value <= high:
        raise AthleteError(f"--max-hr must be beats per minute between {low:g} and {high:g} (or none), not {text!r}")
    return value


def _bpm(value: float | None) -> str:
    return "none (load in minutes)" if value is None else f"{value:g} bpm"


MODE_CHOICES = {"sore": "sore", "well": "staying_well", "staying_well": "staying_well", "auto": "auto"}
MODE_WORDS = {"sore": "sore", "staying_well": "staying well", "auto": "auto (from the pain diary and [advice] mode)"}


def _mode(text: str) -> str:
    chosen = MODE_CHOICES.get(text.strip().lower())
    if chosen is None:
        raise AthleteError(f"--mode must be sore, well or auto (from the pain diary), not {text!r}")
    return chosen


def _set_mode(diary: PainDiary, athlete: AthleteRecord, mode: str) -> bool:
    """The athlete's own advice mode (None in the store: follow [advice] mode); True when it changed."""
    new = None if mode == "auto" else mode
    if diary.advice_mode(athlete.id) == new:
        return False
    diary.set_advice_mode(athlete.id, new)
    return True


def _write_back(text: str) -> str:
    if text not in (*WRITE_BACK_MODES, "default"):
        raise AthleteError(f"--write-back must be all, private, off or default, not {text!r}")
    return text


def _shoe_limit(
    gear_repo: GearRepository, athlete: AthleteRecord, text: str, units: str
) -> tuple[str, str, float | None, str]:
    """(gear id, name, limit in metres or None, shown) from "GEAR=650" (the athlete's units), "=400mi", "=none"."""
    ref, sep, value = text.partition("=")
    if not sep or not ref.strip():
        raise AthleteError(f"--shoe-limit {text!r}: use GEAR=DISTANCE, e.g. g12345=650 or 'Trail Shoes=400mi'")
    gear = gear_repo.list_gear(athlete.id)
    match = [g for g in gear if ref.strip() in (g.gear_id, g.name) or ref.strip().lower() == g.name.lower()]
    if len(match) != 1:
        known = ", ".join(f"{g.gear_id} ({g.name})" for g in gear) or "none synced yet: run `syncd sync` first"
        raise AthleteError(f"--shoe-limit: no single shoe {ref.strip()!r}; the shoes are: {known}")
    if value.strip().lower() == "none":
        return match[0].gear_id, match[0].name, None, "default"
    parsed = _LIMIT.match(value)
    if parsed is None or float(parsed["value"]) <= 0:
        raise AthleteError(f"--shoe-limit {text!r}: the distance must be a positive number, optionally km or mi")
    unit = parsed["unit"] or ("mi" if units == "imperial" else "km")
    metres = float(parsed["value"]) * (METRES_PER_MILE if unit == "mi" else 1000.0)
    return match[0].gear_id, match[0].name, metres, f"{float(parsed['value']):g} {unit}"
