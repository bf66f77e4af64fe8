"""A rule crash on chosen activities, injected where every service path calls the rules (`annotate_as_of`): the
unit-of-work tests check that such a fault leaves nothing of that activity and never stops the others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from syncd.domain.model import Activity
from syncd.services import annotating
from syncd.services.annotating import AnnotatedActivity


class RuleCrashError(Exception):
    """The injected fault (a name no real error has, so a test can find it in a report)."""


def crash_rules_on(monkeypatch: pytest.MonkeyPatch, matches: Callable[[Activity], bool]) -> None:
    """The rules raise RuleCrashError for every activity `matches` picks; the others are annotated as usual."""
    real = annotating.annotate_as_of

    def rules(activity: Activity, *args: Any, **kwargs: Any) -> AnnotatedActivity:
        if matches(activity):
            raise RuleCrashError("a rule crashed")
        return real(activity, *args, **kwargs)

    monkeypatch.setattr(annotating, "annotate_as_of", rules)
