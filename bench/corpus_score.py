"""Score the rules against the hand-labelled real recordings (tests/fixtures/real/LABELS.tsv).

Each file is annotated alone, as `syncd annotate FILE` would (no history, no gear, no map), so a label says what
a careful coach would conclude from that one recording. Prints per-run flags, each missed label, precision and
recall over the present/absent flag labels, the easy runs' mean flags and share of clean runs. Runs judged within a
runner's history (HISTORY.tsv) and the leave-one-source-out score with tuned thresholds: bench.corpus_loso.

Usage: python -m bench.corpus_score [--quiet]
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from syncd.adapters.files import load_activities
from syncd.domain.flags import FlagCode
from syncd.domain.model import Activity
from syncd.services.annotating import AnnotationPolicy, annotate_one

REAL = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "real"
LABELS = REAL / "LABELS.tsv"
ALL_CODES = tuple(code.value for code in FlagCode)
# A fixed "now" so weekly findings never depend on the day the bench runs (the recordings are years old).
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Label:
    file: str
    label: str  # a flag code, or "sport"
    expect: str  # "present" / "absent" for flags; "run" / "not_run" for sport; "unlabelled" is left open
    reason: str

    @property
    def id(self) -> str:
        return f"{self.file}:{self.label}"


@dataclass(frozen=True)
class Outcome:
    """What syncd made of one file: its run's sport verdict and flag codes."""

    file: str
    sport: str
    is_run: bool
    flags: frozenset[str]


def load_labels(path: Path = LABELS) -> list[Label]:
    """The labels with '*' expanded to every flag code the file has no explicit label for."""
    with path.open(newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    raw = [Label(r["file"], r["label"], r["expect"], r["reason"]) for r in csv.DictReader(lines, delimiter="\t")]
    explicit = {(lab.file, lab.label) for lab in raw}
    labels: list[Label] = []
    for lab in raw:
        if lab.expect == "unlabelled":
            continue
        if lab.label != "*":
            labels.append(lab)
            continue
        labels.extend(
            Label(lab.file, code, lab.expect, lab.reason) for code in ALL_CODES if (lab.file, code) not in explicit
        )
    return labels


def subject(activities: Iterable[Activity]) -> list[Activity]:
    """The activities a file's labels talk about: its runs, or every activity when it holds no run."""
    acts = list(activities)
    runs = [a for a in acts if a.sport.is_run]
    return runs or acts


@cache
def parsed(file: str) -> tuple[Activity, ...]:
    """The file's activities, parsed once per process (bench.corpus_loso and the tests share them)."""
    return tuple(p.activity for p in load_activities(REAL / file))


@cache
def outcome(file: str) -> Outcome:
    chosen = subject(parsed(file))
    flags: set[str] = set()
    for activity in chosen:
        annotated = annotate_one(activity, [], AnnotationPolicy(), now=NOW)
        flags.update(flag.code.value for flag in annotated.annotation.flags)
    sport = chosen[0].sport.value if chosen else "none"
    return Outcome(file=file, sport=sport, is_run=any(a.sport.is_run for a in chosen), flags=frozenset(flags))


def met(label: Label, result: Outcome) -> bool:
    if label.label == "sport":
        return result.is_run == (label.expect == "run")
    present = label.label in result.flags
    return present == (label.expect == "present")


@dataclass(frozen=True)
class Score:
    labels: int
    met: int
    true_positive: int
    false_positive: int
    false_negative: int
    easy_runs: int
    easy_flags_mean: float
    easy_clean_share: float
    missed: tuple[Label, ...]

    @property
    def precision(self) -> float:
        raised = self.true_positive + self.false_positive
        return self.true_positive / raised if raised else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positive + self.false_negative
        return self.true_positive / wanted if wanted else 1.0


def easy_files(labels: Iterable[Label]) -> list[str]:
    """Runs labelled with no present flag at all: the easy runs that must come out clean."""
    by_file: dict[str, list[Label]] = {}
    for lab in labels:
        by_file.setdefault(lab.file, []).append(lab)
    return [
        f
        for f, labs in by_file.items()
        if all(lab.expect != "present" for lab in labs if lab.label != "sport") and outcome(f).is_run
    ]


def score(labels: list[Label]) -> Score:
    tp = fp = fn = 0
    missed: list[Label] = []
    for lab in labels:
        result = outcome(lab.file)
        if not met(lab, result):
            missed.append(lab)
        if lab.label == "sport":
            continue
        raised = lab.label in result.flags
        if lab.expect == "present":
            tp += raised
            fn += not raised
        else:
            fp += raised
    easy = easy_files(labels)
    counts = [len(outcome(f).flags) for f in easy]
    return Score(
        labels=len(labels),
        met=len(labels) - len(missed),
        true_positive=tp,
        false_positive=fp,
        false_negative=fn,
        easy_runs=len(easy),
        easy_flags_mean=sum(counts) / len(counts) if counts else 0.0,
        easy_clean_share=sum(c == 0 for c in counts) / len(counts) if counts else 1.0,
        missed=tuple(missed),
    )


def main(argv: list[str]) -> None:
    labels = load_labels()
    if "--quiet" not in argv:
        for file in dict.fromkeys(lab.file for lab in labels):
            result = outcome(file)
            print(f"{file:<60} {result.sport:<13} {' '.join(sorted(result.flags)) or '-'}")
    result = score(labels)
    print(f"\nlabels met: {result.met}/{result.labels}")
    for lab in result.missed:
        got = outcome(lab.file)
        seen = got.sport if lab.label == "sport" else ("raised" if lab.label in got.flags else "not raised")
        print(f"  MISSED {lab.id} expected {lab.expect}, {seen}: {lab.reason}")
    print(
        f"flag labels: precision {result.precision:.2f}, recall {result.recall:.2f} "
        f"(tp {result.true_positive}, fp {result.false_positive}, fn {result.false_negative})"
    )
    print(
        f"easy runs: {result.easy_runs}, mean flags {result.easy_flags_mean:.2f}, clean {result.easy_clean_share:.0%}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
