"""Leave-one-source-out score of the rules on the hand-labelled corpus (issue 28).

The labels (tests/fixtures/real/LABELS.tsv for runs judged alone, HISTORY.tsv for runs judged with the same
runner's earlier runs) come from many sources: repositories, and within them athletes. For each source held out,
the `[rules]` thresholds of each flag are chosen from a small grid of candidates on the OTHER sources only (the
best F1, then the best Youden's J, then the fewest changes from the defaults), and the held-out source is scored
with them. So no threshold is ever set between two files of the source it is scored on. Pooled over the folds:
precision and recall per flag with 95 % Wilson intervals, and the easy runs' mean flags, next to the same figures
with the default thresholds.

With `--with-history`, a run whose source publishes its runner's activity list (bench.corpus_summaries) is judged
for the flags read from its recording with that runner's stored history before it, as syncd's sync would judge it;
the others are judged alone as before. The easy runs then count only the scored flags (a runner's history also
raises the weekly cross-training and strength findings, which are no verdict on the recording).

Usage: python -m bench.corpus_loso [--folds] [--with-history]
"""

from __future__ import annotations

import csv
import itertools
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from functools import cache
from pathlib import Path

from bench.corpus_score import NOW, REAL, load_labels, parsed, subject
from bench.corpus_summaries import history_for
from syncd.domain.history import HistoryEntry, history_before, summarize
from syncd.domain.rules import RuleContext, evaluate
from syncd.domain.thresholds import Thresholds

HISTORY = REAL / "HISTORY.tsv"
SCORED = ("speed_work", "no_warmup", "downhill", "long_run_spike")
# The flags judged on the recording, which a runner's stored history can inform (their easy pace and heart rate).
FROM_RECORDING = ("speed_work", "no_warmup", "downhill")
# The group of a unit judged with its runner's stored summaries (bench.corpus_summaries).
SUMMARIES_GROUP = "summaries"
# Candidate values per flag: small, round, and always including today's default. Keys the rules do not have on
# this branch are dropped (and named in the output), so the grid follows the rules as they are.
GRIDS: dict[str, dict[str, tuple[float, ...]]] = {
    "speed_work": {
        "speed_work_faster_than_easy_pct": (5, 10, 15, 20),
        "speed_work_tempo_faster_pct": (10, 15, 20),
        "speed_work_tempo_hr_above_pct": (0, 3, 5),
        "speed_work_min_reps": (2, 3, 4),
        "speed_work_race_unbroken_from_m": (21000, 42000),
        "speed_work_race_over_pct": (4, 6),
    },
    "no_warmup": {"warmup_easier_by_pct": (3, 5, 8, 12), "warmup_window_s": (300, 600, 900)},
    "downhill": {
        "downhill_grade_pct": (4, 5, 6, 8),
        "downhill_min_stretch_m": (100, 200, 400),
        "downhill_descent_per_km_m": (15, 20, 30),
    },
    "long_run_spike": {"long_run_spike_pct": (5, 10, 15, 20)},
}
# Repositories that share recordings or an athlete count as one source.
SOURCE_ALIASES = {
    "tormoder": "fitparse test files",
    "polyvertex": "fitparse test files",
    "dtcooper": "fitparse test files",
}
# Files whose recording came from another source's athlete (same bytes): runpandas ships fgebhart's Heidelberg run.
FILE_SOURCES = {"run.fit": "fgebhart"}


@dataclass(frozen=True)
class Case:
    """One present/absent flag label, with where it is judged: alone (group "") or within a runner's history."""

    source: str
    file: str
    group: str
    flag: str
    expect: bool
    reason: str

    @property
    def unit(self) -> tuple[str, str]:
        return (self.file, self.group)


def source_of(repo: str) -> str:
    owner = repo.split(maxsplit=1)[0].split("/", maxsplit=1)[0]
    return SOURCE_ALIASES.get(owner, owner)


def sources() -> dict[str, str]:
    """File name as labelled (corpus/... for the corpus) -> source, from the two manifests."""
    found: dict[str, str] = {}
    for manifest, prefix in ((REAL / "MANIFEST.tsv", ""), (REAL / "corpus" / "MANIFEST.tsv", "corpus/")):
        with manifest.open(newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                found[prefix + row["file"]] = source_of(row["source_repo"])
    return found | FILE_SOURCES


def history_rows(path: Path = HISTORY) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t"))


def alone_group(file: str, flag: str, with_history: bool) -> str:
    """ "" (judged alone), or SUMMARIES_GROUP when judged with the runner's stored history."""
    if with_history and flag in FROM_RECORDING and history_for(file) is not None:
        return SUMMARIES_GROUP
    return ""


def load_cases(*, with_history: bool = False) -> list[Case]:
    where = sources()
    cases = [
        Case(
            where[lab.file],
            lab.file,
            alone_group(lab.file, lab.label, with_history),
            lab.label,
            lab.expect == "present",
            lab.reason,
        )
        for lab in load_labels()
        if lab.label in SCORED
    ]
    cases += [
        Case(where[row["file"]], row["file"], row["group"], row["label"], row["expect"] == "present", row["reason"])
        for row in history_rows()
        if row["expect"] in ("present", "absent")
    ]
    return cases


@cache
def group_history(group: str) -> tuple[HistoryEntry, ...]:
    """Every activity of the group's files as history; each run only ever sees the ones before its start."""
    files = [row["file"] for row in history_rows() if row["group"] == group]
    return tuple(summarize(activity) for file in dict.fromkeys(files) for activity in parsed(file))


def flags_of(unit: tuple[str, str], thresholds: Thresholds) -> frozenset[str]:
    """The flag codes the rules raise on the unit's run(s) (every run of a file judged alone, as corpus_score)."""
    file, group = unit
    history = (history_for(file) or ()) if group == SUMMARIES_GROUP else group_history(group) if group else ()
    raised: set[str] = set()
    for activity in subject(parsed(file)):
        ctx = RuleContext(
            activity=activity,
            history=history_before(history, activity.start_utc, key=activity.key),
            thresholds=thresholds,
            now=NOW,
        )
        raised.update(flag.code.value for flag in evaluate(ctx).flags)
    return frozenset(raised)


def grid(flag: str) -> tuple[list[dict[str, float]], list[str]]:
    """The flag's candidate settings (dicts of changed keys) and the grid keys these rules do not have."""
    known = {f.name: f.type for f in fields(Thresholds)}
    keys = {k: v for k, v in GRIDS.get(flag, {}).items() if k in known}
    missing = sorted(set(GRIDS.get(flag, {})) - set(keys))
    combos = [dict(zip(keys, values, strict=True)) for values in itertools.product(*keys.values())]
    return combos or [{}], missing


def thresholds_with(changes: Mapping[str, float]) -> Thresholds:
    base = Thresholds()
    typed = {k: type(getattr(base, k))(v) for k, v in changes.items()}
    return replace(base, **typed)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, expect: bool, raised: bool) -> None:
        if expect:
            self.tp += raised
            self.fn += not raised
        else:
            self.fp += raised
            self.tn += not raised

    def f1(self) -> float:
        wanted = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / wanted if wanted else 0.0

    def youden(self) -> float:
        tpr = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        fpr = self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0
        return tpr - fpr


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float, float]:
    """Proportion k/n with its Wilson score interval (n = 0: all NaN)."""
    if n == 0:
        return math.nan, math.nan, math.nan
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return p, max(0.0, centre - half), min(1.0, centre + half)


class Table:
    """Flags raised per (unit, candidate setting), computed once and shared by every fold."""

    def __init__(self) -> None:
        self._seen: dict[tuple[tuple[str, str], Thresholds], frozenset[str]] = {}

    def flags(self, unit: tuple[str, str], changes: Mapping[str, float]) -> frozenset[str]:
        thresholds = thresholds_with(changes)
        key = (unit, thresholds)
        if key not in self._seen:
            self._seen[key] = flags_of(unit, thresholds)
        return self._seen[key]


def counts(table: Table, cases: Iterable[Case], changes: Mapping[str, float]) -> Counts:
    tally = Counts()
    for case in cases:
        tally.add(case.expect, case.flag in table.flags(case.unit, changes))
    return tally


def choose(table: Table, flag: str, train: Sequence[Case], base: Mapping[str, float] | None = None) -> dict[str, float]:
    """The candidate with the best F1 on the training cases, then Youden's J, then the fewest changed keys.

    `base` holds what was already chosen for the flags before this one (speed work decides what a hard part is,
    which the warm-up rule reads), so each flag is tuned with the others as they will be scored.
    """
    combos, _ = grid(flag)
    default = Thresholds()
    mine = [c for c in train if c.flag == flag]
    if not any(c.expect for c in mine):
        return {}

    def rank(changes: dict[str, float]) -> tuple[float, float, int]:
        tally = counts(table, mine, {**(base or {}), **changes})
        changed = sum(getattr(default, k) != v for k, v in changes.items())
        return (round(tally.f1(), 9), round(tally.youden(), 9), -changed)

    best = max(combos, key=rank)
    return {k: v for k, v in best.items() if getattr(default, k) != v}


@dataclass
class Result:
    tuned: dict[str, Counts]
    default: dict[str, Counts]
    easy_tuned: list[int]
    easy_default: list[int]
    folds: list[tuple[str, int, dict[str, float]]]


def easy_units(cases: Sequence[Case], *, with_history: bool = False) -> list[tuple[str, str]]:
    """Runs with no label saying a flag must be present (judged alone, or with their runner's stored history):
    they should come out clean."""
    alone = [c for c in cases if c.group in ("", SUMMARIES_GROUP)]
    present = {c.file for c in alone if c.expect}
    files = {lab.file for lab in load_labels() if lab.label != "sport"} - present
    runs = sorted(f for f in files if any(a.sport.is_run for a in parsed(f)))
    return [(f, alone_group(f, FROM_RECORDING[0], with_history)) for f in runs]


def easy_count(flags: frozenset[str], with_history: bool) -> int:
    """An easy run's flags: all of them alone; with a history, the scored ones (see the module docstring)."""
    return len(flags & set(SCORED)) if with_history else len(flags)


def run(cases: Sequence[Case], *, with_history: bool = False) -> Result:
    table = Table()
    result = Result({f: Counts() for f in SCORED}, {f: Counts() for f in SCORED}, [], [], [])
    easy = easy_units(cases, with_history=with_history)
    where = sources()
    for source in sorted({c.source for c in cases} | {where[f] for f, _ in easy}):
        train = [c for c in cases if c.source != source]
        held = [c for c in cases if c.source == source]
        chosen: dict[str, float] = {}
        for flag in SCORED:
            chosen.update(choose(table, flag, train, chosen))
        result.folds.append((source, len(held), chosen))
        for case in held:
            result.tuned[case.flag].add(case.expect, case.flag in table.flags(case.unit, chosen))
            result.default[case.flag].add(case.expect, case.flag in table.flags(case.unit, {}))
        for unit in (u for u in easy if where[u[0]] == source):
            result.easy_tuned.append(easy_count(table.flags(unit, chosen), with_history))
            result.easy_default.append(easy_count(table.flags(unit, {}), with_history))
    return result


def fmt(k: int, n: int) -> str:
    p, lo, hi = wilson(k, n)
    return f"{p:.2f} ({lo:.2f}-{hi:.2f})" if n else "  -  "


def report(result: Result, cases: Sequence[Case], show_folds: bool) -> None:
    print(f"labels: {len(cases)} from {len({c.source for c in cases})} sources; present: ", end="")
    print(", ".join(f"{f} {sum(c.expect for c in cases if c.flag == f)}" for f in SCORED))
    for flag in SCORED:
        missing = grid(flag)[1]
        if missing:
            print(f"  {flag}: grid keys not in these rules (defaults used): {', '.join(missing)}")
    head = f"{'flag':<15} {'thresholds':<10} {'tp':>3} {'fn':>3} {'fp':>3} {'tn':>4}"
    print(f"\n{head}  precision (95 % CI)  recall (95 % CI)")
    for flag in SCORED:
        for name, tally in (("LOSO-tuned", result.tuned[flag]), ("default", result.default[flag])):
            precision = fmt(tally.tp, tally.tp + tally.fp)
            recall = fmt(tally.tp, tally.tp + tally.fn)
            cells = f"{flag:<15} {name:<10} {tally.tp:>3} {tally.fn:>3} {tally.fp:>3} {tally.tn:>4}"
            print(f"{cells}  {precision:<19}  {recall}")
    for name, values in (("LOSO-tuned", result.easy_tuned), ("default", result.easy_default)):
        mean = sum(values) / len(values) if values else math.nan
        clean = sum(v == 0 for v in values) / len(values) if values else math.nan
        print(f"easy runs ({name}): {len(values)}, mean flags {mean:.2f}, clean {clean:.0%}")
    if show_folds:
        print("\nheld-out source: labels, thresholds chosen on the other sources (changes from the defaults)")
        for source, n, chosen in result.folds:
            print(f"  {source:<34} {n:>4}  {chosen or '-'}")


def main(argv: list[str]) -> None:
    with_history = "--with-history" in argv
    cases = load_cases(with_history=with_history)
    if with_history:
        judged = sorted({c.file for c in cases if c.group == SUMMARIES_GROUP})
        print(f"judged with the runner's stored history: {len(judged)} files")
    report(run(cases, with_history=with_history), cases, show_folds="--folds" in argv)


if __name__ == "__main__":
    main(sys.argv[1:])
