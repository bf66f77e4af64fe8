"""Terminal and JSON presentation of annotated activities (the `import` and `annotate` commands)."""

from __future__ import annotations

from typing import Any, Literal

from syncd.domain.sport_inference import is_inferred
from syncd.domain.units import format_distance, format_duration
from syncd.entrypoints.tables import printable
from syncd.services.annotating import AnnotatedActivity


def activity_line(annotated: AnnotatedActivity, *, units: Literal["metric", "imperial"] = "metric") -> str:
    activity = annotated.activity
    when = activity.start_local.strftime("%Y-%m-%d %H:%M")
    distance = format_distance(activity.distance_m, units) if activity.distance_m else "-"
    duration = format_duration(activity.duration_s) if activity.duration_s else "-"
    flags = " ".join(f"{f.code.value}({f.severity.value})" for f in annotated.annotation.flags)
    if not activity.sport.is_run:
        flags = flags or "not a run"
    name = printable(activity.name[:30])
    sport = f"{activity.sport.value}?" if is_inferred(activity) else activity.sport.value
    return f"{when}  {sport:<13} {distance:>9} {duration:>10}  {name:<30}  {flags or 'no flags'}"


def annotated_text(annotated: AnnotatedActivity, *, units: Literal["metric", "imperial"] = "metric") -> str:
    """The activity line, then its note indented below it (what `import` and `annotate` print)."""
    text = activity_line(annotated, units=units)
    inference = annotated.activity.extra.get("sport_inference")
    if isinstance(inference, str):
        shown = "sport guessed" if is_inferred(annotated.activity) else "sport unknown"
        text += f"\n    ({shown}: {inference}; --sport S to set it)"
    if annotated.note:
        text += "\n    " + annotated.note.replace("\n", "\n    ")
    return text


def annotation_json(path: str, annotated: AnnotatedActivity) -> dict[str, Any]:
    """One entry of `syncd annotate --json` (shape fixed in DESIGN.md)."""
    activity = annotated.activity
    return {
        "path": path,
        "sport": activity.sport.value,
        "sport_inferred": is_inferred(activity),
        "start": activity.start_utc.isoformat().replace("+00:00", "Z"),
        "distance_m": activity.distance_m,
        "duration_s": activity.duration_s,
        "flags": [flag.to_json() for flag in annotated.annotation.flags],
        "note": annotated.note,
    }
