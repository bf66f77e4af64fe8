"""`syncd pain ATHLETE ...` with an unknown athlete: the error names the athletes there are, or says there are none."""

from __future__ import annotations

from typing import Any

import pytest

from syncd.domain.pain import PainInputError
from syncd.records import AthleteRecord
from syncd.services.pain_listing import find_athlete


class _Athletes:
    def __init__(self, *keys: str) -> None:
        self.athletes = [AthleteRecord(i, key, "", None, "metric", None, False) for i, key in enumerate(keys, 1)]

    def list_athletes(self) -> list[AthleteRecord]:
        return self.athletes


def _error(store: Any, ref: str) -> str:
    with pytest.raises(PainInputError) as caught:
        find_athlete(store, ref)
    return str(caught.value)


def test_an_unknown_athlete_names_the_ones_there_are_without_telling_to_link_one() -> None:
    # the demo said "no athlete 'local'; the athletes are: strava:1001 (link an account or import files first)"
    assert _error(_Athletes("strava:1001"), "local") == "no athlete 'local'; the athletes are: strava:1001"
    assert find_athlete(_Athletes("strava:1001", "local"), "2").key == "local"


def test_with_no_athlete_yet_it_says_how_to_get_one() -> None:
    assert _error(_Athletes(), "local") == (
        "no athlete 'local': there are none yet (link an account or import files first)"
    )
