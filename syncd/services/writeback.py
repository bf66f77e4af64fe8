"""Drain the write-back outbox through each platform's `DescriptionWriter`.

The write-back policy is decided here, once (services/write_back_policy.py): each claimed item is written, or held
with its reason when the write-back is off or the activity is public under "private"; each drain first gives back
to the queue the held items that the settings now allow. For an item to write: read the description fresh, merge
our block (syncd.domain.description), PUT only when the text changed, then record what was written and complete
the item. A crash between the PUT and the record leaves
the item claimed; when its lease expires it is retried, the fresh description already holds our block, the merge
says "unchanged", and nothing is written twice. Faults of one item never stop the others; a rate limit stops that
platform until the window resets.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from syncd.domain.description import merge_description
from syncd.logging import get_logger
from syncd.platform_errors import PlatformGoneError, PlatformRateLimitedError, PlatformUnauthorizedError
from syncd.ports import DescriptionWriter
from syncd.services.pain_diary import remote_description_read
from syncd.services.write_back_policy import SKIP_STATUS, WriteBackMode, releasable, skip_reason

if TYPE_CHECKING:
    from syncd.ports import ActivityRepository, AthleteRepository, OutboxClaims, OutboxLogRepository
    from syncd.records import OutboxItem, StoredActivity

MAX_ATTEMPTS = 8
log = get_logger("syncd.writeback")


@dataclass(frozen=True)
class WriteOutcome:
    item_id: int
    activity_id: int
    provider: str
    status: str  # inserted/replaced/removed (written), unchanged, opted_out, off/skipped_public (held), dry_run, …
    diff: str = ""
    error: str | None = None


@dataclass
class WritebackReport:
    outcomes: list[WriteOutcome] = field(default_factory=list)
    stopped: dict[str, str] = field(default_factory=dict)  # provider -> why it stopped (rate limit)

    @property
    def written(self) -> int:
        return sum(o.status in ("inserted", "replaced", "removed") for o in self.outcomes)

    @property
    def failed(self) -> int:
        return sum(o.status == "failed" for o in self.outcomes)

    @property
    def held(self) -> int:
        """Not written: the write-back does not allow them (kept, written once a setting allows them)."""
        return sum(o.status in SKIP_STATUS.values() for o in self.outcomes)


def _diff(before: str, after: str, label: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"{label} (now)", f"{label} (new)"
        )
    )


def _backoff(attempts: int, now: datetime) -> datetime | None:
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + timedelta(seconds=min(60 * 2 ** (attempts - 1), 6 * 3600))


@dataclass(frozen=True, slots=True)
class DrainRepositories:
    """What draining the write-back outbox reads and changes: the claims, the write log, the activities (the
    database's also keep the diary, which a description read feeds) and the athletes (their write-back choice)."""

    outbox: OutboxClaims
    log: OutboxLogRepository
    activities: ActivityRepository
    athletes: AthleteRepository


def drain_outbox(
    repos: DrainRepositories,
    writers: Mapping[str, DescriptionWriter],
    *,
    worker: str,
    now: Callable[[], datetime],
    modes: Mapping[str, WriteBackMode] | None = None,
    lease_s: float = 300.0,
    limit: int = 100,
    dry_run: bool = False,
    on_unauthorized: Callable[[int, str, str], None] | None = None,
) -> WritebackReport:
    """Write queued notes. `modes[provider]`: "all", "private" (only-me activities only) or "off" (default "all").

    `on_unauthorized(athlete_id, provider, message)` lets the caller mark the account as needing a re-link.
    """
    modes = modes or {}
    if dry_run:
        return _dry_run(repos, writers, modes, limit)
    released = releasable(repos.outbox.held_writebacks(providers=tuple(writers)), modes)
    if released:  # a settings change lets held notes go: no re-annotation, no re-enqueue
        log.info("writeback_released", items=repos.outbox.release_writebacks(released))
    drain = _Drain(repos, writers, modes, worker, now, on_unauthorized)
    claimed = repos.outbox.claim_writebacks(worker, now=now(), lease_s=lease_s, limit=limit, providers=tuple(writers))
    for item in claimed:
        drain.one(item)
    return drain.report


def _dry_run(
    repos: DrainRepositories, writers: Mapping[str, DescriptionWriter], modes: Mapping[str, WriteBackMode], limit: int
) -> WritebackReport:
    report = WritebackReport()
    # what the drain would give back
    released = releasable(repos.outbox.held_writebacks(providers=tuple(writers)), modes)
    for pending in repos.log.pending_items(limit=limit, providers=tuple(writers), held=released):
        report.outcomes.append(
            _preview(
                repos,
                writers,
                item_id=pending.id,
                activity_id=pending.activity_id,
                provider=pending.provider,
                note=pending.note,
                modes=modes,
            )
        )
    return report


@dataclass
class _Drain:
    """One drain pass: each claimed item ends in exactly one outcome, each kind of fault in its own `except`."""

    repos: DrainRepositories
    writers: Mapping[str, DescriptionWriter]
    modes: Mapping[str, WriteBackMode]
    worker: str
    now: Callable[[], datetime]
    on_unauthorized: Callable[[int, str, str], None] | None
    report: WritebackReport = field(default_factory=WritebackReport)
    resume_at: dict[str, datetime] = field(default_factory=dict)  # provider -> when its rate-limit window resets

    def one(self, item: OutboxItem) -> None:
        writer = self.writers.get(item.provider)
        if writer is None or item.provider in self.report.stopped:
            reason = self.report.stopped.get(item.provider, f"no writer configured for {item.provider}")
            # Rate-limited: wait for the window that blocked it to reset (not a fixed 15 minutes).
            retry_at = self.resume_at.get(item.provider) or self.now() + timedelta(minutes=15)
            self.repos.outbox.fail_writeback(item.id, self.worker, reason, retry_at=retry_at)
            return
        athlete_id: int | None = None
        try:
            stored = self.repos.activities.get_activity(item.activity_id, with_streams=False)
            athlete_id = stored.athlete_id
            outcome = self._write(item, writer, stored)
        except PlatformRateLimitedError as exc:  # this platform waits until the window resets
            self.report.stopped[item.provider] = str(exc)
            self.resume_at[item.provider] = exc.resume_at
            outcome = self._failed(item, str(exc), exc.resume_at)
        except PlatformGoneError as exc:  # the activity is gone: never retried
            outcome = self._failed(item, str(exc), None)
        except PlatformUnauthorizedError as exc:  # the account needs a re-link
            outcome = self._failed(item, str(exc), self.now() + timedelta(hours=1))
            if self.on_unauthorized is not None and athlete_id is not None:
                self.on_unauthorized(athlete_id, item.provider, str(exc))
        except Exception as exc:  # anything else: retried with backoff; one bad item never stops the others
            message = f"{type(exc).__name__}: {exc}"
            log.warning("writeback_failed", activity_id=item.activity_id, provider=item.provider, error=message)
            outcome = self._failed(item, message, _backoff(item.attempts, self.now()))
        self.report.outcomes.append(outcome)

    def _failed(self, item: OutboxItem, message: str, retry_at: datetime | None) -> WriteOutcome:
        self.repos.outbox.fail_writeback(item.id, self.worker, message, retry_at=retry_at)
        return WriteOutcome(item.id, item.activity_id, item.provider, "failed", error=message)

    def _held(self, item: OutboxItem, reason: str) -> WriteOutcome:
        """Not written, and why: kept until a settings change allows it (the next drain then writes it)."""
        status = SKIP_STATUS[reason]
        self.repos.outbox.hold_writeback(item.id, self.worker, {"written": False, "status": status, "reason": reason})
        log.info("writeback_held", activity_id=item.activity_id, provider=item.provider, reason=reason)
        return WriteOutcome(item.id, item.activity_id, item.provider, status)

    def _done(self, item: OutboxItem, status: str, diff: str = "") -> WriteOutcome:
        self.repos.outbox.complete_writeback(item.id, self.worker)
        return WriteOutcome(item.id, item.activity_id, item.provider, status, diff)

    def _write(self, item: OutboxItem, writer: DescriptionWriter, stored: StoredActivity) -> WriteOutcome:
        """Read fresh, merge our block, PUT only when the text changed, record what was written."""
        athlete_mode = self.repos.athletes.get_athlete(stored.athlete_id).write_back
        configured = self.modes.get(item.provider, "all")
        skip = skip_reason(athlete_mode, configured, private=None)  # "off" decides without reading the platform
        if skip is not None:
            return self._held(item, skip)
        remote = writer.read_description(stored.athlete_id, stored.activity.external_id)
        # the runner's #back tag
        remote_description_read(self.repos.activities, item.activity_id, remote.text, now=self.now())
        skip = skip_reason(athlete_mode, configured, private=remote.private)
        if skip is not None:
            return self._held(item, skip)
        before = remote.text or ""
        previously = self.repos.log.was_written(item.activity_id, item.provider)
        merged = merge_description(before, item.note, previously_written=previously, max_length=writer.max_length)
        diff = ""
        if merged.text != before:
            diff = _diff(before, merged.text, f"{item.provider}:{stored.activity.external_id}")
            writer.write_description(stored.athlete_id, stored.activity.external_id, merged.text)
        written = previously or _has_block(merged.text)
        result = {"written": bool(written), "status": merged.status, "truncated": merged.truncated}
        self.repos.log.record_result(item.id, self.worker, result)
        log.info("writeback_done", activity_id=item.activity_id, provider=item.provider, status=merged.status)
        return self._done(item, merged.status, diff)


def _has_block(text: str) -> bool:
    from syncd.domain.description import find_block

    return find_block(text) is not None


def _preview(
    repos: DrainRepositories,
    writers: Mapping[str, DescriptionWriter],
    *,
    item_id: int,
    activity_id: int,
    provider: str,
    note: str,
    modes: Mapping[str, WriteBackMode],
) -> WriteOutcome:
    """What draining would do, reading (never writing) the platform."""
    writer = writers.get(provider)
    if writer is None:
        return WriteOutcome(item_id, activity_id, provider, "failed", error=f"no writer for {provider}")
    try:
        stored = repos.activities.get_activity(activity_id, with_streams=False)
        athlete_mode, configured = repos.athletes.get_athlete(stored.athlete_id).write_back, modes.get(provider, "all")
        skip = skip_reason(athlete_mode, configured, private=None)
        if skip is not None:
            return WriteOutcome(item_id, activity_id, provider, SKIP_STATUS[skip])
        remote = writer.read_description(stored.athlete_id, stored.activity.external_id)
        skip = skip_reason(athlete_mode, configured, private=remote.private)
        if skip is not None:
            return WriteOutcome(item_id, activity_id, provider, SKIP_STATUS[skip])
        before = remote.text or ""
        merged = merge_description(
            before,
            note,
            previously_written=repos.log.was_written(activity_id, provider),
            max_length=writer.max_length,
        )
        diff = _diff(before, merged.text, f"{provider}:{stored.activity.external_id}") if merged.text != before else ""
        return WriteOutcome(item_id, activity_id, provider, "dry_run" if diff else "unchanged", diff)
    except Exception as exc:  # a preview never fails the run
        return WriteOutcome(item_id, activity_id, provider, "failed", error=f"{type(exc).__name__}: {exc}")
