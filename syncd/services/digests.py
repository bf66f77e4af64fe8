"""Weekly digests: who is due for which week, build from the store, send once, retry failures with backoff.

Schedule: each athlete gets the previous ISO week on `[digest] weekday` at `[digest] hour`, in their own time zone
(the athlete's zone, else the zone or UTC offset of their latest activity, else UTC).

Exactly once per athlete and week, across restarts and several workers: a `digests` row is claimed
(`Store.claim_digest`) before sending and marked sent after. A failed send is recorded (`fail_digest`) with a
retry time that the claim enforces, doubling from 5 minutes up to 6 hours, so the daemon retries later instead of
hammering a broken server, and `syncd status` shows the error. A crash between
sending and marking leaves a claim whose lease expires and is retried: at-least-once at that one point, which is
why each digest carries a stable Message-ID that receiving servers and clients use to drop a duplicate.

A fault for one athlete (bad address, a refused send, a bug in one week's data) is logged and reported and never
stops the others.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from email.message import EmailMessage
from typing import TYPE_CHECKING

from syncd.config import ConfigError, Settings
from syncd.domain.advice_mode import RED_FLAG_LINE
from syncd.domain.load import iso_week_label, week_start
from syncd.logging import get_logger
from syncd.records import DigestState
from syncd.services.as_of import athlete_zone, week_end_state
from syncd.services.athletes import max_heart_rate_of
from syncd.services.digest_recipients import LOCAL_ATHLETE, address_problem, owner_id, recipient
from syncd.services.history import history_between

if TYPE_CHECKING:
    from syncd.domain.digest import Digest, WeekRun
    from syncd.ports import (
        ActivityReadRepository,
        ActivityRepository,
        AnnotationRepository,
        AthleteRepository,
        AthletesAndAccounts,
        DigestLogRepository,
        DigestRepository,
        GearRepository,
        LatestAnnotations,
        Mailer,
        PainDiary,
        SigningKeys,
        TrendChart,
    )
    from syncd.records import AthleteRecord

log = get_logger("syncd.digests")

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LEASE_S = 600.0
FIRST_RETRY_S = 300.0
MAX_RETRY_S = 6 * 3600.0
_HISTORY_DAYS = 8 * 7 + 28 + 1


@dataclass
class DigestReport:
    """What one run did; `failed` and `invalid` hold one line per problem (athlete key, week, reason)."""

    sent: list[str] = field(default_factory=list)
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


# ---- who and when -----------------------------------------------------------------------------------------------


def retry_delay_s(attempts: int) -> float:
    """Backoff after the `attempts`-th failed send: 5 min, 10, 20, … capped at 6 h."""
    return float(min(FIRST_RETRY_S * 2.0 ** max(attempts - 1, 0), MAX_RETRY_S))


def check_schedule(settings: Settings) -> None:
    if not 0 <= settings.digest.hour <= 23:
        raise ConfigError(f"[digest] hour must be 0-23; got {settings.digest.hour}")


def due_week(now: datetime, zone: tzinfo, weekday: str = "monday", hour: int = 7) -> date:
    """Monday of the newest week whose digest is due at `now`: the previous week once its send time has passed."""
    local = now.astimezone(zone)
    this_monday = week_start(local.date())
    send_day = this_monday + timedelta(days=WEEKDAYS.index(weekday))
    send_at = datetime.combine(send_day, time(hour), tzinfo=zone)
    return this_monday - timedelta(weeks=1 if local >= send_at else 2)


# ---- the digests row: retry gate --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DigestRepositories:
    """What building and sending the weekly digests reads and changes: who the athletes are (and the owner), their
    activities with their latest notes and shoes, the diary, the activity reads (zones, the analysis's cache), the
    digests' claims and log, and the key that signs unsubscribe links."""

    people: AthletesAndAccounts
    athletes: AthleteRepository
    activities: ActivityRepository
    annotations: AnnotationRepository
    latest: LatestAnnotations
    gear: GearRepository
    diary: PainDiary
    activity_reads: ActivityReadRepository
    claims: DigestRepository
    digest_log: DigestLogRepository
    keys: SigningKeys


def digest_state(log: DigestLogRepository, athlete_id: int, week: str) -> DigestState | None:
    return log.state(athlete_id, week)


def _ready(state: DigestState | None, now: datetime, *, retry_now: bool = False) -> bool:
    if state is None:
        return True
    if state.status == "sent":
        return False
    if state.status == "failed":
        return retry_now or state.retry_at is None or state.retry_at <= now
    return state.retry_at is None or state.retry_at <= now  # claimed: only when the lease expired


# ---- building ---------------------------------------------------------------------------------------------------


def build_for_athlete(
    repos: DigestRepositories, athlete: AthleteRecord, monday: date, settings: Settings, zone: tzinfo
) -> Digest:
    """Read the week's runs (latest annotation flags) and the history for the load trend; the shoes, counts and
    mode are the athlete's state as the week ended (`services.as_of.week_end_state`); build."""
    # the digest's maths (numpy) only when one is built: `syncd athlete show` and `status` use this module too
    from syncd.domain.digest import build_digest

    local_start = datetime.combine(monday, time(0), tzinfo=zone)
    start = local_start.astimezone(UTC) - timedelta(days=1)
    end = (local_start + timedelta(days=7)).astimezone(UTC) + timedelta(days=1)
    runs = _week_runs(repos, athlete.id, start, end)
    history = history_between(repos.activities, athlete.id, start - timedelta(days=_HISTORY_DAYS), end)
    from syncd.services.pain_diary import AnalysisReads, week_pattern  # the analysis needs numpy: not for `status`

    reads = AnalysisReads(repos.diary, repos.athletes, repos.activities, repos.latest, repos.activity_reads)
    default_max_hr = settings.athlete.max_heart_rate
    max_hr = max_heart_rate_of(athlete, default_max_hr)  # the notes' figure (`annotating.policy_for_athlete`)

    state = week_end_state(
        repos.activities,
        repos.gear,
        athlete.id,
        monday,
        diary=repos.diary,
        zone=zone,
        thresholds=settings.rules,
        advice=settings.advice,
        max_hr=max_hr,
    )
    return build_digest(
        athlete_name=athlete.name,
        week_monday=monday,
        runs=runs,
        history=history,
        gear=state.shoes,  # as they were at the week's end: the distance the week's notes gave, never today's
        week=state.week,
        zone=zone,
        thresholds=settings.rules,
        units=athlete.units,
        feed_url=settings.digest.feed_url
        or (f"{settings.web.base_url.rstrip('/')}/" if settings.web.base_url else None),
        max_hr=max_hr,
        mode=state.mode.mode.label,
        mode_reason=state.mode.reason,
        pain_pattern=week_pattern(
            reads, athlete.id, monday, settings.advice, settings.rules, default_max_hr=default_max_hr
        ),
        red_flag=RED_FLAG_LINE if state.mode.red_flag else None,
    )


def _week_runs(repos: DigestRepositories, athlete_id: int, start: datetime, end: datetime) -> list[WeekRun]:
    """The runs that started in [start, end) with their latest flags, each twin group once."""
    from syncd.domain.digest import WeekRun, cleaned_descent_m
    from syncd.domain.streams_state import awaiting_streams

    runs: list[WeekRun] = []
    groups: set[str] = set()
    for stored in repos.activities.iter_activities(athlete_id=athlete_id, since=start, with_streams=True):
        activity = stored.activity
        if activity.start_utc >= end:
            break
        if not activity.sport.is_run:
            continue
        if stored.logical_group is not None:
            if stored.logical_group in groups:
                continue  # the same run from Garmin and Strava: count it once
            groups.add(stored.logical_group)
        annotation = repos.annotations.latest_annotation(stored.id)
        runs.append(
            WeekRun(
                key=activity.key,
                name=activity.name,
                sport=activity.sport,
                start_local=activity.start_local,
                distance_m=activity.distance_m,
                duration_s=activity.duration_s,
                elevation_loss_m=cleaned_descent_m(activity),
                indoor=activity.indoor,
                flags=annotation.flags if annotation is not None else (),
                awaiting_streams=awaiting_streams(activity),
            )
        )
    return runs


def chart_png(digest: Digest, chart: TrendChart | None) -> bytes | None:
    """The load chart, or None without a chart drawer or when plotting fails: a digest without its chart beats no
    digest."""
    if chart is None:
        return None
    try:
        return chart(digest.load_trend, unit=digest.load_unit)
    except Exception as exc:  # matplotlib errors are varied; the email still goes out
        log.warning("load chart failed; sending without it", error=f"{type(exc).__name__}: {exc}")
        return None


def web_base_url(settings: Settings) -> str:
    """Where the recipient reaches syncd's web pages: `[web] base_url`, else the address syncd serves on."""
    if settings.web.base_url:
        return settings.web.base_url.rstrip("/")
    host = settings.web.host
    host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{host}:{settings.web.port}"


def message_for(
    digest: Digest,
    athlete: AthleteRecord,
    to: str,
    settings: Settings,
    now: datetime,
    *,
    keys: SigningKeys | None = None,
    chart: TrendChart | None = None,
) -> EmailMessage:
    from syncd.services.digest_email import build_message

    sender = settings.email.sender
    if not sender:
        raise ConfigError('[email] sender is not set; add sender = "syncd <syncd@example.org>"')
    domain = sender.rpartition("@")[2].strip(" >") or "syncd"
    return build_message(
        digest,
        sender=sender,
        to=to,
        reply_to=settings.email.reply_to,
        chart_png=chart_png(digest, chart),
        message_id=f"<digest-{athlete.id}-{digest.week}@{domain}>",
        now=now,
        unsubscribe_url=_unsubscribe_link(keys, settings, athlete),
    )


def _unsubscribe_link(keys: SigningKeys | None, settings: Settings, athlete: AthleteRecord) -> str | None:
    from syncd.errors import StoreError
    from syncd.services.unsubscribe import unsubscribe_url

    if keys is None:
        return None
    try:
        return unsubscribe_url(keys, web_base_url(settings), athlete)
    except StoreError as exc:  # a store opened without its key (tests, tools): the digest still goes out
        log.warning("digest without an unsubscribe link", athlete=athlete.key, error=str(exc))
        return None


# ---- sending ----------------------------------------------------------------------------------------------------


def default_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def send_due_digests(
    repos: DigestRepositories,
    settings: Settings,
    now: datetime,
    *,
    mailer: Mailer | None = None,
    connect: Callable[[Settings], Mailer] | None = None,
    chart: TrendChart | None = None,
    worker: str | None = None,
    athlete_key: str | None = None,
    week: str | None = None,
    retry_now: bool = False,
) -> DigestReport:
    """Send every digest due at `now` (or, with `week`, that week's) that nobody has sent; the daemon's job.

    `athlete_key` limits the run to one athlete; `retry_now` (a person running `syncd digest --send` after fixing
    the config) retries failed sends without waiting for their backoff. Safe to call from several workers at once
    and as often as wanted: claims make each (athlete, week) go out once. `mailer` sends; without it `connect`
    opens the configured mail server when a digest is due (the wiring's SMTP); `chart` draws the load chart.
    """
    check_schedule(settings)
    now = now.astimezone(UTC)
    report = DigestReport()
    athletes = repos.people.list_athletes()
    if athlete_key is not None:
        athletes = [a for a in athletes if a.key == athlete_key]
        if not athletes:
            raise ConfigError(f"no athlete {athlete_key!r}; list athletes with `syncd status`")
    boss = owner_id(repos.people)
    wanted = [(a, to) for a in athletes if (to := recipient(a, settings, owner_id=boss)) is not None]
    if not wanted or (mailer is None and (connect is None or not settings.email.host)):
        return report  # nobody opted in, or email is not configured: digests are off
    if mailer is None:
        assert connect is not None
        mailer = connect(settings)
    worker = worker or default_worker()
    for athlete, to in wanted:
        problem = address_problem(to)
        if problem is not None:
            report.invalid.append(f"{athlete.key}: {problem}; fix the athlete's email or [email] to")
            log.warning("digest address invalid", athlete=athlete.key, problem=problem)
            continue
        try:
            _send_for_athlete(
                repos, settings, now, (mailer, chart), worker, athlete, to, week, report, retry_now=retry_now
            )
        except Exception as exc:  # one athlete's fault never stops the others
            line = f"{athlete.key}: {type(exc).__name__}: {exc}"
            report.failed.append(line)
            log.error("digest failed", athlete=athlete.key, error=line)
    return report


def _send_for_athlete(  # noqa: PLR0917 - private helper of send_due_digests, called once
    repos: DigestRepositories,
    settings: Settings,
    now: datetime,
    output: tuple[Mailer, TrendChart | None],
    worker: str,
    athlete: AthleteRecord,
    to: str,
    week: str | None,
    report: DigestReport,
    *,
    retry_now: bool = False,
) -> None:
    zone = athlete_zone(repos.activity_reads, athlete)
    if week is not None:
        from syncd.domain.digest import parse_week

        mondays = [parse_week(week)]
    else:
        latest = due_week(now, zone, settings.digest.weekday, settings.digest.hour)
        earlier = latest - timedelta(weeks=1)
        state = digest_state(repos.digest_log, athlete.id, iso_week_label(earlier))
        # Catch up the week before only when its digest was started and never sent (a failure or a crash).
        mondays = [earlier, latest] if state is not None and state.status != "sent" else [latest]
    for monday in mondays:
        label = iso_week_label(monday)
        if not _ready(digest_state(repos.digest_log, athlete.id, label), now, retry_now=retry_now):
            report.skipped += 1
            continue
        digest = build_for_athlete(repos, athlete, monday, settings, zone)
        if digest.empty and settings.digest.when_empty == "skip":
            report.skipped += 1
            continue
        if not repos.claims.claim_digest(athlete.id, label, worker, now=now, lease_s=LEASE_S, retry_early=retry_now):
            report.skipped += 1
            continue
        try:
            mailer, chart = output
            mailer.send(message_for(digest, athlete, to, settings, now, keys=repos.keys, chart=chart))
        except Exception as exc:
            error = " ".join(str(exc).split()) or type(exc).__name__
            attempts = (state.attempts if (state := digest_state(repos.digest_log, athlete.id, label)) else 1) or 1
            retry_at = now + timedelta(seconds=retry_delay_s(attempts))
            repos.claims.fail_digest(athlete.id, label, worker, error, retry_at=retry_at)
            report.failed.append(f"{athlete.key} {label}: {error}; retrying after {retry_at:%Y-%m-%d %H:%M} UTC")
            log.warning(
                "digest send failed",
                athlete=athlete.key,
                week=label,
                error=error,
                attempts=attempts,
                retry_at=retry_at.isoformat(),
            )
            continue
        if repos.claims.mark_digest_sent(athlete.id, label, worker):
            report.sent.append(f"{athlete.key} {label}")
            log.info("digest sent", athlete=athlete.key, week=label, flags=digest.flag_count)
        else:
            log.warning("digest sent but its claim had expired", athlete=athlete.key, week=label)
            report.sent.append(f"{athlete.key} {label}")


# ---- preview and status -----------------------------------------------------------------------------------------


def preview(
    repos: DigestRepositories,
    settings: Settings,
    now: datetime,
    *,
    athlete_key: str | None = None,
    week: str | None = None,
    chart: TrendChart | None = None,
) -> tuple[Digest, str]:
    """The digest HTML for one athlete and week (default: the local athlete, the last complete week); no sending."""
    from syncd.services.digest_email import preview_html

    athletes = repos.people.list_athletes()
    key = athlete_key or (LOCAL_ATHLETE if any(a.key == LOCAL_ATHLETE for a in athletes) else None)
    chosen = next((a for a in athletes if a.key == key), None) if key else (athletes[0] if athletes else None)
    if chosen is None:
        what = f"athlete {athlete_key!r}" if athlete_key else "athlete"
        raise ConfigError(f"no {what} in the database; import or sync activities first, or fix --athlete")
    zone = athlete_zone(repos.activity_reads, chosen)
    from syncd.domain.digest import parse_week

    monday = parse_week(week) if week else week_start(now.astimezone(zone).date()) - timedelta(weeks=1)
    digest = build_for_athlete(repos, chosen, monday, settings, zone)
    return digest, preview_html(digest, chart_png(digest, chart))
