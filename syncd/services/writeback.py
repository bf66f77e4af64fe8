"""Drain the write-back outbox through each platform's `DescriptionWriter`.

For each claimed item: read the description fresh, merge our block (syncd.domain.description), PUT only when the
text changed, then record what was written and complete the item. A crash between the PUT and the record leaves
the item claimed; when its lease expires it is retried, the fresh description already holds our block, the merge
says "unchanged", and nothing is written twice. Faults of one item never stop the others; a rate limit stops that
platform until the window resets.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import structlog

from syncd.adapters.db.writeback_log import pending_items, record_result, was_written
from syncd.adapters.platform_errors import PlatformGoneError, PlatformRateLimitedError, PlatformUnauthorizedError
from syncd.adapters.strava.errors import GoneError, RateLimitedError, StravaError, UnauthorizedError
from syncd.domain.description import merge_description
from syncd.ports import DescriptionWriter
from syncd.services.pain_diary import read_remote_description

if TYPE_CHECKING:
    from syncd.adapters.db.repository import Store

WriteBackMode = Literal["all", "private", "off"]
MAX_ATTEMPTS = 8
log = structlog.stdlib.get_logger("syncd.writeback")  # lazy: resolved after configure_logging


@dataclass(frozen=True)
class WriteOutcome:
    item_id: int
    activity_id: int
    provider: str
    status: str  # inserted/replaced/removed (written), unchanged, opted_out, skipped_public, dry_run, failed, …
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


def drain_outbox(
    store: Store,
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
    report = WritebackReport()
    modes = modes or {}
    if dry_run:
        for pending in pending_items(store.engine, limit=limit, providers=tuple(writers)):
            report.outcomes.append(
                _preview(
                    store,
                    writers,
                    item_id=pending.id,
                    activity_id=pending.activity_id,
                    provider=pending.provider,
                    note=pending.note,
                    modes=modes,
                )
            )
        return report
    items = store.claim_writebacks(worker, now=now(), lease_s=lease_s, limit=limit, providers=tuple(writers))
    for item in items:
        writer = writers.get(item.provider)
        mode = modes.get(item.provider, "all")
        if writer is None or item.provider in report.stopped:
            reason = report.stopped.get(item.provider, f"no writer configured for {item.provider}")
            store.fail_writeback(item.id, worker, reason, retry_at=now() + timedelta(minutes=15))
            continue
        try:
            stored = store.get_activity(item.activity_id, with_streams=False)
            if mode == "off":
                store.complete_writeback(item.id, worker)
                report.outcomes.append(WriteOutcome(item.id, item.activity_id, item.provider, "off"))
                continue
            remote = writer.read_description(stored.athlete_id, stored.activity.external_id)
            read_remote_description(store, item.activity_id, remote.text, now=now())  # the runner's #back tag
            if mode == "private" and not remote.private:
                record_result(store.engine, item.id, worker, {"written": False, "status": "skipped_public"})
                store.complete_writeback(item.id, worker)
                report.outcomes.append(WriteOutcome(item.id, item.activity_id, item.provider, "skipped_public"))
                continue
            before = remote.text or ""
            previously = was_written(store.engine, item.activity_id, item.provider)
            merged = merge_description(before, item.note, previously_written=previously, max_length=writer.max_length)
            diff = ""
            if merged.text != before:
                diff = _diff(before, merged.text, f"{item.provider}:{stored.activity.external_id}")
                writer.write_description(stored.athlete_id, stored.activity.external_id, merged.text)
            written = previously or _has_block(merged.text)
            record_result(
                store.engine,
                item.id,
                worker,
                {"written": bool(written), "status": merged.status, "truncated": merged.truncated},
            )
            store.complete_writeback(item.id, worker)
            report.outcomes.append(WriteOutcome(item.id, item.activity_id, item.provider, merged.status, diff))
            log.info("writeback_done", activity_id=item.activity_id, provider=item.provider, status=merged.status)
        except (RateLimitedError, PlatformRateLimitedError) as exc:
            store.fail_writeback(item.id, worker, str(exc), retry_at=exc.resume_at)
            report.stopped[item.provider] = str(exc)
            report.outcomes.append(WriteOutcome(item.id, item.activity_id, item.provider, "failed", error=str(exc)))
        except (GoneError, PlatformGoneError) as exc:
            store.fail_writeback(item.id, worker, str(exc), retry_at=None)
            report.outcomes.append(WriteOutcome(item.id, item.activity_id, item.provider, "failed", error=str(exc)))
        except (UnauthorizedError, PlatformUnauthorizedError) as exc:
            store.fail_writeback(item.id, worker, str(exc), retry_at=now() + timedelta(hours=1))
            if on_unauthorized is not None:
                on_unauthorized(stored.athlete_id, item.provider, str(exc))
            report.outcomes.append(WriteOutcome(item.id, item.activity_id, item.provider, "failed", error=str(exc)))
        except (StravaError, Exception) as exc:  # one bad item never stops the others
            message = f"{type(exc).__name__}: {exc}"
            store.fail_writeback(item.id, worker, message, retry_at=_backoff(item.attempts, now()))
            log.warning("writeback_failed", activity_id=item.activity_id, provider=item.provider, error=message)
            report.outcomes.append(WriteOutcome(item.id, item.activity_id, item.provider, "failed", error=message))
    return report


def _has_block(text: str) -> bool:
    from syncd.domain.description import find_block

    return find_block(text) is not None


def _preview(
    store: Store,
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
    if modes.get(provider, "all") == "off":
        return WriteOutcome(item_id, activity_id, provider, "off")
    try:
        stored = store.get_activity(activity_id, with_streams=False)
        remote = writer.read_description(stored.athlete_id, stored.activity.external_id)
        if modes.get(provider, "all") == "private" and not remote.private:
            return WriteOutcome(item_id, activity_id, provider, "skipped_public")
        before = remote.text or ""
        merged = merge_description(
            before,
            note,
            previously_written=was_written(store.engine, activity_id, provider),
            max_length=writer.max_length,
        )
        diff = _diff(before, merged.text, f"{provider}:{stored.activity.external_id}") if merged.text != before else ""
        return WriteOutcome(item_id, activity_id, provider, "dry_run" if diff else "unchanged", diff)
    except Exception as exc:  # a preview never fails the run
        return WriteOutcome(item_id, activity_id, provider, "failed", error=f"{type(exc).__name__}: {exc}")
