"""The files a link reads (a Strava token file, a Garmin token store) are read by one function, so both say the
same kind of one-line error; and the athlete's account on a platform is found in one place."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from syncd.adapters.garmin.sessions import read_token_store
from syncd.services.accounts import LinkError, account_of, read_token_file
from tests.unit.fakes import account_record


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "cannot read {name} {path} ("),
        ("{not json", "{name} {path} is not JSON; it must be"),
        ("[1]", "must hold a JSON object"),
    ],
)
@pytest.mark.parametrize(
    ("reader", "name", "filename"),
    [(read_token_file, "token file", "tokens.json"), (read_token_store, "Garmin token store", "garmin_tokens.json")],
)
def test_both_token_readers_say_the_same_errors(
    tmp_path: Path, reader: object, name: str, filename: str, content: str | None, says: str
) -> None:
    path = tmp_path / filename
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(LinkError) as error:
        reader(path)  # type: ignore[operator]
    assert says.format(name=name, path=path) in str(error.value)


def test_the_athletes_account_is_the_one_on_that_platform() -> None:
    strava = replace(account_record(1, provider="strava"), id=1)
    garmin = replace(account_record(1, provider="garmin"), id=2)
    other = replace(account_record(2, provider="strava"), id=3)
    accounts = [strava, garmin, other]
    assert account_of(accounts, "garmin", 1) == garmin
    assert account_of(accounts, "strava", 2) == other
    assert account_of(accounts, "garmin", 2) is None
