"""Config bounds (issue 31): numbers checked for size before conversion and against a sane maximum, naming the key;
config and secret files must be regular files under a size cap (a FIFO would block, /dev/zero eat memory)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from syncd.config import MAX_CONFIG_BYTES, ConfigError, load_settings


def _load(tmp_path: Path, text: str, **env: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    load_settings(path, env={"HOME": str(tmp_path), **env})


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("[web]\nport = " + "9" * 400, {}, "[web] port is far too large (400 digits)"),
        ("[rules]\nacwr_high = " + "9" * 400, {}, "[rules] acwr_high is far too large (400 digits)"),
        ("", {"SYNCD_WEB_PORT": "9" * 400}, "[web] port is far too large (400 characters)"),
        ("[rules]\neasy_pace_window_days = 999999999999", {}, "[rules] easy_pace_window_days (days) must be between"),
        ("[rules]\nwarmup_window_s = 1e9", {}, "[rules] warmup_window_s (seconds) must be between 0 and 86400"),
        ("[rules]\nmonotony_min_week_load_trimp = 1e12", {}, "must be between 0 and 1e+06"),
    ],
)
def test_numbers_are_bounded_before_conversion_naming_the_key(
    tmp_path: Path, text: str, env: dict[str, str], expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text, **env)
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def test_a_big_but_sane_window_still_loads(tmp_path: Path) -> None:
    _load(tmp_path, "[rules]\neasy_pace_window_days = 365\nshoe_far_over_pct = 150\n")


def test_config_that_is_a_fifo_a_device_or_huge_is_one_line(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.toml"
    with huge.open("wb") as handle:
        handle.truncate(MAX_CONFIG_BYTES + 1)
    for path, word in ((fifo, "is a FIFO"), (Path("/dev/zero"), "is a device"), (huge, "larger than 1024 KiB")):
        with pytest.raises(ConfigError, match=word):
            load_settings(path, env={"HOME": str(tmp_path)})


def test_secret_file_that_is_a_fifo_or_a_device_is_one_line(tmp_path: Path) -> None:
    fifo = tmp_path / "token"
    os.mkfifo(fifo)
    for path, word in ((fifo, "is a FIFO"), (Path("/dev/zero"), "is a device")):
        with pytest.raises(ConfigError, match=word) as caught:
            _load(tmp_path, "", SYNCD_WEB_TOKEN_FILE=str(path))
        assert "[web] token_file" in str(caught.value)
