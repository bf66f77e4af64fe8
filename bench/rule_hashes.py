"""Hashes of every rule's output and of the shared derivations, over the corpus and synthetic runs (issue 28).

A speed-up of the rules must not change a single bit of what they say. This prints one line per hashed output
(case, item, digest) and a last line with their count and a digest of them all, so two trees compare with `diff`:

    PYTHONPATH=$PWD .venv/bin/python -m bench.rule_hashes > /tmp/after.txt
    (cd /path/to/base && PYTHONPATH=$PWD .venv/bin/python -m bench.rule_hashes) > /tmp/before.txt

Cases: every activity of every real recording (tests/fixtures/real and its corpus) judged alone, the corpus' runs
inside their runner's history (HISTORY.tsv groups), and synthetic one-hour runs with six weeks of history, plain
and with the artefacts the cleaning exists for (NaN gaps, pauses, altitude spikes and zeros, a constant altitude,
4 s sampling); each under three heart-rate settings (none, a maximum, a maximum and resting rate, a threshold).
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from bench.corpus_loso import group_history, history_rows
from bench.corpus_score import NOW, REAL, parsed
from bench.synthetic import history_for, one_hour_run
from syncd.domain.history import HistoryEntry, history_before
from syncd.domain.model import Activity
from syncd.domain.rules import RULE_MODULES, RuleContext, evaluate
from syncd.domain.rules.data_gaps import data_gaps
from syncd.domain.rules.downhill import steep_stretches, unconfirmed
from syncd.domain.streams_math import find_efforts, running_speed
from syncd.domain.thresholds import Thresholds

HEART = (
    ("none", {}),
    ("max", {"max_heart_rate": 190.0}),
    ("hrr", {"max_heart_rate": 195.0, "resting_heart_rate": 50.0}),
    ("lthr", {"threshold_heart_rate": 172.0}),
)


def _digest(value: Any) -> str:
    """A digest of a value to the bit: arrays by dtype, shape and bytes; everything else by repr (floats exact)."""
    h = hashlib.sha256()
    _feed(h, value)
    return h.hexdigest()[:16]


def _feed(h: Any, value: Any) -> None:
    if isinstance(value, np.ndarray):
        h.update(f"{value.dtype}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, (list, tuple)):
        h.update(b"[")
        for item in value:
            _feed(h, item)
        h.update(b"]")
    else:
        h.update(repr(value).encode())


def _derivations(ctx: RuleContext) -> Iterator[tuple[str, Any]]:
    """The shared derivations every stream rule reads, each to the bit."""
    yield "distance", ctx.distance()
    trace = ctx.speed_trace()
    if trace is not None:
        yield "trace", (trace.time_s, trace.distance_m, trace.speed_mps, trace.moving, trace.moving_time_s)
        yield "running_speed", running_speed(trace)
        for fast in (2.5, 3.5, 4.5):
            yield f"efforts{fast}", repr(find_efforts(trace, fast))
    profile = ctx.altitude_profile()
    if profile is not None:
        arrays = (profile.distance_m, profile.altitude_m, profile.time_s)
        yield "profile", (*arrays, profile.rejected_share, profile.noise_m)
        yield "descent", (profile.total_descent_m(), profile.total_descent_m(3.0), profile.total_descent_m(10.0))
        yield "steep", steep_stretches(profile, ctx.thresholds)
    yield "easy_speed", ctx.easy_speed()
    yield "summary", repr(ctx.summary())


def _outputs(ctx: RuleContext) -> Iterator[tuple[str, Any]]:
    """Every rule's flag (evidence included) on a fresh context, then the engine's whole annotation on another."""
    for module in RULE_MODULES:
        yield module.__name__.rsplit(".", 1)[-1], repr(module.evaluate(ctx))
    yield "data_gaps", repr(data_gaps(ctx, set()))
    yield "downhill_unconfirmed", unconfirmed(ctx)
    yield from _derivations(ctx)


def _contexts(
    activity: Activity, history: tuple[HistoryEntry, ...] | list[HistoryEntry]
) -> Iterator[tuple[str, Callable[[], RuleContext]]]:
    for name, heart in HEART:
        yield (
            name,
            lambda heart=heart: RuleContext(
                activity=activity, history=history, thresholds=Thresholds(), now=NOW, **heart
            ),
        )


def _artefacts(activity: Activity, seed: int) -> Iterator[tuple[str, Activity]]:
    """The synthetic run plain and with the artefacts real recordings have."""
    yield "plain", activity
    streams = activity.streams
    assert streams is not None and streams.altitude_m is not None
    rng = np.random.default_rng(1000 + seed)
    n = len(streams.time_s)
    gaps = streams.distance_m.copy() if streams.distance_m is not None else None
    alt = streams.altitude_m.copy()
    if gaps is not None:
        gaps[rng.integers(0, n, 40)] = np.nan
    alt[rng.integers(0, n, 30)] += rng.normal(0, 80, 30)
    alt[rng.integers(0, n, 10)] = 0.0
    alt[rng.integers(0, n, 10)] = np.nan
    yield "dirty", replace(activity, streams=replace(streams, distance_m=gaps, altitude_m=alt))
    paused_time = streams.time_s.copy()
    paused_time[n // 2 :] += 600.0
    yield "paused", replace(activity, streams=replace(streams, time_s=paused_time))
    yield "flat_alt", replace(activity, streams=replace(streams, altitude_m=np.full(n, 120.0)))
    noisy = streams.altitude_m + rng.normal(0, 15, n)
    yield "noisy_alt", replace(activity, streams=replace(streams, altitude_m=noisy))
    every4 = np.arange(0, n, 4)
    yield (
        "4s",
        replace(
            activity,
            streams=replace(
                streams,
                **{
                    f: getattr(streams, f)[every4]
                    for f in ("time_s", "distance_m", "lat", "lon", "altitude_m", "speed_mps", "heart_rate", "cadence")
                    if getattr(streams, f) is not None
                },
            ),
        ),
    )
    yield "no_distance", replace(activity, streams=replace(streams, distance_m=None))
    yield "hr_0_255", replace(activity, streams=replace(streams, heart_rate=np.where(np.arange(n) % 2, 0.0, 255.0)))
    if streams.heart_rate is not None:
        late = streams.heart_rate.copy()
        late[: n - 5] = 0.0
        yield "hr_late", replace(activity, streams=replace(streams, heart_rate=late))


def cases(synthetic: int) -> Iterator[tuple[str, Callable[[], RuleContext]]]:
    files = sorted(
        str(p.relative_to(REAL))
        for p in REAL.rglob("*")
        if p.is_file() and not p.name.endswith((".tsv", ".md", ".txt", ".py", ".json"))
    )
    for file in files:
        try:
            activities = parsed(file)
        except Exception as exc:  # an unreadable fixture is a case of its own: its error must not change either
            yield f"{file}:error", lambda exc=exc: repr(exc)  # type: ignore[misc]
            continue
        for i, activity in enumerate(activities):
            for name, make in _contexts(activity, ()):
                yield f"{file}#{i}:{name}", make
    for group in sorted({row["group"] for row in history_rows()}):
        history = group_history(group)
        for row in (r for r in history_rows() if r["group"] == group):
            for i, activity in enumerate(parsed(row["file"])):
                before = history_before(history, activity.start_utc, key=activity.key)
                for name, make in _contexts(activity, before):
                    yield f"{group}/{row['file']}#{i}/{row['label']}:{name}", make
    for seed in range(synthetic):
        activity = one_hour_run(seed)
        history = history_for(activity)[:-1]
        for kind, variant in _artefacts(activity, seed):
            for name, make in _contexts(variant, history):
                yield f"synthetic{seed}/{kind}:{name}", make


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", type=int, default=40, help="synthetic seeds (each in 9 variants)")
    args = parser.parse_args()
    total = hashlib.sha256()
    count = 0
    for case, make in cases(args.synthetic):
        made = make()
        if not isinstance(made, RuleContext):
            items: list[tuple[str, Any]] = [("error", made)]
        else:
            items = list(_outputs(made))
            items.append(("annotation", repr(evaluate(make()))))
        for item, value in items:
            digest = _digest(value)
            total.update(f"{case} {item} {digest}\n".encode())
            print(case, item, digest)
            count += 1
    print(f"TOTAL {count} outputs {total.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
