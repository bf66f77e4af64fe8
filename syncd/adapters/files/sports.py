"""Map each platform's sport vocabulary onto `Sport`, so rules only ever see one vocabulary.

Values are compared "squashed" (lower case, letters and digits only), so "Trail Run", "TrailRun" and
"trail_running" meet. Anything not recognised becomes `Sport.OTHER`: a wrong guess that an activity was a run
would put false flags on it, while OTHER merely leaves it unevaluated.
"""

from __future__ import annotations

import re

from syncd.domain.model import Sport

_SQUASH = re.compile(r"[^a-z0-9]")

# Names used by Strava (type / sport_type, API and bulk-export spelling), Garmin Connect (typeKey),
# TCX (Sport attribute) and GPX <type> text, squashed.
_NAMES: dict[str, Sport] = {
    # running
    "run": Sport.RUN,
    "running": Sport.RUN,
    "streetrunning": Sport.RUN,
    "jog": Sport.RUN,
    "jogging": Sport.RUN,
    "trailrun": Sport.TRAIL_RUN,
    "trailrunning": Sport.TRAIL_RUN,
    "treadmill": Sport.TREADMILL_RUN,
    "treadmillrun": Sport.TREADMILL_RUN,
    "treadmillrunning": Sport.TREADMILL_RUN,
    "indoorrun": Sport.TREADMILL_RUN,
    "indoorrunning": Sport.TREADMILL_RUN,
    "trackrun": Sport.TRACK_RUN,
    "trackrunning": Sport.TRACK_RUN,
    "virtualrun": Sport.VIRTUAL_RUN,
    "virtualrunning": Sport.VIRTUAL_RUN,
    "ultrarun": Sport.RUN,  # Garmin ultra_run
    "ultrarunning": Sport.RUN,
    "obstaclerun": Sport.TRAIL_RUN,  # Garmin obstacle_run: obstacle races are run off-road
    "obstaclerunning": Sport.TRAIL_RUN,
    # riding
    "ride": Sport.RIDE,
    "biking": Sport.RIDE,
    "bike": Sport.RIDE,
    "cycling": Sport.RIDE,
    "roadbiking": Sport.RIDE,
    "roadcycling": Sport.RIDE,
    "mountainbiking": Sport.RIDE,
    "mountainbikeride": Sport.RIDE,
    "gravelride": Sport.RIDE,
    "gravelcycling": Sport.RIDE,
    "ebikeride": Sport.RIDE,
    "emountainbikeride": Sport.RIDE,
    "virtualride": Sport.RIDE,
    "indoorcycling": Sport.RIDE,
    "velomobile": Sport.RIDE,
    "handcycle": Sport.RIDE,
    # low impact
    "swim": Sport.SWIM,
    "swimming": Sport.SWIM,
    "lapswimming": Sport.SWIM,
    "openwaterswimming": Sport.SWIM,
    "walk": Sport.WALK,
    "walking": Sport.WALK,
    "casualwalking": Sport.WALK,
    "speedwalking": Sport.WALK,
    "indoorwalking": Sport.WALK,
    "hike": Sport.HIKE,
    "hiking": Sport.HIKE,
    "elliptical": Sport.ELLIPTICAL,
    "ellipticaltrainer": Sport.ELLIPTICAL,
    "stairstepper": Sport.ELLIPTICAL,  # Strava StairStepper: machine cardio without landing impact
    "stairclimbing": Sport.ELLIPTICAL,  # Garmin stair_climbing (indoor machine)
    "indoorclimbingstairs": Sport.ELLIPTICAL,
    "aquajogging": Sport.SWIM,
    "waterrunning": Sport.SWIM,
    "rowing": Sport.ROW,
    "row": Sport.ROW,
    "indoorrowing": Sport.ROW,
    "virtualrow": Sport.ROW,
    # strength and core
    "weighttraining": Sport.STRENGTH,
    "strengthtraining": Sport.STRENGTH,
    "strength": Sport.STRENGTH,
    "crossfit": Sport.STRENGTH,
    "pilates": Sport.STRENGTH,
    "yoga": Sport.YOGA,
    "flexibility": Sport.YOGA,
    "flexibilitytraining": Sport.YOGA,  # FIT training/flexibility_training
    "stretching": Sport.YOGA,
    "mobility": Sport.YOGA,
    "breathwork": Sport.OTHER,
    "workout": Sport.WORKOUT,  # Strava Workout
    "hiit": Sport.WORKOUT,  # Strava HIIT, Garmin hiit
    "indoorcardio": Sport.WORKOUT,  # Garmin indoor_cardio
    "cardio": Sport.WORKOUT,
    "cardiotraining": Sport.WORKOUT,  # FIT training/cardio_training
    "fitnessequipment": Sport.WORKOUT,
    "bootcamp": Sport.WORKOUT,
    "circuittraining": Sport.WORKOUT,
}

# Strava's GPX export writes a number in <type>. Only the codes seen in real exports are mapped
# (9 = Run in Morning_Run_with_H10.gpx); unknown numbers stay OTHER rather than guessing.
_STRAVA_GPX_CODES: dict[str, Sport] = {"1": Sport.RIDE, "4": Sport.HIKE, "9": Sport.RUN, "10": Sport.WALK}

# FIT profile: sub_sport refines sport; these are the values that change what the activity is.
_FIT_RUN_SUB: dict[str, Sport] = {
    "treadmill": Sport.TREADMILL_RUN,
    "indoorrunning": Sport.TREADMILL_RUN,
    "trail": Sport.TRAIL_RUN,
    "track": Sport.TRACK_RUN,
    "virtualactivity": Sport.VIRTUAL_RUN,
}
_FIT_EQUIPMENT_SUB: dict[str, Sport] = {
    "elliptical": Sport.ELLIPTICAL,
    "indoorrowing": Sport.ROW,
    "treadmill": Sport.TREADMILL_RUN,
    "strengthtraining": Sport.STRENGTH,
    "yoga": Sport.YOGA,
    "pilates": Sport.STRENGTH,
    "flexibilitytraining": Sport.YOGA,
    "cardiotraining": Sport.WORKOUT,
    "hiit": Sport.WORKOUT,
    "stairclimbing": Sport.ELLIPTICAL,
    "indoorwalking": Sport.WALK,
    "indoorcycling": Sport.RIDE,
    "spin": Sport.RIDE,
}
_FIT_SPORTS: dict[str, Sport] = {
    "running": Sport.RUN,
    "cycling": Sport.RIDE,
    "ebiking": Sport.RIDE,
    "swimming": Sport.SWIM,
    "walking": Sport.WALK,
    "hiking": Sport.HIKE,
    "rowing": Sport.ROW,
    "hiit": Sport.WORKOUT,
}

# Sub-sports (FIT) and names (platforms) that mean "not outdoors": no surface, no GPS terrain.
INDOOR_SUB_SPORTS: frozenset[str] = frozenset(
    {
        "treadmill",
        "indoorrunning",
        "indoorcycling",
        "indoorrowing",
        "indoorwalking",
        "virtualactivity",
        "spin",
        "elliptical",
        "indoorskiing",
    }
)


def squash(value: str) -> str:
    """Lower-case letters and digits only, so spelling variants of one name compare equal."""
    return _SQUASH.sub("", value.lower())


def normalise_sport(platform: str, value: str, sub_value: str | None = None) -> Sport:
    """The `Sport` for a platform's (sport, sub-sport) pair; unknown values give `Sport.OTHER`.

    `platform` is "fit" (FIT sport/sub_sport enum names), or "strava", "garmin", "tcx", "gpx" (free names).
    """
    kind = squash(platform)
    main = squash(value)
    sub = squash(sub_value or "")
    if kind == "fit":
        return _fit_sport(main, sub)
    if kind in {"strava", "gpx"} and main in _STRAVA_GPX_CODES:
        return _STRAVA_GPX_CODES[main]
    if main in _NAMES:
        return _NAMES[main]
    if sub in _NAMES:
        return _NAMES[sub]
    return Sport.OTHER


def is_indoor_sub_sport(sub_value: str | None) -> bool:
    """Whether a sub-sport (or platform name) says the activity was indoors."""
    return squash(sub_value or "") in INDOOR_SUB_SPORTS


def _fit_sport(main: str, sub: str) -> Sport:
    if main == "running":
        return _FIT_RUN_SUB.get(sub, Sport.RUN)
    if main in {"fitnessequipment", "training"}:
        # FIT "training" is a gym session whatever its sub-sport; "fitness_equipment" may be any machine
        return _FIT_EQUIPMENT_SUB.get(sub, Sport.WORKOUT if main == "training" else Sport.OTHER)
    if main == "cycling":
        return Sport.RIDE
    return _FIT_SPORTS.get(main, Sport.OTHER)
