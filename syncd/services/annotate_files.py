"""Use case behind `syncd annotate`: annotate local files without storing anything.

When several files are given they are each other's history, in date order, so a week of files gets its weekly
counts and load flags exactly as the daemon would compute them from the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from syncd.adapters.files import FileImportError, ParsedActivity, iter_paths
from syncd.domain.history import summarize
from syncd.domain.model import Sport
from syncd.domain.sport_inference import with_given_sport
from syncd.services.annotating import AnnotatedActivity, AnnotationPolicy, annotate_one


@dataclass(frozen=True)
class FileAnnotation:
    source_name: str
    annotated: AnnotatedActivity


def annotate_paths(
    paths: Sequence[Path],
    policy: AnnotationPolicy,
    *,
    now: datetime | None = None,
    sport: Sport | None = None,
    max_activities: int | None = None,
) -> tuple[list[FileAnnotation], list[str]]:
    """Annotations in date order, and one error line per file that could not be read.

    `sport` (from `--sport`) replaces whatever the files said or their movement suggested.
    """
    parsed: list[ParsedActivity] = []
    failures: list[str] = []
    for item in iter_paths(paths):
        try:
            parsed.extend(item.parse(max_activities=max_activities))
        except FileImportError as exc:
            failures.append(str(exc))
    if sport is not None:
        parsed = [replace(p, activity=with_given_sport(p.activity, sport)) for p in parsed]
    parsed.sort(key=lambda p: p.activity.start_utc)
    history = [summarize(p.activity) for p in parsed]
    results = [FileAnnotation(p.source_name, annotate_one(p.activity, history, policy, now=now)) for p in parsed]
    return results, failures
