"""Every real recording parses, and its figures agree with tests/fixtures/real/MANIFEST.tsv."""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass
from pathlib import Path

import fitfast
import numpy as np
import pytest

from syncd.adapters.files import ParsedActivity, load_activities, parse_bytes
from syncd.adapters.files.fit import parse_fit
from syncd.adapters.files.fit_decode import decode
from syncd.domain.model import MULTISPORT_AFTER, TRAINING_EFFECT, Source, Sport

REAL = Path(__file__).parent.parent / "fixtures" / "real"

# What each file is (MANIFEST "category"/"sport_in_file"), in our vocabulary; multisport lists its sport legs.
EXPECTED_SPORTS: dict[str, list[Sport]] = {
    "0137001239.fit": [Sport.TREADMILL_RUN],
    "run.fit": [Sport.RUN],
    "2013-02-06-12-11-14.fit": [Sport.RUN],
    "Morning_Run_with_H10.gpx": [Sport.RUN],
    "c2eb1b_6.tcx": [Sport.RUN],
    "compressed-speed-distance.fit": [Sport.RUN],
    "null_compressed_speed_dist.fit": [Sport.RIDE],
    "sample-activity-indoor-trainer.fit": [Sport.RIDE],
    "Afternoon_Walk_Polar_Watch.gpx": [Sport.WALK],
    "korita-zbevnica.gpx": [Sport.HIKE],  # the file names no sport: inferred from 18 min/km and 62 m/km of climb
    "sample_mulitple_header.fit": [Sport.SWIM, Sport.RIDE, Sport.RUN],
    "20170518-191602-1740899583.fit": [Sport.ROW],
}
EXPECTED_INDOOR = {
    "0137001239.fit",
    "null_compressed_speed_dist.fit",
    "sample-activity-indoor-trainer.fit",
    "20170518-191602-1740899583.fit",
}
# The Zwift file has a heart_rate field that is 0 throughout: no strap, so no HR channel (MANIFEST counts the field).
NO_REAL_HR = {"null_compressed_speed_dist.fit"}


@dataclass(frozen=True)
class Row:
    file: str
    fmt: str
    elapsed_min: float
    distance_km: float | None
    gain_m: float | None
    loss_m: float | None
    gps: bool
    altitude: bool
    hr: bool


def _opt(text: str) -> float | None:
    return float(text) if text.strip() else None


def _manifest() -> list[Row]:
    with (REAL / "MANIFEST.tsv").open(newline="") as handle:
        return [
            Row(
                file=r["file"],
                fmt=r["format"],
                elapsed_min=float(r["elapsed_min"]),
                distance_km=_opt(r["distance_km"]),
                gain_m=_opt(r["gain_m"]),
                loss_m=_opt(r["loss_m"]),
                gps=r["gps"] == "yes",
                altitude=r["altitude"] == "yes",
                hr=r["hr"] == "yes",
            )
            for r in csv.DictReader(handle, delimiter="\t")
        ]


MANIFEST = _manifest()
SINGLE = [row for row in MANIFEST if len(EXPECTED_SPORTS[row.file]) == 1]


def test_manifest_covers_every_fixture() -> None:
    on_disk = {p.name for p in REAL.iterdir() if p.suffix in {".fit", ".gpx", ".tcx"}}
    assert on_disk == {row.file for row in MANIFEST} == set(EXPECTED_SPORTS)


@pytest.mark.parametrize("row", MANIFEST, ids=lambda r: r.file)
def test_sports_and_indoor(row: Row) -> None:
    parsed = load_activities(REAL / row.file)
    assert [p.activity.sport for p in parsed] == EXPECTED_SPORTS[row.file]
    assert all(p.activity.indoor == (row.file in EXPECTED_INDOOR) for p in parsed)
    assert all(p.activity.source is Source.FILE for p in parsed)


@pytest.mark.parametrize("row", SINGLE, ids=lambda r: r.file)
def test_figures_match_manifest(row: Row) -> None:
    (parsed,) = load_activities(REAL / row.file)
    activity, streams = parsed.activity, parsed.activity.streams
    assert streams is not None
    assert activity.elapsed_s == pytest.approx(row.elapsed_min * 60, rel=0.02)
    if row.distance_km is None:
        assert activity.distance_m is None
    else:
        # GPX files carry no distance channel: ours comes from the smoothed track (domain/gps_distance.py), while
        # the MANIFEST lists the raw point-to-point sum, which GPS jitter inflates (most on slow 1 Hz walks).
        tolerance = 0.06 if row.fmt == "GPX" else 0.03
        assert activity.distance_m == pytest.approx(row.distance_km * 1000, rel=tolerance)
    assert streams.has_gps == row.gps
    assert (streams.altitude_m is not None) == row.altitude
    assert (streams.heart_rate is not None) == (row.hr and row.file not in NO_REAL_HR)
    if row.fmt != "FIT" and row.gain_m is not None:  # FIT totals come from the device; ours use the MANIFEST's 3 m
        assert activity.elevation_gain_m == pytest.approx(row.gain_m, rel=0.05, abs=3)
        assert activity.elevation_loss_m == pytest.approx(row.loss_m, rel=0.05, abs=3)


@pytest.mark.parametrize("row", MANIFEST, ids=lambda r: r.file)
def test_stream_invariants(row: Row) -> None:
    for parsed in load_activities(REAL / row.file):
        streams = parsed.activity.streams
        assert streams is not None and len(streams) > 10
        for name, column in streams.channels().items():
            assert column.dtype == np.float64, name
            assert len(column) == len(streams.time_s), name
        assert streams.time_s[0] == pytest.approx(0.0, abs=2.0)
        assert np.all(np.diff(streams.time_s) >= 0)
        if streams.distance_m is not None:
            assert np.all(np.isfinite(streams.distance_m))
            assert np.all(np.diff(streams.distance_m) >= 0)
        if streams.has_gps:
            assert streams.lat is not None and streams.lon is not None
            assert np.nanmax(np.abs(streams.lat)) <= 90 and np.nanmax(np.abs(streams.lon)) <= 180
        if streams.heart_rate is not None:
            hr = streams.heart_rate[np.isfinite(streams.heart_rate)]
            assert hr.min() > 0 and hr.max() < 250
        assert parsed.activity.start_utc.tzinfo is not None


def test_run_fit_details() -> None:
    (parsed,) = load_activities(REAL / "run.fit")
    activity = parsed.activity
    assert activity.sport_original == "running/generic"
    assert activity.start_utc.isoformat() == "2019-09-14T15:22:05+00:00"
    assert activity.utc_offset_s == 7200  # activity.local_timestamp - timestamp (Heidelberg, summer)
    assert len(activity.laps) == 6
    assert activity.laps[0].start_offset_s == 0.0
    assert activity.laps[0].distance_m == pytest.approx(1000.0)
    assert activity.average_heart_rate == 130 and activity.max_heart_rate == 160
    assert parsed.raw["decoder"] == "fitfast"
    assert parsed.raw["device"] == {
        "manufacturer": "garmin",
        "product": 2888,
        "type": "activity",
        "software_version": 5.7,
    }
    assert activity.external_id == parsed.content_sha256


def test_multisport_legs_have_their_own_slices() -> None:
    legs = load_activities(REAL / "sample_mulitple_header.fit")
    swim, ride, run = (p.activity for p in legs)
    assert [p.raw["leg_index"] for p in legs] == [0, 2, 4]  # transitions 1 and 3 are skipped
    assert [a.external_id for a in (swim, ride, run)] == [f"{legs[0].content_sha256}:{i}" for i in (0, 2, 4)]
    assert swim.distance_m == pytest.approx(1644.71)
    assert ride.distance_m == pytest.approx(40909.42)
    assert run.distance_m == pytest.approx(9805.92)
    assert [a.sport.is_run for a in (swim, ride, run)] == [False, False, True]
    for activity in (swim, ride, run):
        assert activity.streams is not None and activity.streams.distance_m is not None
        assert activity.streams.distance_m[0] == pytest.approx(0.0, abs=20)
        assert activity.streams.time_s[-1] <= (activity.elapsed_s or 0) + 1
    assert run.streams is not None and run.streams.distance_m is not None
    assert run.streams.distance_m[-1] == pytest.approx(9805.92, rel=0.01)
    assert run.start_utc > ride.start_utc > swim.start_utc
    assert run.start_utc.isoformat() == "2018-05-27T09:23:41+00:00"
    assert len(run.laps) == 1 and run.laps[0].start_offset_s == pytest.approx(0.0)
    # each later leg knows the sports before it (a triathlon's run follows a swim and a ride), the first none
    assert [a.extra.get(MULTISPORT_AFTER) for a in (swim, ride, run)] == [None, ["swim"], ["swim", "ride"]]
    # the watch's aerobic Training Effect of each session (0-5)
    assert [a.extra.get(TRAINING_EFFECT) for a in (swim, ride, run)] == [4.7, 4.4, 4.8]


def test_watch_relative_clock_is_kept_and_noted() -> None:
    (parsed,) = load_activities(REAL / "compressed-speed-distance.fit")
    assert parsed.raw["clock_suspect"] is True
    assert parsed.activity.start_utc.year == 1990
    assert parsed.activity.utc_offset_s == 0  # local_timestamp is from another clock: not a real zone offset
    streams = parsed.activity.streams
    assert streams is not None and streams.distance_m is not None and streams.speed_mps is not None
    assert streams.distance_m[-1] == pytest.approx(10248.67, rel=0.01)  # expanded from compressed_speed_distance
    (normal,) = load_activities(REAL / "run.fit")
    assert "clock_suspect" not in normal.raw


ALL_FIT = [r.file for r in MANIFEST if r.fmt == "FIT"]
HEADER_CRC_NOT_COMPUTED = ["2013-02-06-12-11-14.fit", "sample-activity-indoor-trainer.fit"]


def _reference_crc(data: bytes) -> int:
    """The FIT SDK's CRC, byte by byte, independent of syncd's word-table version."""
    table = [0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401]
    table += [0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400]
    crc = 0
    for byte in data:
        for nibble in (byte & 0xF, byte >> 4):
            tmp = table[crc & 0xF]
            crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ table[nibble]
    return crc


@pytest.mark.parametrize("name", HEADER_CRC_NOT_COMPUTED)
def test_files_whose_header_crc_is_not_computed_are_valid_and_decode_fast(name: str) -> None:
    data = (REAL / name).read_bytes()
    assert data[0] == 14 and data[12:14] == b"\x00\x00"  # the FIT protocol's "header CRC not computed"
    assert _reference_crc(data[:-2]) == int.from_bytes(data[-2:], "little")  # the file CRC is right
    with pytest.raises(fitfast.FitDecodeError):
        fitfast.records(data)  # fitfast 0.1 checks the file CRC over the data alone in this case
    (parsed,) = parse_bytes(data, name)
    assert parsed.raw["decoder"] == "fitfast"


def test_no_valid_real_fit_file_falls_back_to_fitdecode() -> None:
    assert [name for name in ALL_FIT if decode((REAL / name).read_bytes(), name).decoder != "fitfast"] == []


@pytest.mark.parametrize("name", ALL_FIT)
def test_fitfast_and_fitdecode_agree(name: str) -> None:
    data = (REAL / name).read_bytes()
    slow = decode(data, name, fast=False)
    assert slow.decoder == "fitdecode"
    quick = decode(data, name)
    assert len(quick.records["timestamp"]) == len(slow.records["timestamp"])
    for kind in ("session", "lap", "activity", "sport", "file_id"):  # the summary messages the parser reads
        assert len(quick.messages.get(kind, [])) == len(slow.messages.get(kind, [])), kind
    fast = parse_fit(data, name, "sha", fast=True)
    tolerant = parse_fit(data, name, "sha", fast=False)
    assert [p.raw["decoder"] for p in fast] == ["fitfast"] * len(fast)
    for a, b in zip(fast, tolerant, strict=True):
        assert a.activity.streams is not None and b.activity.streams is not None
        mine, theirs = a.activity.streams.channels(), b.activity.streams.channels()
        assert mine.keys() == theirs.keys()
        for channel in mine:  # the decoders round scaled speeds differently in the last digit (0.001 m/s)
            np.testing.assert_allclose(mine[channel], theirs[channel], atol=0.0011, rtol=0, err_msg=channel)
        assert a.activity.laps == b.activity.laps
        assert a.activity.sport is b.activity.sport
        assert a.activity.start_utc == b.activity.start_utc
        assert a.activity.distance_m == b.activity.distance_m
        assert a.activity.name == b.activity.name


def test_treadmill_tcx_and_gpx_details() -> None:
    (tcx,) = load_activities(REAL / "c2eb1b_6.tcx")
    assert len(tcx.activity.laps) == 18
    assert {lap.intensity for lap in tcx.activity.laps} == {"active"}
    laps = tcx.raw["laps"]
    assert isinstance(laps, list) and laps[0]["trigger"] == "Manual"
    assert tcx.activity.streams is not None and tcx.activity.streams.altitude_m is not None
    assert tcx.activity.streams.altitude_m[0] == 0.0  # the spike is kept as data; rules drop it
    (gpx,) = load_activities(REAL / "Morning_Run_with_H10.gpx")
    assert gpx.activity.sport_original == "9" and gpx.raw["sport_from"] == "type"
    assert gpx.activity.name == "Morning Run"
    assert gpx.activity.moving_s == pytest.approx(77.7 * 60, rel=0.03)
    (hike,) = load_activities(REAL / "korita-zbevnica.gpx")
    assert hike.activity.sport_original == "inferred:hike" and hike.raw["untimed_points_skipped"] == 358


def test_content_hash_is_idempotent_and_ignores_gzip() -> None:
    for name in ("run.fit", "c2eb1b_6.tcx", "korita-zbevnica.gpx"):
        data = (REAL / name).read_bytes()
        first: list[ParsedActivity] = parse_bytes(data, name)
        again = parse_bytes(data, "renamed" + Path(name).suffix)
        zipped = parse_bytes(gzip.compress(data), name + ".gz")
        assert first[0].content_sha256 == again[0].content_sha256 == zipped[0].content_sha256
        assert first[0].activity.external_id == zipped[0].activity.external_id
        assert first[0].activity.streams == zipped[0].activity.streams


def test_format_is_sniffed_when_the_name_says_nothing() -> None:
    for name in ("run.fit", "c2eb1b_6.tcx", "Afternoon_Walk_Polar_Watch.gpx"):
        (parsed,) = parse_bytes((REAL / name).read_bytes(), "download")
        assert parsed.raw["format"] == Path(name).suffix[1:]


def test_raw_is_json_serialisable() -> None:
    import json

    for row in MANIFEST:
        for parsed in load_activities(REAL / row.file):
            json.loads(json.dumps(parsed.raw, allow_nan=False))
