"""The activity page's note on the platform, one state each (issue 27), on the rendered HTML: written (when),
pending (queued; a retry with its safe reason and next attempt), held at the drain and why (the athlete's write-back
off, the platform's off, a public run under "private"), held but allowed now, given up, older than the window, a
file. Every state is reached through the real drain (`drain_outbox`) on SQLite; no secret reaches the page."""

from __future__ import annotations

import html
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncd.adapters.db import Store
from syncd.adapters.strava.errors import GoneError, TransientError
from syncd.config import GarminSettings, Settings, StravaSettings
from syncd.domain.model import Activity, Source, Sport
from syncd.entrypoints.web.app import create_app
from syncd.entrypoints.web.serve import serve_in_thread
from syncd.services.annotating import AnnotationPolicy, annotate_stored
from syncd.services.write_back_policy import own_platform
from syncd.services.writeback import DrainRepositories, drain_outbox
from tests.unit.fakes import MemoryPlatform

NOW = datetime.now(UTC).replace(microsecond=0)
SECRET = "tok-Qx93-never-on-a-page"


@dataclass
class Page:
    ids: dict[str, int]
    base: str


def _run(store: Store, athlete: int, name: str, *, source: Source = Source.STRAVA, days: float = 1.0) -> int:
    activity = Activity(source, name, Sport.RUN, "Run", NOW - timedelta(days=days), name=name, moving_s=1800.0)
    activity_id = store.upsert_activity(athlete, activity, {}).activity_id
    annotate_stored(store, activity_id, AnnotationPolicy(), now=NOW, write_back_providers=own_platform)
    return activity_id


def _drain(store: Store, provider: str, platform: MemoryPlatform, mode: str = "all") -> None:
    drain_outbox(
        DrainRepositories(store, store.outbox_log, store, store),
        {provider: platform},
        worker="w",
        now=lambda: datetime.now(UTC),
        modes={provider: mode},
    )  # type: ignore[dict-item]


def _seed(store: Store) -> dict[str, int]:
    ann = store.ensure_athlete("strava:1", name="Ann")
    ids = {name: _run(store, ann, name) for name in ("written", "pending")}
    _drain(store, "strava", MemoryPlatform())  # both written
    ids["retry"] = _run(store, ann, "retry")
    _drain(store, "strava", MemoryPlatform(faults=[TransientError(f"502 from the API; access_token={SECRET}")]))
    ids["gone"] = _run(store, ann, "gone")
    _drain(store, "strava", MemoryPlatform(faults=[GoneError("404 Not Found: the activity is gone")]))
    ids["old"] = _run(store, ann, "old", days=45)
    ids["file"] = _run(store, ann, "file", source=Source.FILE)
    bob = store.ensure_athlete("strava:2", name="Bob")
    store.set_athlete_settings(bob, write_back="off")
    ids["athlete_off"] = _run(store, bob, "athlete_off")
    _drain(store, "strava", MemoryPlatform())
    cyd = store.ensure_athlete("strava:3", name="Cyd")
    store.set_athlete_settings(cyd, write_back="private")
    ids["public"] = _run(store, cyd, "public")
    _drain(store, "strava", MemoryPlatform(private=False))
    dan = store.ensure_athlete("garmin:4", name="Dan")
    ids["config_off"] = _run(store, dan, "config_off", source=Source.GARMIN)
    _drain(store, "garmin", MemoryPlatform(), mode="off")
    eve = store.ensure_athlete("strava:5", name="Eve")
    ids["allowed_now"] = _run(store, eve, "allowed_now")
    _drain(store, "strava", MemoryPlatform(), mode="off")  # held while [strava] write_back was off; "all" now
    store.enqueue_writeback(ids["pending"], "strava", "── syncd back-care note ──\nNewer text\n── end ──")
    return ids


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    tmp = tmp_path_factory.mktemp("states")
    store = Store.open(f"sqlite:///{Path(tmp) / 'syncd.db'}")
    ids = _seed(store)
    settings = Settings(
        state_dir=tmp,
        config_path=None,
        strava=StravaSettings(write_back="all"),
        garmin=GarminSettings(write_back="off"),
    )
    with serve_in_thread(create_app(store, settings)) as base:
        yield Page(ids, base)
    store.close()


def _block(page: Page, name: str, provider: str = "strava") -> str:
    with urllib.request.urlopen(f"{page.base}/activities/{page.ids[name]}", timeout=30) as reply:
        body = reply.read().decode()
    assert SECRET not in body
    section = body[
        body.index('<section class="note">') : body.index("</section>", body.index('<section class="note">'))
    ]
    if name == "file":
        return html.unescape(section)
    start = section.rindex("<div", 0, section.index(f'data-provider="{provider}"'))
    return html.unescape(section[start:])


@pytest.mark.parametrize(
    ("name", "provider", "state", "says"),
    [
        ("written", "strava", "written", f"Written to Strava on {NOW:%d %b %Y}"),
        ("pending", "strava", "pending", "A new note waits to be written to Strava (at the next sync"),
        (
            "retry",
            "strava",
            "pending",
            "Not written to Strava yet: TransientError: 502 from the API; access_token=[redacted]",
        ),
        ("gone", "strava", "failed", "Not written to Strava: 404 Not Found: the activity is gone."),
        ("athlete_off", "strava", "not_written", "Not written to Strava: your write-back is off"),
        ("config_off", "garmin", "not_written", "Not written to Garmin Connect: `[garmin] write_back` is off"),
        ("public", "strava", "not_written", 'writes only to "only me" activities, and this one is visible'),
        ("allowed_now", "strava", "pending", "the write-back allows it now, so the next sync writes it"),
        ("old", "strava", "not_written", "Not written: it started before the annotation window (the last 30 days)"),
    ],
)
def test_each_state_of_the_platform_note_is_said_on_the_page(
    page: Page, name: str, provider: str, state: str, says: str
) -> None:
    block = _block(page, name, provider)
    assert f'class="platform-note pn-{state}"' in block
    assert says in block


def test_a_pending_note_and_a_held_one_show_the_text_syncd_will_write(page: Page) -> None:
    assert "Waiting to be written:" in _block(page, "pending") and "Newer text" in _block(page, "pending")
    held = _block(page, "athlete_off")
    assert "syncd writes this when the write-back allows it:" in held and "Advice only, not a diagnosis" in held


def test_a_retry_says_when_the_next_attempt_is(page: Page) -> None:
    assert "Next attempt after" in _block(page, "retry")


def test_a_file_says_there_is_no_platform(page: Page) -> None:
    assert "imported file: there is no platform to write to" in _block(page, "file")
