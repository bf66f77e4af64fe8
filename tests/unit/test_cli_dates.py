"""Dates on the command line are validated into range (issue 31): year 1 or 9999 overflowed date arithmetic."""

from __future__ import annotations

import pytest

from syncd.entrypoints.cli import main


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1969-12-31"])
def test_an_out_of_range_since_is_a_usage_error(day: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["reannotate", "--since", day])
    assert caught.value.code == 2
    assert f"'{day}' is out of range; use a date of 1970 to 2200" in capsys.readouterr().err
