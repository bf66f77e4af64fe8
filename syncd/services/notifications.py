"""Push notifications: what to queue (a run's note with a caution or high flag, the weekly digest, the daily
check-in) and delivering the queue, each target on its own with back-off.

Queueing writes rows only; delivery runs after the sync pass's write-backs, each target in its own thread with
its own time-outs, so an unreachable target delays neither the sync nor the other targets. Quiet hours (the
athlete's zone) hold a message back until they end. Message bodies carry the note as the feed shows it (its mode
line names the mode and why, never a pain score or a date). URLs never leave the config or the encrypted table:
rows name targets as "config:1", "athlete:1".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from syncd.domain.notify import (
    FRESH,
    Kind,
    Message,
    QueuedNotification,
    checkin_message,
    digest_message,
    next_attempt,
    note_message,
    quiet_until,
    worth_pushing,
)
from syncd.logging import get_logger
from syncd.services.notify_targets import Target, config_urls, targets_for

if TYPE_CHECKING:
    from syncd.config import Settings
    from syncd.ports import NotificationOutbox, PushSender
    from syncd.records import AthleteRecord
    from syncd.services.digests import DigestRepositories

log = get_logger("syncd.notify")


@dataclass(frozen=True, slots=True)
class NotifyRepositories:
    """What push notifications and the check-in read and change: the digest's repositories (the athletes, their
    runs and notes, the diary, the signing keys) and the notification outbox with the athletes' own targets."""

    digest: DigestRepositories
    notifications: NotificationOutbox


LEASE_S = 300.0
BATCH = 100
_EMPTY_WEEKS: set[tuple[int, str]] = set()  # (athlete, week) whose digest had no runs: nothing to push


@dataclass
class NotifyReport:
    queued: int = 0
    sent: int = 0
    failed: list[str] = field(default_factory=list)  # "target: error", no secret


KINDS = (Kind.NOTE.value, Kind.DIGEST.value, Kind.CHECKIN.value)  # what an athlete can turn off


def parse_kinds(text: str) -> list[str]:
    """`--notify-kinds note,checkin` (or all, none) -> the kinds the athlete turns OFF; ValueError names the fix."""
    words = [w.strip().lower() for w in text.split(",") if w.strip()]
    if words == ["all"]:
        return []
    if words == ["none"]:
        return list(KINDS)
    unknown = [w for w in words if w not in KINDS]
    if unknown or not words:
        raise ValueError(f"unknown kind {unknown[0] if unknown else text!r}; use {', '.join(KINDS)}, all or none")
    return [kind for kind in KINDS if kind not in words]


def _owner_id(repos: NotifyRepositories) -> int | None:
    from syncd.services.athletes import owner

    found = owner(repos.digest.people)
    return None if found is None else found.id


def _enabled(settings: Settings, kind: Kind) -> bool:
    return {
        Kind.NOTE: settings.notify.notes,
        Kind.DIGEST: settings.notify.digest,
        Kind.CHECKIN: settings.notify.checkin,
        Kind.TEST: True,
    }[kind]


def queue(  # noqa: PLR0917 - one row per target: every field of it
    repos: NotifyRepositories,
    settings: Settings,
    athlete: AthleteRecord,
    targets: Sequence[Target],
    kind: Kind,
    ref: str,
    message: Message,
    now: datetime,
) -> int:
    """Queue `message` for every target, held back to the end of the athlete's quiet hours; rows queued."""
    from syncd.services.as_of import athlete_zone

    if not _enabled(settings, kind) or not targets:
        return 0
    if kind is not Kind.TEST and kind.value in repos.notifications.muted(athlete.id):
        return 0  # the athlete turned this kind off (`syncd athlete set --notify-kinds`)
    quiet = settings.notify
    zone = athlete_zone(repos.digest.activity_reads, athlete)
    not_before = now if kind is Kind.TEST else (quiet_until(now, zone, quiet.quiet_start, quiet.quiet_end) or now)
    added = 0
    for target in targets:
        added += repos.notifications.enqueue(
            athlete.id,
            kind.value,
            ref,
            target.key,
            scheme=target.scheme,
            title=message.title,
            body=message.body,
            link=message.link,
            not_before=not_before,
            now=now,
        )
    return added


def _base(settings: Settings) -> str:
    from syncd.services.digests import web_base_url

    return web_base_url(settings)


def _checkin_link(repos: NotifyRepositories, settings: Settings, athlete: AthleteRecord, day: date) -> str | None:
    from syncd.errors import StoreError
    from syncd.services.checkin import checkin_url

    if not settings.notify.checkin:
        return None
    try:
        return checkin_url(repos.digest.keys.signing_key("checkin"), _base(settings), athlete, day)
    except StoreError:  # a store opened without its key: no link rather than no message
        return None


def queue_flagged_notes(repos: NotifyRepositories, settings: Settings, now: datetime) -> int:
    """A message for each fresh run whose note has a caution or high flag (once per run, whatever re-annotates)."""
    if not settings.notify.notes:
        return 0
    owner_id = _owner_id(repos)
    athletes = {a.id: a for a in repos.digest.people.list_athletes()}
    added = 0
    for activity_id in repos.notifications.flagged_since(now - FRESH):
        stored = repos.digest.activities.get_activity(activity_id, with_streams=False)
        athlete = athletes.get(stored.athlete_id)
        if athlete is None or repos.notifications.has(athlete.id, Kind.NOTE.value, str(activity_id)):
            continue
        annotation = repos.digest.annotations.latest_annotation(activity_id)
        if annotation is None or not worth_pushing(annotation.flags):
            continue
        targets = targets_for(repos, settings, athlete, owner_id)
        if not targets:
            continue
        run = stored.activity
        day = run.start_local.date()
        link = f"{_base(settings)}/activities/{activity_id}"
        message = note_message(
            run.name,
            day,
            flags=annotation.flags,
            note=annotation.note,
            link=link,
            checkin=_checkin_link(repos, settings, athlete, day),
        )
        added += queue(repos, settings, athlete, targets, Kind.NOTE, str(activity_id), message, now)
    return added


def queue_daily(repos: NotifyRepositories, settings: Settings, now: datetime) -> int:
    """The daily check-in (after the day's first run, else at `checkin_hour`) and the weekly digest's short text
    once it is due, per athlete."""
    owner_id = _owner_id(repos)
    added = 0
    for athlete in repos.digest.people.list_athletes():
        targets = targets_for(repos, settings, athlete, owner_id)
        if not targets:
            continue
        muted = repos.notifications.muted(athlete.id)
        if settings.notify.checkin and Kind.CHECKIN.value not in muted:
            added += _queue_checkin(repos, settings, athlete, targets, now)
        if settings.notify.digest and Kind.DIGEST.value not in muted:
            added += _queue_digest(repos, settings, athlete, targets, now)
    return added


def _queue_checkin(
    repos: NotifyRepositories, settings: Settings, athlete: AthleteRecord, targets: Sequence[Target], now: datetime
) -> int:
    """Once a day, unless the day has a diary entry or a pushed note already carried the link: after a run that
    day, else at `checkin_hour` (the athlete's zone)."""
    from syncd.services.as_of import athlete_zone
    from syncd.services.checkin import has_entry

    local = now.astimezone(athlete_zone(repos.digest.activity_reads, athlete))
    today = local.date()
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    outbox = repos.notifications
    if outbox.has(athlete.id, Kind.CHECKIN.value, today.isoformat()) or has_entry(
        repos.digest.diary, athlete.id, today
    ):
        return 0
    if outbox.queued_since(athlete.id, Kind.NOTE.value, midnight):
        return 0  # today's pushed note carried the link
    ran_today = (
        next(iter(repos.digest.activities.iter_activities(athlete_id=athlete.id, since=midnight)), None) is not None
    )
    if local.hour < settings.notify.checkin_hour and not ran_today:
        return 0
    link = _checkin_link(repos, settings, athlete, today)
    if link is None:
        return 0
    return queue(repos, settings, athlete, targets, Kind.CHECKIN, today.isoformat(), checkin_message(link), now)


def _queue_digest(
    repos: NotifyRepositories, settings: Settings, athlete: AthleteRecord, targets: Sequence[Target], now: datetime
) -> int:
    from syncd.domain.load import iso_week_label
    from syncd.services.as_of import athlete_zone
    from syncd.services.digests import build_for_athlete, due_week

    zone = athlete_zone(repos.digest.activity_reads, athlete)
    monday = due_week(now, zone, settings.digest.weekday, settings.digest.hour)
    label = iso_week_label(monday)
    if (athlete.id, label) in _EMPTY_WEEKS or repos.notifications.has(athlete.id, Kind.DIGEST.value, label):
        return 0
    digest = build_for_athlete(repos.digest, athlete, monday, settings, zone)
    if digest.empty:  # a push about a week without runs is noise (the email may still say so)
        _EMPTY_WEEKS.add((athlete.id, label))  # not built again every pass of this process
        return 0
    advice = [s.text for s in digest.suggestions[:1]]
    summary = " ".join([f"Advice mode: {digest.mode}.", *advice])
    message = digest_message(digest.subject, summary, f"{_base(settings)}/digest?week={label}")
    return queue(repos, settings, athlete, targets, Kind.DIGEST, label, message, now)


# ---- delivery -------------------------------------------------------------------------------------------------


TargetKey = tuple[int, str]  # (athlete id, "config:1" / "athlete:1")


def claim_groups(
    repos: NotifyRepositories,
    now: datetime,
    worker: str,
    *,
    busy: Collection[TargetKey] = (),
    only: TargetKey | None = None,
) -> dict[TargetKey, list[QueuedNotification]]:
    """Due messages leased to `worker`, by target in queue order; targets in `busy` (still sending) are left out,
    `only` claims one target's."""
    items = repos.notifications.claim(worker, now=now, lease_s=LEASE_S, limit=BATCH, exclude=busy, only=only)
    groups: dict[TargetKey, list[QueuedNotification]] = defaultdict(list)
    for item in items:
        groups[(item.athlete_id, item.target)].append(item)
    return dict(groups)


def deliver_group(  # noqa: PLR0917 - one target's claimed messages and where to send them
    repos: NotifyRepositories,
    settings: Settings,
    sender: PushSender,
    key: TargetKey,
    items: list[QueuedNotification],
    worker: str,
    *,
    now: datetime,
) -> NotifyReport:
    """Send one target's messages in order; the first failure backs off the rest of them too (from `now`)."""
    athlete = next((a for a in repos.digest.people.list_athletes() if a.id == key[0]), None)
    found = targets_for(repos, settings, athlete, _owner_id(repos)) if athlete else []
    url = next((t.url for t in found if t.key == key[1]), None)
    report = NotifyReport()
    for outcome in _send_group(sender, url, items):
        _settle(repos, worker, outcome, now, report)
    return report


def deliver_due(
    repos: NotifyRepositories, settings: Settings, sender: PushSender, now: datetime, worker: str
) -> NotifyReport:
    """Send what is due and wait: targets in parallel, each target's messages in order (`syncd sync`, tests)."""
    groups = claim_groups(repos, now, worker)
    report = NotifyReport()
    if not groups:
        return report
    with ThreadPoolExecutor(max_workers=min(8, len(groups)), thread_name_prefix="notify") as pool:
        done = list(
            pool.map(lambda key: deliver_group(repos, settings, sender, key, groups[key], worker, now=now), groups)
        )
    for part in done:
        report.sent += part.sent
        report.failed += part.failed
    return report


def _send_group(
    sender: PushSender, url: str | None, items: list[QueuedNotification]
) -> list[tuple[QueuedNotification, str | None]]:
    outcomes: list[tuple[QueuedNotification, str | None]] = []
    error: str | None = None if url else "this target is no longer configured"
    for item in items:
        if error is None and url is not None:
            try:
                sender.send(url, Message(item.title, item.body, item.link))
            except Exception as exc:  # the sender's text is scrubbed of the URL
                error = str(exc) or type(exc).__name__
                outcomes.append((item, error))
                continue
            outcomes.append((item, None))
        else:  # the target just failed: its other messages wait for the retry instead of failing in turn
            outcomes.append((item, error))
    return outcomes


def _settle(
    repos: NotifyRepositories,
    worker: str,
    outcome: tuple[QueuedNotification, str | None],
    now: datetime,
    report: NotifyReport,
) -> None:
    item, error = outcome
    if error is None:
        repos.notifications.sent(item.id, worker)
        report.sent += 1
        log.info("notification_sent", kind=item.kind, target=item.target)
        return
    retry_at = next_attempt(item.attempts, now) if "no longer configured" not in error else None
    repos.notifications.failed(item.id, worker, error, retry_at)
    report.failed.append(f"{item.target}: {error}")
    log.warning(
        "notification_failed",
        kind=item.kind,
        target=item.target,
        error=error,
        attempts=item.attempts,
        retry_at=retry_at.isoformat() if retry_at else None,
    )


def queue_new(repos: NotifyRepositories, settings: Settings, now: datetime) -> int:
    """Queue this pass's flagged notes, the check-in and the digest text; never raises (rows only, no network)."""
    try:
        return queue_flagged_notes(repos, settings, now) + queue_daily(repos, settings, now)
    except Exception as exc:
        log.error("notify_queue_failed", error=f"{type(exc).__name__}: {exc}")
        return 0


def deliver_safely(
    repos: NotifyRepositories, settings: Settings, sender: PushSender, now: datetime, worker: str
) -> NotifyReport:
    """`deliver_due` that never raises (a database hiccup is logged; the rows stay for the next pass)."""
    try:
        return deliver_due(repos, settings, sender, now, worker)
    except Exception as exc:
        log.error("notify_delivery_failed", error=f"{type(exc).__name__}: {exc}")
        return NotifyReport()


def notify_pass(
    repos: NotifyRepositories, settings: Settings, sender: PushSender, now: datetime, worker: str
) -> NotifyReport:
    """Queue what is new and deliver what is due, in this thread (`syncd sync`); never raises."""
    queued = queue_new(repos, settings, now)
    report = deliver_safely(repos, settings, sender, now, worker)
    report.queued = queued
    return report


KEEP = timedelta(days=30)  # dedupe needs a row for 48 h (notes), 2 weeks (digests), a day (check-ins)


def prune(repos: NotifyRepositories, now: datetime) -> int:
    """Sent and given-up messages older than KEEP go; waiting ones stay whatever their age."""
    return repos.notifications.prune(now - KEEP)


def wants_notifications(repos: NotifyRepositories, settings: Settings) -> bool:
    """Whether any target is configured (else the daemon's pass skips notifications entirely)."""
    return bool(config_urls(settings)) or bool(repos.notifications.athletes_with_targets())


def send_test(
    repos: NotifyRepositories, settings: Settings, sender: PushSender, athlete: AthleteRecord
) -> list[tuple[str, str | None]]:
    """`syncd notify test`: one message to each of the athlete's targets at once, bypassing the queue and quiet
    hours; (target with its scheme, error or None)."""
    from syncd.domain.notify import trial_message

    results: list[tuple[str, str | None]] = []
    for target in targets_for(repos, settings, athlete, _owner_id(repos)):
        try:
            sender.send(target.url, trial_message())
            results.append((f"{target.key} ({target.scheme})", None))
        except Exception as exc:
            results.append((f"{target.key} ({target.scheme})", str(exc) or type(exc).__name__))
    return results
