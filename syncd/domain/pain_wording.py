"""How the flare-up analysis is said: at most three plain sentences, the strongest association first.

One place for the words the diary page, `syncd pain --analysis` and the digest share (docs/pain.md). The rules:
a finding is "a pattern in your diary, not proof of a cause"; when the counts could not show even a strong
pattern the text says "too few entries to tell yet" with how many more weeks it takes, never "nothing stands
out"; weeks left out (sore mode, missing data) are named.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syncd.domain.pain_analysis import Comparison, PainAnalysis

NAMED_DAYS = 4  # weeks named one by one before "and N more"


def day_label(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _listing(days: Sequence[date]) -> str:
    named = [day_label(d) for d in days[:NAMED_DAYS]]
    if len(days) > NAMED_DAYS:
        return f"{', '.join(named)} and {len(days) - NAMED_DAYS} more"
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _weeks_before(days: Sequence[date]) -> str:
    return f"week{'s' if len(days) > 1 else ''} before {_listing(days)}"


def _weeks(n: int) -> str:
    return f"{n} week" if n == 1 else f"{n} weeks"


def finding_sentence(c: Comparison, *, first: bool, flare_ups: int | None = None) -> str:
    """ "8 of your 11 flare-ups came after a week with 2+ speed sessions, against 5 of 26 other weeks: ..."; when
    some flare-up weeks had no data for the exposure (`flare_ups` is all of them): "8 of the 10 flare-ups with
    data ..." so the count never reads as the runner's total."""
    whose = f"of your {c.flare.n}" if flare_ups in (None, c.flare.n) else f"of the {c.flare.n}"
    with_data = "" if flare_ups in (None, c.flare.n) else " with data"
    core = (
        f"{c.flare.k} {whose} flare-ups{with_data} came after {c.exposure.phrase}, against {c.other.k} of "
        f"{c.other.n} other weeks"
    )
    return f"{core}: a pattern in your diary, not proof of a cause." if first else f"Also: {core}."


def status_sentence(a: PainAnalysis) -> str:
    if a.status == "no_entries":
        return (
            "No diary entries yet: write #back 3 on a run or use the form, and this shows what came before flare-ups."
        )
    if a.status == "no_flare_ups":
        return (
            f"No flare-ups in your diary yet (a score of {a.settings.painful_from} or more after a quiet week), "
            "so there is nothing to compare."
        )
    if a.status == "too_few":
        return (
            f"Too few entries to tell yet: about {a.power.more_weeks} more weeks with diary entries are needed "
            "before even a strong pattern could show."
        )
    return (
        f"Nothing in the week before your flare-ups stands out: with {a.flare_ups} flare-ups and "
        f"{a.other_weeks} other weeks compared, a strong pattern would most likely have shown."
    )


def left_out_sentence(a: PainAnalysis) -> str | None:
    """Which weeks the comparison left out, and why."""
    parts = []
    if sore := a.sore_weeks:
        parts.append(
            f"{_weeks(len(sore))} in sore mode (the advice then drops speed work, hills and hard surfaces, so those "
            "weeks say what the advice asked for)"
        )
    by_day: dict[date, list[str]] = {}
    for c in a.comparisons:
        for day in c.missing:
            by_day.setdefault(day, []).append(c.exposure.label)
    groups: dict[tuple[str, ...], list[date]] = {}
    for day in sorted(by_day):
        groups.setdefault(tuple(by_day[day]), []).append(day)
    for labels, days in groups.items():
        parts.append(f"for lack of data on {_join(list(labels))}, the {_weeks_before(days)}")
    return f"Left out: {'; '.join(parts)}." if parts else None


def sentences(a: PainAnalysis) -> tuple[str, ...]:
    """At most three sentences: findings (strongest first) or the status, then what was compared and left out."""
    findings = a.findings
    if findings:
        said = [finding_sentence(findings[0], first=True, flare_ups=a.flare_ups)]
        said += [finding_sentence(c, first=False, flare_ups=a.flare_ups) for c in findings[1:2]]
    else:
        said = [status_sentence(a)]
        if a.status == "too_few":
            said.append(
                f"So far {_weeks(a.flare_ups)} before a flare-up and {_weeks(a.other_weeks)} without one are compared."
            )
    if (left := left_out_sentence(a)) is not None:
        said.append(left)
    return tuple(said[:3])
