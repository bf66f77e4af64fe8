"""Each rule's typed evidence reads back exactly what the rule wrote, and reads no key the rule never writes.

The flags come from the rules themselves: the demo athlete synced from the simulated Strava (every rule, with the
bundled OSM extract; load_spike on the return after its break), each real recording annotated alone, and the findings
the demo does not hold (a long run judged by time on a treadmill; a warm-up judged by heart rate). A reader once read
`hard_m`, a key no rule wrote, and the digest showed "Hard surfaces 0 m" under a hard-surface flag: here such a key
fails.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import Store
from syncd.adapters.osm import ExtractSurfaceMap
from syncd.domain.flags import EvidenceValue, Flag, FlagCode
from syncd.domain.history import HistoryEntry
from syncd.domain.model import Activity, Source, Sport
from syncd.domain.notes import render_flag
from syncd.domain.rules import RuleContext, long_run_spike, no_warmup
from syncd.domain.rules.registry import READERS, read_evidence
from syncd.domain.thresholds import Thresholds
from syncd.services.annotate_files import annotate_paths
from syncd.services.annotating import AnnotationPolicy
from syncd.testing import strava_harness as harness
from syncd.testing.seed import DEMO_MAX_HR, DEMO_OSM, seed_demo
from syncd.testing.strava_server import StravaSimulator
from tests.golden import NOW, REAL
from tests.unit.test_streams_math import easy_history, run_activity, synthetic_streams


class _Clock:
    def __init__(self) -> None:
        self.current = NOW

    def now(self) -> datetime:
        return self.current


def _demo_flags(workdir: Path) -> Iterator[Flag]:
    clock = _Clock()
    box = SecretBox(SecretBox.generate_key())
    with (
        Store.open(f"sqlite:///{workdir / 'demo.db'}", secret_box=box, clock=clock) as store,
        StravaSimulator(clock=clock.now) as sim,
    ):
        athlete = sim.add_athlete(firstname="Demo", lastname="Runner")
        seed_demo(sim, athlete.id, end=NOW - timedelta(hours=3), gear_id="g1001")
        sim.add_gear(athlete.id, "g1001", "Trail Shoes", 640_000.0)
        harness.link(store, sim, athlete.id, clock=clock)
        policy = AnnotationPolicy(
            surface_map=ExtractSurfaceMap(DEMO_OSM, workdir / "surface"), max_heart_rate=DEMO_MAX_HR
        )
        harness.service(store, sim, clock=clock, policy=policy).run_once("round-trip")
        for stored in store.iter_activities():
            latest = store.latest_annotation(stored.id)
            yield from latest.flags if latest is not None else ()


def _file_flags() -> Iterator[Flag]:
    paths = sorted(p for p in REAL.iterdir() if p.suffix in {".fit", ".gpx", ".tcx"})
    for path in paths:
        results, _ = annotate_paths([path], AnnotationPolicy(), now=NOW)
        for result in results:
            yield from result.annotated.annotation.flags


def _synthetic_flags() -> Iterator[Flag]:
    """The findings the demo does not hold."""
    today = datetime(2026, 11, 20, 7, tzinfo=UTC)

    def entry(days_ago: float, minutes: float, km: float | None = None) -> HistoryEntry:
        start = today - timedelta(days=days_ago)
        return HistoryEntry(
            ("file", f"h{days_ago}"), Sport.RUN, start, 0, minutes * 60, None if km is None else km * 1000
        )

    def run(minutes: float, sport: Sport = Sport.RUN) -> Activity:
        return Activity(Source.FILE, "today", sport, sport.value, today, moving_s=minutes * 60)

    # a 105-minute treadmill run without distance, the longest of the month 70 minutes
    month = [entry(d, 40.0 + d % 3, 6.0) for d in range(2, 36, 2)] + [entry(12.5, 70.0, 10.0)]
    treadmill = run(105.0, Sport.TREADMILL_RUN)
    yield from _flags(long_run_spike.evaluate(RuleContext(activity=treadmill, history=month, thresholds=Thresholds())))
    yield from _warmup_by_heart_rate()


def _warmup_by_heart_rate() -> Iterator[Flag]:
    """no_warmup's heart-rate findings: an easy-looking pace at the reps' heart rate, and a hill race hard from
    the second minute (tests/unit/test_rule_no_warmup.py has the stories)."""
    reps = [(720.0, 2.6), *[(60.0, 4.0), (90.0, 1.5)] * 6, (600.0, 2.7)]
    streams = synthetic_streams(reps, heart_rate=lambda t: np.interp(t, [0, 60, 720], [150, 178, 182]))
    yield from _flags(no_warmup.evaluate(RuleContext(run_activity(streams), history=[], thresholds=Thresholds())))
    climb = synthetic_streams(
        [(3000.0, 2.2)],
        altitude=lambda d: 200.0 + 0.12 * d,
        heart_rate=lambda t: np.where(t < 120.0, 120.0 + 56.0 * t / 120.0, 176.0),
    )
    usual = [replace(e, average_heart_rate=150.0) for e in easy_history(2.8)]
    yield from _flags(no_warmup.evaluate(RuleContext(run_activity(climb), history=usual, max_heart_rate=190.0)))


def _flags(flag: Flag | None) -> Iterator[Flag]:
    assert flag is not None, "the synthetic input no longer raises its flag"
    yield flag


@pytest.fixture(scope="module")
def flags() -> list[Flag]:
    with tempfile.TemporaryDirectory() as tmp:
        found = [*_demo_flags(Path(tmp)), *_file_flags(), *_synthetic_flags()]
    assert {flag.code for flag in found} == set(FlagCode), "every rule must be covered"
    return found


class _Recording(Mapping[str, EvidenceValue]):
    """An evidence mapping that remembers every key asked for, present or not."""

    def __init__(self, evidence: Mapping[str, EvidenceValue], seen: set[str]) -> None:
        self._evidence, self._seen = evidence, seen

    def __getitem__(self, key: str) -> EvidenceValue:
        self._seen.add(key)
        return self._evidence[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._evidence)

    def __len__(self) -> int:
        return len(self._evidence)


def test_every_rule_reads_back_exactly_what_it_wrote(flags: list[Flag]) -> None:
    for flag in flags:
        evidence = read_evidence(flag)
        assert evidence is not None, flag.code
        written = evidence.to_evidence()
        assert written == dict(flag.evidence) and list(written) == list(flag.evidence), flag.code
        again = Flag(flag.code, flag.severity, flag.confidence, evidence=written, advice=flag.advice)
        assert read_evidence(again) == evidence, flag.code
        assert render_flag(again) == render_flag(flag)


def test_no_reader_reads_a_key_its_rule_never_writes(flags: list[Flag]) -> None:
    """Every key a rule's evidence reader asks for is written by that rule on some real flag, or is a declared
    legacy key (read from older stored flags, never written now)."""
    written: dict[FlagCode, set[str]] = {}
    read: dict[FlagCode, set[str]] = {}
    for flag in flags:
        written.setdefault(flag.code, set()).update(flag.evidence)
        seen = read.setdefault(flag.code, set())
        READERS[flag.code](Flag(flag.code, flag.severity, flag.confidence, evidence=_Recording(flag.evidence, seen)))
    for code, keys in read.items():
        evidence = read_evidence(next(f for f in flags if f.code is code))
        legacy: frozenset[str] = getattr(type(evidence), "LEGACY_KEYS", frozenset())
        assert keys - written[code] <= legacy, (code, sorted(keys - written[code] - legacy))
        assert written[code] <= keys, (code, sorted(written[code] - keys))
        assert not legacy & written[code], (code, "a legacy key is written again: it is no longer legacy")
