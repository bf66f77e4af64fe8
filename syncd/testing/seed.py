"""Fill the simulated Strava with activities: real recordings (tests/fixtures/real) moved to recent dates, and
synthetic weeks of runs, rides and strength sessions (cross-training counts), in Strava's own payload shapes."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from syncd.domain.load import week_start
from syncd.domain.model import Activity, FloatArray, Sport, Streams
from syncd.domain.streams_math import UPHILL_COST_PER_PCT
from syncd.testing.strava_server import StravaSimulator, local_iso, utc_iso

STRAVA_SPORT = {
    Sport.RUN: "Run",
    Sport.TRAIL_RUN: "TrailRun",
    Sport.TREADMILL_RUN: "Run",
    Sport.TRACK_RUN: "Run",
    Sport.VIRTUAL_RUN: "VirtualRun",
    Sport.RIDE: "Ride",
    Sport.SWIM: "Swim",
    Sport.WALK: "Walk",
    Sport.HIKE: "Hike",
    Sport.ELLIPTICAL: "Elliptical",
    Sport.ROW: "Rowing",
    Sport.STRENGTH: "WeightTraining",
    Sport.YOGA: "Yoga",
    Sport.OTHER: "Workout",
}
LEGACY_TYPE = {"TrailRun": "Run", "VirtualRun": "VirtualRun", "MountainBikeRide": "Ride", "GravelRide": "Ride"}


def _list(values: np.ndarray[Any, Any] | None, digits: int = 1) -> list[float | None] | None:
    if values is None:
        return None
    return [None if not math.isfinite(v) else round(float(v), digits) for v in values]


def streams_payload(streams: Streams) -> dict[str, Any]:
    """A `key_by_type=true` StreamSet for these samples (series_type distance when there is one)."""
    series = "distance" if streams.distance_m is not None else "time"
    n = len(streams)

    def entry(data: list[Any]) -> dict[str, Any]:
        return {"data": data, "series_type": series, "original_size": n, "resolution": "high"}

    out: dict[str, Any] = {"time": entry([round(t) for t in streams.time_s])}
    for key, column, digits in (
        ("distance", streams.distance_m, 1),
        ("altitude", streams.altitude_m, 1),
        ("velocity_smooth", streams.speed_mps, 2),
        ("heartrate", streams.heart_rate, 0),
        ("cadence", streams.cadence, 0),
    ):
        data = _list(column, digits)
        if data is not None:
            out[key] = entry(data)
    if streams.lat is not None and streams.lon is not None:
        out["latlng"] = entry(
            [
                [round(float(a), 6), round(float(b), 6)] if math.isfinite(a) and math.isfinite(b) else None
                for a, b in zip(streams.lat, streams.lon, strict=True)
            ]
        )
    if streams.speed_mps is not None:
        out["moving"] = entry([bool(math.isfinite(v) and v > 0.5) for v in streams.speed_mps])
    return out


# The simulated athletes' zone (Europe/Berlin in winter): their local days are UTC+1 days.
LOCAL_OFFSET_S = 3600


def detail_payload(
    activity: Activity,
    *,
    start: datetime,
    gear_id: str | None = None,
    description: str = "",
    private: bool = False,
    utc_offset_s: int = LOCAL_OFFSET_S,
) -> dict[str, Any]:
    """A DetailedActivity for `activity` moved to `start` (laps moved along)."""
    sport_type = STRAVA_SPORT.get(activity.sport, "Workout")
    shift = start - activity.start_utc
    laps = [
        {
            "id": i + 1,
            "resource_state": 2,
            "name": f"Lap {i + 1}",
            "lap_index": i + 1,
            "split": i + 1,
            "elapsed_time": int(lap.elapsed_s),
            "moving_time": int(lap.moving_s or lap.elapsed_s),
            "start_date": utc_iso(activity.start_utc + shift + timedelta(seconds=lap.start_offset_s)),
            "start_date_local": local_iso(
                activity.start_utc + shift + timedelta(seconds=lap.start_offset_s), utc_offset_s
            ),
            "distance": round(lap.distance_m or 0.0, 1),
            "average_speed": round(lap.speed_mps or 0.0, 2),
        }
        for i, lap in enumerate(activity.laps)
    ]
    return {
        "resource_state": 3,
        "name": activity.name or f"{sport_type} session",
        "distance": round(activity.distance_m or 0.0, 1),
        "moving_time": int(activity.moving_s or activity.elapsed_s or 0),
        "elapsed_time": int(activity.elapsed_s or activity.moving_s or 0),
        "total_elevation_gain": round(activity.elevation_gain_m or 0.0, 1),
        "type": LEGACY_TYPE.get(sport_type, sport_type),
        "sport_type": sport_type,
        "workout_type": activity.workout_type,
        "start_date": utc_iso(start),
        "start_date_local": local_iso(start, utc_offset_s),
        "timezone": "(GMT+01:00) Europe/Berlin",
        "utc_offset": float(utc_offset_s),
        "trainer": activity.indoor,
        "manual": False,
        "private": private,
        "visibility": "only_me" if private else "everyone",
        "gear_id": gear_id,
        "average_heartrate": activity.average_heart_rate,
        "max_heartrate": activity.max_heart_rate,
        "has_heartrate": activity.average_heart_rate is not None,
        "description": description,
        "laps": laps,
        "device_name": "Simulated watch",
    }


def seed_recordings(
    sim: StravaSimulator,
    athlete_id: int,
    paths: Iterable[Path],
    *,
    end: datetime,
    spacing: timedelta = timedelta(days=1),
    gear_id: str | None = None,
) -> list[int]:
    """Add real recordings as Strava activities, the last one starting at `end` and earlier ones `spacing` apart."""
    from syncd.adapters.files import load_activities

    parsed = [item for path in paths for item in load_activities(path)]
    ids = []
    for index, item in enumerate(parsed):
        start = end - spacing * (len(parsed) - 1 - index)
        ids.append(add_to_strava(sim, athlete_id, item.activity, start=start, gear_id=gear_id))
    return ids


def add_to_strava(
    sim: StravaSimulator,
    athlete_id: int,
    activity: Activity,
    *,
    start: datetime | None = None,
    gear_id: str | None = None,
    name: str | None = None,
) -> int:
    """`activity` on the simulated Strava: its streams when it has them, `gear_id` on a run only, re-timed to
    `start` and renamed `name` when given. Every seed adds its activities so."""
    streams = streams_payload(activity.streams) if activity.streams is not None else None
    gear = gear_id if activity.sport.is_run else None
    detail = detail_payload(activity, start=start or activity.start_utc, gear_id=gear)
    return sim.add_activity(athlete_id, detail if name is None else {**detail, "name": name}, streams)


# The demo athlete's easy pace (5:45 /km) and their two weekly sessions, as (minutes, pace s/km) pieces: a real
# runner's easy days sit within a few per cent of one pace, and a session is a warm-up, the work and a cool-down.
EASY_PACE_S_PER_KM = 345.0
INTERVALS_PLAN: tuple[tuple[float, float], ...] = ((12.0, 355.0), *((3.0, 265.0), (2.0, 380.0)) * 5, (10.0, 360.0))
TEMPO_PLAN: tuple[tuple[float, float], ...] = ((12.0, 350.0), (20.0, 285.0), (10.0, 360.0))


def synthetic_run(
    start: datetime,
    *,
    minutes: float,
    pace_s_per_km: float,
    seed: int,
    samples_every_s: int = 5,
    plan: Iterable[tuple[float, float]] | None = None,
    altitude: Callable[[FloatArray], FloatArray] | None = None,
    route: tuple[float, float, float] | None = None,
) -> Activity:
    """A plausible outdoor run: an out-and-back with a little noise, HR and some hills (kept small on purpose).

    `plan` (minutes, pace s/km pieces) makes a structured session; then `minutes` and `pace_s_per_km` are unused.
    `altitude` maps distance to metres (default: gentle 15 m waves; given, the runner slows on its climbs); `route`
    is (lat, lon, heading in radians) of the out-and-back (default: from the seed), to put a run on a known street.
    """
    rng = random.Random(seed)
    pieces = list(plan) if plan is not None else [(minutes, pace_s_per_km)]
    minutes = sum(m for m, _ in pieces)
    n = int(minutes * 60 / samples_every_s) + 1
    t = np.arange(n, dtype=np.float64) * samples_every_s
    piece = np.minimum(np.searchsorted(np.cumsum([m * 60 for m, _ in pieces]), t, side="right"), len(pieces) - 1)
    base = np.array([1000.0 / p for _, p in pieces])[piece]
    jitter = np.array([rng.uniform(-0.05, 0.05) for _ in range(n)])
    speed = _slowed_on_climbs(base * (1.0 + jitter), altitude, samples_every_s)
    distance = np.concatenate([[0.0], np.cumsum(speed[1:] * samples_every_s)])
    heading = rng.uniform(0, 2 * math.pi)
    lat0, lon0, heading = route if route is not None else (52.5 + seed % 7 * 0.01, 13.4, heading)
    half = distance[-1] / 2
    along = np.where(distance <= half, distance, 2 * half - distance)
    lat = lat0 + along * math.cos(heading) / 111_000
    lon = lon0 + along * math.sin(heading) / 68_000
    altitude_m = altitude(distance) if altitude is not None else 40.0 + 15.0 * np.sin(distance / 900.0)
    hr = 120.0 + 30.0 * np.minimum(t / 600.0, 1.0) + 25.0 * (base / base.min() - 1.0)
    streams = Streams(
        time_s=t,
        distance_m=distance,
        lat=lat,
        lon=lon,
        altitude_m=altitude_m,
        speed_mps=speed,
        heart_rate=hr,
        cadence=np.full(n, 84.0),
    )
    return Activity(
        source=_strava(),
        external_id="",
        sport=Sport.RUN,
        sport_original="Run",
        start_utc=start,
        name="Synthetic run",
        distance_m=float(distance[-1]),
        elapsed_s=float(t[-1]),
        moving_s=float(t[-1]),
        elevation_gain_m=float(np.clip(np.diff(altitude_m), 0, None).sum()),
        average_heart_rate=float(hr.mean()),
        max_heart_rate=float(hr.max()),
        streams=streams,
    )


def _slowed_on_climbs(speed: FloatArray, altitude: Callable[[FloatArray], FloatArray] | None, dt: float) -> FloatArray:
    """Speeds of a runner who slows on the climbs as every runner does (streams_math.flat_speed's cost per 1 % of
    grade): a hill run at an even pace looks like GPS altitude noise to the downhill rule (issue 28). Without an
    `altitude` (the default gentle waves), the speeds as they are."""
    if altitude is None:
        return speed
    out = speed.copy()
    covered = 0.0
    for i in range(1, len(speed)):
        ahead = altitude(np.array([covered, covered + 10.0]))
        grade = float(ahead[1] - ahead[0]) / 10.0 * 100.0
        out[i] = speed[i] / (1.0 + UPHILL_COST_PER_PCT * min(max(grade, 0.0), 20.0))
        covered += float(out[i]) * dt
    return out


def synthetic_session(start: datetime, sport: Sport, minutes: float) -> Activity:
    """A non-run (ride, strength, yoga, …): summary only, as Strava lists it."""
    distance = {Sport.RIDE: minutes * 450.0, Sport.WALK: minutes * 80.0, Sport.SWIM: minutes * 40.0}.get(sport)
    return Activity(
        source=_strava(),
        external_id="",
        sport=sport,
        sport_original=STRAVA_SPORT[sport],
        start_utc=start,
        name=f"Synthetic {sport.value}",
        distance_m=distance,
        elapsed_s=minutes * 60,
        moving_s=minutes * 60,
    )


def seed_synthetic(
    sim: StravaSimulator,
    athlete_id: int,
    *,
    count: int,
    end: datetime,
    run_share: float = 0.6,
    gear_id: str | None = None,
    seed: int = 1,
    run_minutes: float = 30.0,
) -> list[int]:
    """`count` activities, one every ~18 hours back from `end`: `run_share` runs, the rest rides and strength.

    Runs are mostly easy (the athlete's easy pace, give or take a few per cent from day to day); every fifth run
    is a session, intervals and tempo in turn, as a runner training a couple of times a week would record them.
    """
    rng = random.Random(seed)
    ids = []
    runs = 0
    for index in range(count):
        start = end - timedelta(hours=18 * (count - 1 - index))
        if rng.random() < run_share:
            runs += 1
            session = (INTERVALS_PLAN, TEMPO_PLAN)[runs // 5 % 2] if runs % 5 == 0 else None
            activity = synthetic_run(
                start,
                minutes=run_minutes * rng.uniform(0.7, 1.4),
                pace_s_per_km=EASY_PACE_S_PER_KM * rng.uniform(0.96, 1.05),
                seed=seed * 100_000 + index,
                plan=session,
            )
        else:
            sport = rng.choice([Sport.RIDE, Sport.STRENGTH, Sport.YOGA])
            activity = synthetic_session(start, sport, rng.uniform(30, 75))
        ids.append(add_to_strava(sim, athlete_id, activity, gear_id=gear_id))
    return ids


# The demo's showcase (issue 28: every rule at least once): a long run along the street of the bundled OSM extract
# (syncd/resources/demo/demo.osm: Demostraße, asphalt, due east from 52.52 N 13.40 E), a hill loop with a steep
# descent, and reps started cold. The demo's weeks of training before them give the long run its 30 days.
DEMO_OSM = Path(__file__).resolve().parents[1] / "resources" / "demo" / "demo.osm"
DEMO_STREET = (52.52, 13.40, math.pi / 2)
# The demo athlete's maximum heart rate: heart-rate load (TRIMP, so monotony can be judged) and the hard zone.
DEMO_MAX_HR = 190
COLD_REPS_PLAN: tuple[tuple[float, float], ...] = (*((3.0, 265.0), (2.0, 380.0)) * 5, (10.0, 360.0))


def _hill(distance: FloatArray) -> FloatArray:
    """Up 90 m over 1.5 km, then down 90 m over 1.1 km (-8 %), then flat: one steep descent in the middle."""
    return np.interp(distance, [0.0, 1000.0, 2500.0, 3600.0, 1e9], [60.0, 60.0, 150.0, 60.0, 60.0])


# The demo athlete before the five weeks (issue 28: load_spike is a return after a break): four weeks of a lighter
# routine, two easy runs and a long run a week (about 1 h 50 min of running) with a strength session and a ride,
# then 16 days without a run. The five weeks begin with a week back far bigger than that usual week (RETURN_WEEK).
# The long run (50 min, 8-9 km) is as long as the five weeks' longest runs, so no run of theirs is a long-run spike
# against it. All of it is older than the sync's annotation window, as the week back is: the sync lists the
# summaries, which are all load and the weekly counts read, and notes the runs locally ("no streams yet" until the
# background fetch brings their streams).
BREAK_DAYS = 16  # days without a run between the earlier block and the five weeks
EARLIER_WEEKS = 4
# one week of the earlier block, as (days before the week's last day, sport, minutes, pace s/km for a run)
EARLIER_WEEK: tuple[tuple[int, Sport, float, float], ...] = (
    (5, Sport.RUN, 30.0, EASY_PACE_S_PER_KM),
    (4, Sport.STRENGTH, 30.0, 0.0),
    (3, Sport.RUN, 28.0, EASY_PACE_S_PER_KM),
    (1, Sport.RIDE, 45.0, 0.0),
    (0, Sport.RUN, 50.0, 350.0),
)


def seed_before_break(
    sim: StravaSimulator, athlete_id: int, *, back: datetime, gear_id: str | None = None, seed: int = 8
) -> list[int]:
    """The demo's earlier block (EARLIER_WEEK, EARLIER_WEEKS times), its last run BREAK_DAYS + 1 days before `back`
    (the first run back) at the same time of day: BREAK_DAYS local days without a run in between, in any zone."""
    rng = random.Random(seed)
    last = back - timedelta(days=BREAK_DAYS + 1)
    ids: list[int] = []
    for week in reversed(range(EARLIER_WEEKS)):
        for days_before, sport, minutes, pace in EARLIER_WEEK:
            start = last - timedelta(days=7 * week + days_before)
            if sport.is_run:
                activity = synthetic_run(
                    start,
                    minutes=minutes * rng.uniform(0.95, 1.05),
                    pace_s_per_km=pace * rng.uniform(0.98, 1.03),
                    seed=seed * 100_000 + len(ids),
                )
            else:
                activity = synthetic_session(start, sport, minutes * rng.uniform(0.9, 1.1))
            ids.append(add_to_strava(sim, athlete_id, activity, gear_id=gear_id))
    return ids


# The demo's five weeks (issue 28: the demo shows every rule whatever the hour and weekday it is run), laid out by
# local calendar day, each session at its own local hour: laid out every 18 hours back from the clock, the days
# moved with the hour the demo started, and the one week alike enough for monotony came and went with them.
class DemoSession(NamedTuple):
    """One planned session: sport, minutes, local start hour, pace s/km of a run, a run's (minutes, pace) plan."""

    sport: Sport
    minutes: float
    hour: float
    pace: float = EASY_PACE_S_PER_KM
    plan: tuple[tuple[float, float], ...] | None = None


# The week back (days after the first run back): far bigger than the usual week before the break (about 3.6 h of
# running in 7 days against 1 h 50 min), which load_spike flags from the third run back on, once the week back
# passes half the usual week and an hour; the first run back alone (24 min) stays clean. A ride and the runs' change
# from day to day keep it from being monotonous.
RETURN_WEEK: tuple[tuple[int, DemoSession], ...] = (
    (0, DemoSession(Sport.RUN, 24.0, 7.0)),
    (1, DemoSession(Sport.RUN, 32.0, 7.0)),
    (2, DemoSession(Sport.RUN, 34.0, 7.0)),
    (3, DemoSession(Sport.RIDE, 45.0, 17.5)),
    (4, DemoSession(Sport.RUN, 42.0, 7.0)),
    (5, DemoSession(Sport.RUN, 38.0, 8.0)),
    (6, DemoSession(Sport.RUN, 48.0, 9.5, pace=350.0)),
)
# The weeks after it, by weekday (Monday first): strength, a ride, a session (intervals and tempo in turn), an easy
# run, yoga, an easy run and a longer one; about 2.8 h of running on four days of varied load (monotony ~1.1),
# one of the two low-impact sessions and one of the three strength sessions a week the rules ask for.
USUAL_WEEK: tuple[DemoSession, ...] = (
    DemoSession(Sport.STRENGTH, 35.0, 18.5),
    DemoSession(Sport.RIDE, 50.0, 17.5),
    DemoSession(Sport.RUN, 0.0, 7.0, plan=INTERVALS_PLAN),
    DemoSession(Sport.RUN, 35.0, 7.0),
    DemoSession(Sport.YOGA, 40.0, 19.0),
    DemoSession(Sport.RUN, 38.0, 8.0),
    DemoSession(Sport.RUN, 48.0, 9.5, pace=350.0),
)
# One calendar week of the same run day after day, a week a coach would call monotonous: six 55-minute easy runs
# (within a few per cent of each other, over 450 TRIMP in all), Sunday off, no ride, no strength: Foster's monotony
# about 2.4 (six equal days and one rest; seven equal days would read the 10.0 cap, a figure no runner meets).
# Monotony flags it once, on the first run whose 7 days cross the threshold; the Monday strength and Tuesday ride
# after it keep the next week's 7 days under the load monotony needs, so the next week brings no second line.
MONOTONOUS_DAY = DemoSession(Sport.RUN, 55.0, 7.0)
# The monotonous week is the calendar week holding the day this many days before the five weeks' last day: it ends
# 8 to 14 days before that day, after the week back and at least one usual week, and before at least one more.
MONOTONOUS_WEEK_BEFORE_LAST = 14
SUNDAY = 6


def local_day(instant: datetime) -> date:
    """The simulated athletes' local calendar day (LOCAL_OFFSET_S) of an instant."""
    return (instant.astimezone(UTC) + timedelta(seconds=LOCAL_OFFSET_S)).date()


def local_start(day: date, hour: float) -> datetime:
    """The instant (UTC) of `hour` o'clock on the simulated athletes' local `day`."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(seconds=LOCAL_OFFSET_S)
    return midnight + timedelta(hours=hour)


def five_weeks_plan(back: date, last: date) -> list[tuple[date, DemoSession]]:
    """The demo's sessions from `back` (the first run back) to `last`, local days in order: RETURN_WEEK, then
    USUAL_WEEK by weekday, the calendar week MONOTONOUS_WEEK_BEFORE_LAST days before `last` one run a day
    (MONOTONOUS_DAY, Sunday off). Sessions (intervals and tempo) take turns."""
    monday = week_start(last - timedelta(days=MONOTONOUS_WEEK_BEFORE_LAST))
    plan = [(back + timedelta(days=offset), session) for offset, session in RETURN_WEEK]
    day = back + timedelta(days=len(RETURN_WEEK))
    sessions = 0
    while day <= last:
        monotonous = monday <= day < monday + timedelta(days=7)
        if monotonous and day.weekday() == SUNDAY:
            day += timedelta(days=1)
            continue
        session = MONOTONOUS_DAY if monotonous else USUAL_WEEK[day.weekday()]
        if session.plan is not None:
            session = session._replace(plan=(INTERVALS_PLAN, TEMPO_PLAN)[sessions % 2])
            sessions += 1
        plan.append((day, session))
        day += timedelta(days=1)
    return plan


def seed_five_weeks(
    sim: StravaSimulator, athlete_id: int, *, back: date, last: date, gear_id: str | None = None, seed: int = 7
) -> list[int]:
    """The demo's five weeks (`five_weeks_plan`) as Strava activities in start order: a run a few per cent off its
    plan from day to day (minutes and pace; the monotonous week's within a few per cent of each other), a structured
    session as planned, the rest summaries only."""
    rng = random.Random(seed)
    ids: list[int] = []
    for day, session in five_weeks_plan(back, last):
        start = local_start(day, session.hour)
        if session.sport.is_run:
            spread = 0.03 if session is MONOTONOUS_DAY else 0.08
            activity = synthetic_run(
                start,
                minutes=session.minutes * rng.uniform(1 - spread, 1 + spread),
                pace_s_per_km=session.pace * rng.uniform(0.98, 1.03),
                seed=seed * 100_000 + len(ids),
                plan=session.plan,
            )
        else:
            activity = synthetic_session(start, session.sport, session.minutes * rng.uniform(0.9, 1.1))
        ids.append(add_to_strava(sim, athlete_id, activity, gear_id=gear_id))
    return ids


def seed_demo(sim: StravaSimulator, athlete_id: int, *, end: datetime, gear_id: str | None = None) -> list[int]:
    """The demo athlete's five weeks (seed_five_weeks: the week back, usual weeks of easy runs, sessions, rides and
    strength, one monotonous week), ending three local days before `end`, then a hill loop with a steep descent,
    reps without a warm-up and a long run far beyond the month's longest on an asphalt street of the bundled map:
    downhill, no warm-up, long-run spike and hard surface each show at least once. Before the five weeks, a lighter
    block and a break (seed_before_break), so their first week is a return that comes back too big: load_spike
    shows too. Returns the ids in start order (the earlier block is added last, so the five weeks' first run back
    is the simulator's first id)."""
    today = local_day(end)
    last = today - timedelta(days=3)
    back = last - timedelta(days=34)  # five weeks of local days, `back` to `last`
    ids = seed_five_weeks(sim, athlete_id, back=back, last=last, gear_id=gear_id)
    hill = synthetic_run(end - timedelta(days=2), minutes=30, pace_s_per_km=345, seed=11, altitude=_hill)
    cold = synthetic_run(end - timedelta(days=1), minutes=0, pace_s_per_km=0, seed=12, plan=COLD_REPS_PLAN)
    long_run = synthetic_run(end, minutes=95, pace_s_per_km=350, seed=13, route=DEMO_STREET)
    showcase = (("Hill loop", hill), ("Reps, straight in", cold), ("Long run", long_run))
    ids += [add_to_strava(sim, athlete_id, activity, gear_id=gear_id, name=name) for name, activity in showcase]
    first_back = local_start(back, RETURN_WEEK[0][1].hour)
    earlier = seed_before_break(sim, athlete_id, back=first_back, gear_id=gear_id)
    return earlier + ids


def _strava() -> Any:
    from syncd.domain.model import Source

    return Source.STRAVA


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
