"""Every hand label of the real-recording corpus (tests/fixtures/real/LABELS.tsv), scored one by one.

Labels were written from the recordings (bench/corpus_inspect.py) before the rules ran, each with its reason; they
are never changed to match the code. Labels the rules still miss are listed in KNOWN_MISSES and marked
xfail(strict=True) for issue #13: when a rule change makes one pass, the strict xfail fails and the entry must go.
"""

from __future__ import annotations

import csv
import gzip

import pytest

from bench.corpus_score import LABELS, REAL, Label, load_labels, met, outcome, score
from syncd.adapters.files import load_activities

CORPUS = REAL / "corpus"
LICENSES = REAL.parent / "LICENSES"

# Labels the rules miss, each with what the recording shows; empty since the warm-up rule reads heart rate
# (nike_7ff163c7: GPS pace jumps, the heart was at 178-180 bpm from minute 1, 97 % of the hard part's).
KNOWN_MISSES: frozenset[str] = frozenset()
LABELLED = load_labels()


def _param(label: Label) -> object:
    marks = (
        [pytest.mark.xfail(strict=True, reason="issue #13: rules still miss this label")]
        if label.id in KNOWN_MISSES
        else []
    )
    return pytest.param(label, id=label.id, marks=marks)


@pytest.mark.parametrize("label", [_param(label) for label in LABELLED])
def test_label(label: Label) -> None:
    assert met(label, outcome(label.file)), f"{label.id}: expected {label.expect} ({label.reason})"


def test_known_misses_name_real_labels() -> None:
    assert {label.id for label in LABELLED} >= KNOWN_MISSES


def test_easy_runs_are_mostly_clean() -> None:
    result = score(LABELLED)
    assert result.easy_runs >= 20
    assert result.easy_flags_mean <= 1.0 and result.easy_clean_share > 0.5


def test_every_recording_is_labelled_sourced_and_licensed() -> None:
    on_disk = {f"corpus/{p.name}" for p in CORPUS.iterdir() if p.name != "MANIFEST.tsv"}
    on_disk |= {p.name for p in REAL.iterdir() if p.suffix in {".fit", ".gpx", ".tcx"}}
    assert {label.file for label in LABELLED} == on_disk
    with (CORPUS / "MANIFEST.tsv").open(newline="") as handle:
        manifest = {row["file"]: row for row in csv.DictReader(handle, delimiter="\t")}
    assert {f"corpus/{name}" for name in manifest} == {f for f in on_disk if f.startswith("corpus/")}
    licenses = LICENSES.read_text()
    for name, row in manifest.items():
        assert row["license"].startswith(("MIT", "Apache-2.0", "BSD", "CC0", "CC-BY")), name
        assert f"corpus/{name} | {row['source_repo']}" in licenses, name
    assert len(manifest) >= 20
    assert all(label.reason.strip() for label in LABELLED)
    with LABELS.open() as handle:
        assert "before running the rules".upper() in handle.read().upper()


def _reference_rows() -> list[tuple[str, float]]:
    with (CORPUS / "MANIFEST.tsv").open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [(r["file"], float(r["reference_distance_km"].split()[0])) for r in rows if r["reference_distance_km"]]


@pytest.mark.parametrize(("name", "reference_km"), _reference_rows())
def test_gps_only_distance_matches_the_device(name: str, reference_km: float) -> None:
    """The same run recorded with a distance channel (TCX) and exported as GPX without one."""
    (parsed,) = load_activities(CORPUS / name)
    assert parsed.activity.distance_m == pytest.approx(reference_km * 1000, rel=0.025)


def test_strava_gpx_jitter_no_longer_adds_half_a_kilometre() -> None:
    raw = gzip.decompress((CORPUS / "rp_strava_export.gpx.gz").read_bytes())
    assert b"<distance" not in raw.lower()  # really no distance channel
    (parsed,) = load_activities(CORPUS / "rp_strava_export.gpx.gz")
    assert parsed.activity.distance_m is not None and parsed.activity.distance_m < 12_300  # raw sum: 12,595 m


def test_sport_verdicts_on_real_files_without_a_sport() -> None:
    def only(name: str) -> tuple[str, str]:
        (parsed,) = load_activities(REAL / name)
        return parsed.activity.sport.value, parsed.activity.sport_original

    assert only("corpus/nike_9427f130-d6a8-4a0d-bf79-3e5f61d54bb4.gpx.gz") == ("run", "inferred:run")
    assert only("korita-zbevnica.gpx") == ("hike", "inferred:hike")
    assert only("Afternoon_Walk_Polar_Watch.gpx") == ("walk", "walking")  # named in the file: kept
    sport, original = only("corpus/nike_720bf570-d855-4303-87c2-74d85429e52d.gpx.gz")  # a day of junk after 7 km
    assert (sport, original) == ("other", "")
