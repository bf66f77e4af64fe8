"""The GPX/TCX scanner (issue 32) and the tree readers agree on generated documents: the same activities to the bit,
or the same error. Documents are built from the shapes real exporters write, with the variations the scanner must
either read exactly as the tree does or hand back to it (odd numbers and times, prefixes declared or not, comments,
character references, attributes, children out of order, several segments and tracks).
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from syncd.adapters.files import FileImportError, gpx, gpx_scan, tcx, tcx_scan
from tests.xml_golden import fingerprint


def _mostly(clean: list[str], odd: list[str], weight: int = 12) -> st.SearchStrategy[str]:
    """Clean values `weight` times as often as odd ones, so that many documents take the scanner and some not."""
    return st.sampled_from(clean * weight + odd)


NUMBERS = _mostly(
    ["46.1", "14", "-0.5", "+1.25", " 3.5 ", "1e3", "1.", ".5", "0", "1e999"], ["inf", "nan", "1_0", "x", ""]
)
TIMES = _mostly(
    [
        "2024-05-01T07:00:{s:02d}Z",
        "2024-05-01T07:00:{s:02d}.5Z",
        "2024-05-01T07:00:{s:02d}.123456Z",
        "2024-05-01T07:00:{s:02d}",
        " 2024-05-01T07:00:{s:02d}Z ",
        "1970-01-01T00:00:{s:02d}Z",
    ],
    [
        "2024-05-01T07:00:{s:02d}.1234567Z",
        "2024-05-01T08:00:{s:02d}+01:00",
        "2024-02-30T07:00:{s:02d}Z",
        "2024-13-01T07:00:{s:02d}Z",
        "2024-00-01T07:00:{s:02d}Z",
        "2200-05-01T07:00:{s:02d}Z",
        "1899-05-01T07:00:{s:02d}Z",
        "bad",
    ],
)
EXTRA = _mostly([""] * 20, ["<!-- c -->", "<![CDATA[1]]>", "&#49;", "\x01", "\xc3\xa9"])
PREFIXES = _mostly(["gpxtpx:", "ns3:", ""], ["zz:"])
TEXTS = _mostly(["130", " 88 ", "", "1e999", "2.5", "\n"], ["x", "1_0", "\x01", "é", "a:b"])


@st.composite
def _leaf(draw: st.DrawFn, names: list[str]) -> str:
    prefix, name = draw(PREFIXES), draw(st.sampled_from(names))
    text = draw(TEXTS)
    if draw(st.integers(0, 9)) == 0:
        return f"<{prefix}{name}/>"
    return f"<{prefix}{name}>{text}</{prefix}{name}>"


def _common_points(draw: st.DrawFn) -> int:
    return draw(st.integers(0, 4))


@st.composite
def gpx_documents(draw: st.DrawFn) -> bytes:
    leaf_names = ["hr", "HR", "heartrate", "cad", "Cadence", "power", "atemp"]
    segments = []
    second = 0
    for _ in range(draw(st.integers(1, 3))):
        points = []
        for _ in range(_common_points(draw) + 1):
            second = (second + draw(st.integers(0, 3))) % 60
            lat, lon = draw(NUMBERS), draw(NUMBERS)
            attrs = f'lat="{lat}" lon="{lon}"' if draw(st.booleans()) else f'lon="{lon}" lat="{lat}"'
            parts = []
            if draw(st.booleans()):
                parts.append(f"<ele>{draw(NUMBERS)}</ele>")
            if draw(st.integers(0, 5)):
                parts.append(f"<time>{draw(TIMES).format(s=second)}</time>")
            if draw(st.booleans()):
                inner = draw(st.sampled_from(["", "\n  "])).join(draw(st.lists(_leaf(leaf_names), max_size=3)))
                tag = draw(PREFIXES) + draw(_mostly(["TrackPointExtension"], ["hr", "Cadence"]))
                box = f"<{tag}>{inner}</{tag}>"
                leaves = draw(st.lists(_leaf(leaf_names), max_size=2))
                parts.append(f"<extensions>{''.join(leaves)}{box if draw(st.booleans()) else ''}</extensions>")
            if draw(st.integers(0, 40)) == 0:
                parts.reverse()
            sep = draw(st.sampled_from(["", "\n  ", " "]))
            points.append(f"<trkpt {attrs}>{sep}{sep.join(parts)}{sep}{draw(EXTRA)}</trkpt>")
        segments.append("<trkseg>" + "\n".join(points) + "</trkseg>")
    name = draw(st.sampled_from(["Morning Run", "Walk &amp; talk", "x"]))
    kind = draw(st.sampled_from(["<type>9</type>", "<type>running</type>", ""]))
    declared = ' xmlns:gpxtpx="urn:tpx" xmlns:ns3="urn:ns3"'
    namespace = draw(st.sampled_from([' xmlns="http://www.topografix.com/GPX/1/1"', ""]))
    head = draw(st.sampled_from(['<?xml version="1.0" encoding="UTF-8"?>\n', ""]))
    body = "".join(segments)
    root = f'gpx version="1.1" creator="t"{namespace}{declared}'
    return f"{head}<{root}><trk><name>{name}</name>{kind}{body}</trk></gpx>".encode()


@st.composite
def tcx_documents(draw: st.DrawFn) -> bytes:
    laps = []
    second = 0
    for lap in range(draw(st.integers(1, 3))):
        points = []
        for _ in range(_common_points(draw) + 1):
            second = (second + draw(st.integers(0, 3))) % 60
            parts = []
            if draw(st.integers(0, 5)):
                parts.append(f"<Time>{draw(TIMES).format(s=second)}</Time>")
            if draw(st.booleans()):
                parts.append(
                    f"<Position><LatitudeDegrees>{draw(NUMBERS)}</LatitudeDegrees>"
                    f"<LongitudeDegrees>{draw(NUMBERS)}</LongitudeDegrees></Position>"
                )
            for tag in ("AltitudeMeters", "DistanceMeters"):
                if draw(st.booleans()):
                    parts.append(f"<{tag}>{draw(NUMBERS)}</{tag}>")
            if draw(st.booleans()):
                attr = draw(st.sampled_from(["", ' xsi:type="HeartRateInBeatsPerMinute_t"']))
                parts.append(f"<HeartRateBpm{attr}><Value>{draw(NUMBERS)}</Value></HeartRateBpm>")
            if draw(st.booleans()):
                parts.append(f"<Cadence>{draw(NUMBERS)}</Cadence>")
            if draw(st.booleans()):
                leaves = "".join(
                    draw(st.lists(_leaf(["Speed", "RunCadence", "Watts", "Value", "Cadence"]), max_size=3))
                )
                prefix = draw(PREFIXES)
                tag = prefix + draw(_mostly(["TPX"], ["Speed", "Value"]))
                box = f'<{tag} xmlns="urn:tpx">{leaves}</{tag}>' if draw(st.booleans()) else ""
                outer = "".join(draw(st.lists(_leaf(["Speed", "RunCadence", "Watts"]), max_size=2)))
                parts.append(f"<Extensions>{outer}{box}</Extensions>")
            if draw(st.integers(0, 40)) == 0:
                parts.reverse()
            sep = draw(st.sampled_from(["", "\n  "]))
            points.append(f"<Trackpoint>{sep}{sep.join(parts)}{sep}{draw(EXTRA)}</Trackpoint>")
        start = draw(TIMES).format(s=lap)
        laps.append(
            f'<Lap StartTime="{start}"><TotalTimeSeconds>{draw(NUMBERS)}</TotalTimeSeconds>'
            f"<Intensity>Active</Intensity><Track>{''.join(points)}</Track></Lap>"
        )
    sport = draw(st.sampled_from(["Running", "Biking", "Other"]))
    declared = ' xmlns:ns3="urn:ns3" xmlns:gpxtpx="urn:tpx" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    namespace = draw(st.sampled_from([' xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"', ""]))
    activity = f'<Activity Sport="{sport}"><Id>x</Id>{"".join(laps)}</Activity>'
    root = f"TrainingCenterDatabase{namespace}{declared}"
    return f"<{root}><Activities>{activity}</Activities></TrainingCenterDatabase>".encode()


def _read(data: bytes, name: str) -> list[str]:
    """What the reader makes of a document: the golden table's fingerprint lines, or the exact error."""
    try:
        (tcx.parse_tcx if name.endswith(".tcx") else gpx.parse_gpx)(data, name, hashlib.sha256(data).hexdigest())
    except FileImportError as exc:
        return [f"error {exc.problem}"]
    except Exception as exc:  # parse_bytes turns these into one FileImportError; the type must agree too
        return [f"raised {type(exc).__name__}: {exc}"]
    return fingerprint(data, name)


def _tree_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpx, "scan_gpx", lambda data: None)
    monkeypatch.setattr(tcx, "scan_tcx", lambda data: None)


_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _gpx(extensions: str) -> bytes:
    point = '<trkpt lat="1" lon="2"><time>2024-05-01T07:00:00Z</time><extensions>{}</extensions></trkpt>'
    return f'<gpx xmlns:g="urn:g"><trk><trkseg>{point.format(extensions)}</trkseg></trk></gpx>'.encode()


def _tcx(point: str) -> bytes:
    track = f"<Track><Trackpoint><Time>2024-05-01T07:00:00Z</Time>{point}</Trackpoint></Track>"
    activity = f"<Activity><Lap>{track}</Lap></Activity>"
    return f'<TrainingCenterDatabase xmlns:n="urn:n">{activity}</TrainingCenterDatabase>'.encode()


@_SETTINGS
@given(data=gpx_documents())
@example(data=_gpx("<g:hr>130</g:hr><hr>\n<power>1</power></hr>"))  # a container named hr: its blank text is NaN
@example(data=_gpx("<g:hr>130</g:hr><g:hr> </g:hr>"))  # blank text counts, an empty element does not
@example(data=_gpx("<g:hr>130</g:hr><g:hr></g:hr><g:hr/>"))
@example(data=_gpx("<power>\x01</power>"))  # not well-formed: the tree's error
@example(data=_gpx("<g:x><g:hr>1</g:hr></g:x><g:hr>2</g:hr>"))  # a leaf and a container's child: document order
@example(data=_gpx("<zz:hr>1</zz:hr>").replace(b"<gpx ", b'<gpx creator=" xmlns:zz=x" '))  # not a declaration
def test_gpx_scanner_and_tree_agree(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _read(data, "g.gpx")
    with monkeypatch.context() as patch:
        _tree_only(patch)
        assert _read(data, "g.gpx") == fast, data


@_SETTINGS
@given(data=tcx_documents())
@example(data=_tcx("<AltitudeMeters>1e999</AltitudeMeters><DistanceMeters>-1e999</DistanceMeters>"))
@example(data=_tcx("<Extensions><n:TPX><n:Speed>1</n:Speed></n:TPX><n:Speed>2</n:Speed></Extensions>"))
@example(data=_tcx("<Extensions><n:TPX><n:RunCadence>80</n:RunCadence></n:TPX></Extensions>"))
@example(data=_tcx("<Cadence>7</Cadence><Extensions><n:TPX><n:RunCadence>80</n:RunCadence></n:TPX></Extensions>"))
@example(data=_tcx("<Extensions><n:Value>\n<x/></n:Value></Extensions>"))
@example(data=_tcx('<Extensions><TPX xmlns="http://www.w3.org/2000/xmlns/"><Speed>1</Speed></TPX></Extensions>'))
def test_tcx_scanner_and_tree_agree(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _read(data, "t.tcx")
    with monkeypatch.context() as patch:
        _tree_only(patch)
        assert _read(data, "t.tcx") == fast, data


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_the_generated_documents_exercise_the_scanner() -> None:
    """Not vacuous: a good share of the generated documents take the fast path, and a good share do not."""
    for strategy, scanner in ((gpx_documents(), gpx_scan.scan_gpx), (tcx_documents(), tcx_scan.scan_tcx)):
        taken = [scanner(strategy.example()) is not None for _ in range(150)]
        assert 0.1 < sum(taken) / len(taken) < 0.9, sum(taken)
