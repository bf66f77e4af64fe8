from __future__ import annotations

from pathlib import Path

import pytest

from syncd.config import ConfigError, Secret, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_without_any_file(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "c")}
    settings = load_settings(env=env)
    assert settings.web.host == "127.0.0.1"
    assert settings.web.port == 8080
    assert settings.strava.api_url == "https://www.strava.com/api/v3"
    assert settings.state_dir == tmp_path / "state" / "syncd"
    assert settings.database_url == f"sqlite:///{tmp_path / 'state' / 'syncd' / 'syncd.sqlite3'}"
    assert settings.rules.shoe_limit_km == 600.0


def test_precedence_file_then_env_then_flags(tmp_path: Path) -> None:
    path = write(tmp_path, "[web]\nport = 9000\nhost = '0.0.0.0'\n[rules]\nshoe_limit_km = 500\n")
    env = {"SYNCD_WEB_PORT": "9100", "HOME": str(tmp_path)}
    settings = load_settings(path, env=env)
    assert settings.web.port == 9100  # env beats file
    assert settings.web.host == "0.0.0.0"  # file beats default
    assert settings.rules.shoe_limit_km == 500.0
    flagged = load_settings(path, env=env, overrides={"web": {"port": 9200}})
    assert flagged.web.port == 9200  # flags beat env


def test_secret_from_file_env_file_and_credentials_directory(tmp_path: Path) -> None:
    secret_file = tmp_path / "s"
    secret_file.write_text("from-file-secret\n")
    path = write(tmp_path, f"[strava]\nclient_secret_file = '{secret_file}'\n")
    settings = load_settings(path, env={"HOME": str(tmp_path)})
    assert settings.strava.client_secret == Secret("from-file-secret")
    assert "from-file-secret" not in repr(settings)

    env_file = tmp_path / "t"
    env_file.write_text("env-file-token")
    settings = load_settings(path, env={"HOME": str(tmp_path), "SYNCD_WEB_TOKEN_FILE": str(env_file)})
    assert settings.web.token is not None and settings.web.token.reveal() == "env-file-token"

    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "email_password").write_text("cred-pass")
    settings = load_settings(path, env={"HOME": str(tmp_path), "CREDENTIALS_DIRECTORY": str(creds)})
    assert settings.email.password is not None and settings.email.password.reveal() == "cred-pass"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[web]\nport = 'eighty'\n", "[web] port must be a whole number"),
        ("[web]\nport = 70000\n", "between 1 and 65535"),
        ("[strava]\nwrite_back = 'sometimes'\n", "[strava] write_back must be one of all, private, off"),
        ("[strava]\napi_url = 'ftp://x'\n", "http(s) URL"),
        ("[strava]\nclientid = '1'\n", "did you mean 'client_id'"),
        ("[stravaa]\n", "unknown section [stravaa]"),
        ("[rules]\nshoe_limit = 3\n", "unknown [rules] key(s): shoe_limit"),
        ("[rules]\nshoe_limit_km = 'lots'\n", "shoe_limit_km must be a number"),
        ("[web\n", "not valid TOML"),
        ("[web]\nhost_file = '/x'\n", "unknown key [web] host_file"),
    ],
)
def test_bad_values_give_one_line_naming_the_key(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), env={"HOME": str(tmp_path)})
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_explicit_missing_config_is_an_error_but_default_missing_is_not(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist; create it with `syncd init`"):
        load_settings(env={"SYNCD_CONFIG": str(tmp_path / "nope.toml"), "HOME": str(tmp_path)})


def test_unknown_env_key_in_known_section_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SYNCD_WEB_PROT is not a known setting"):
        load_settings(env={"SYNCD_WEB_PROT": "1", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)})


def test_unreadable_secret_file_is_reported_without_the_value(tmp_path: Path) -> None:
    path = write(tmp_path, f"[email]\npassword_file = '{tmp_path / 'missing'}'\n")
    with pytest.raises(ConfigError, match=r"\[email\] password_file: cannot read"):
        load_settings(path, env={"HOME": str(tmp_path)})


def test_state_directory_from_systemd(tmp_path: Path) -> None:
    settings = load_settings(env={"HOME": str(tmp_path), "STATE_DIRECTORY": "/var/lib/syncd:/var/lib/other"})
    assert settings.state_dir == Path("/var/lib/syncd")


# ---- issue 17 item 8: every bad value is refused in one line naming the key and the fix -------------------------


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("[rules]\nacwr_high = nan\n", ["[rules] acwr_high must be a finite number", "SYNCD_RULES_ACWR_HIGH"]),
        ("[rules]\nshoe_limit_km = inf\n", ["[rules] shoe_limit_km must be a finite number"]),
        ("[strava]\nrescan_days = inf\n", ["[strava] rescan_days must be a finite number"]),
        ("[strava]\nrescan_days = 1.5\n", ["[strava] rescan_days must be a whole number; got 1.5 (not rounded)"]),
        ("[rules]\nspeed_work_min_reps = 2.5\n", ["[rules] speed_work_min_reps must be a whole number"]),
        ("[digest]\nhour = 25\n", ["[digest] hour (an hour of the day) must be between 0 and 23; got 25"]),
        ("[strava]\npoll_share_pct = 500\n", ["[strava] poll_share_pct", "between 1 and 100; got 500"]),
        ("[strava]\ntimeout_s = 0\n", ["[strava] timeout_s (seconds) must be between 1 and 600; got 0"]),
        ("[notes]\nannotation_window_days = 1e9\n", ["[notes] annotation_window_days", "between 1 and 3650"]),
        ("[strava]\nwrite_reserve = 100\n", ["[strava] write_reserve", "below Strava's 100-read limit"]),
        ("[rules]\nacwr_caution = 1.6\nacwr_high = 1.4\n", ["[rules] acwr_caution (1.6) must be below", "acwr_high"]),
        ("[rules]\nmonotony_caution = 2.5\n", ["[rules] monotony_caution (2.5) must be below [rules] monotony_high"]),
        ("[rules]\nhard_surface_share_pct = 150\n", ["[rules] hard_surface_share_pct", "between 0 and 100"]),
    ],
)
def test_hostile_values_are_refused_in_one_line(tmp_path: Path, text: str, fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), env={"HOME": str(tmp_path)})
    message = str(info.value)
    assert all(fragment in message for fragment in fragments), message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("SYNCD_DIGEST_HOUR", "25", "[digest] hour (an hour of the day) must be between 0 and 23"),
        ("SYNCD_STRAVA_TIMEOUT_S", "1.5", "[strava] timeout_s must be a whole number; got '1.5'"),
        ("SYNCD_RULES_ACWR_CAUTION", "nan", "[rules] acwr_caution must be a finite number"),
        ("SYNCD_STRAV_CLIENT_ID", "1", "unknown section 'strav' (did you mean 'strava'?)"),
        ("SYNCD_EMIAL_HOST", "smtp.example.org", "unknown section 'emial' (did you mean 'email'?)"),
    ],
)
def test_hostile_environment_overrides_are_refused(tmp_path: Path, name: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, ""), env={"HOME": str(tmp_path), name: value})
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_whole_floats_and_other_tools_variables_are_fine(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "SYNCD_TEST_PG_URL": "postgresql://x", "SYNCD_PYTHON": "/usr/bin/python3"}
    settings = load_settings(write(tmp_path, "[strava]\nrescan_days = 3.0\n[rules]\nacwr_high = 2\n"), env=env)
    assert settings.strava.rescan_days == 3 and isinstance(settings.strava.rescan_days, int)
    assert settings.rules.acwr_high == 2.0


def test_a_bad_encryption_key_is_a_one_line_configuration_error(tmp_path: Path) -> None:
    from syncd.entrypoints.wiring import open_store

    env = {"HOME": str(tmp_path), "SYNCD_STATE_DIR": str(tmp_path / "state")}
    settings = load_settings(write(tmp_path, "[database]\nencryption_key = 'not-a-key'\n"), env=env)
    with pytest.raises(ConfigError) as info:
        open_store(settings)
    message = str(info.value)
    assert message.startswith("[database] encryption_key: encryption key #1") and "malformed" in message
    assert "not-a-key" not in message and "\n" not in message


def test_athlete_max_heart_rate_reaches_the_rules(tmp_path: Path) -> None:
    """Issue #13: without a configurable maximum heart rate, TRIMP and the heart-rate trigger never ran."""
    from syncd.entrypoints.wiring import annotation_policy

    config = tmp_path / "config.toml"
    config.write_text("[athlete]\nmax_heart_rate = 187\n")
    settings = load_settings(config_path=config, env={"SYNCD_STATE_DIR": str(tmp_path)})
    assert settings.athlete.max_heart_rate == 187
    assert annotation_policy(settings).max_heart_rate == 187.0
    from_env = load_settings(
        config_path=config, env={"SYNCD_STATE_DIR": str(tmp_path), "SYNCD_ATHLETE_MAX_HEART_RATE": "172"}
    )
    assert annotation_policy(from_env).max_heart_rate == 172.0
    config.write_text("[athlete]\nmax_heart_rate = 1870\n")
    with pytest.raises(ConfigError, match=r"max_heart_rate \(a heart rate in bpm\) must be between 100 and 240"):
        load_settings(config_path=config, env={"SYNCD_STATE_DIR": str(tmp_path)})
    config.write_text("")
    unset = load_settings(config_path=config, env={"SYNCD_STATE_DIR": str(tmp_path)})
    assert annotation_policy(unset).max_heart_rate is None


def test_resting_and_threshold_heart_rates_reach_the_rules(tmp_path: Path) -> None:
    """Issue 28: the hard zone from the heart-rate reserve or the threshold heart rate when the athlete knows them."""
    from syncd.entrypoints.wiring import annotation_policy

    config = tmp_path / "config.toml"
    config.write_text("[athlete]\nmax_heart_rate = 190\nresting_heart_rate = 50\nthreshold_heart_rate = 170\n")
    policy = annotation_policy(load_settings(config_path=config, env={"SYNCD_STATE_DIR": str(tmp_path)}))
    assert (policy.resting_heart_rate, policy.threshold_heart_rate) == (50.0, 170.0)
    config.write_text("[athlete]\nmax_heart_rate = 190\n")
    bare = annotation_policy(load_settings(config_path=config, env={"SYNCD_STATE_DIR": str(tmp_path)}))
    assert (
        bare.resting_heart_rate is None and policy.version != bare.version
    )  # a change of heart rates redoes the notes
    config.write_text("[athlete]\nresting_heart_rate = 5\n")
    with pytest.raises(ConfigError, match=r"resting_heart_rate .* must be between 25 and 120"):
        load_settings(config_path=config, env={"SYNCD_STATE_DIR": str(tmp_path)})
