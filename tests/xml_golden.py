"""What the GPX and TCX readers make of every XML fixture, as one fingerprint line per activity (or error).

Recorded from the readers as they are (issue 32 tried lxml and measured no gain), so any rewrite must give the same
streams, laps and metadata to the bit: tests/integration/test_xml_golden.py compares. A file's line holds a hash per
part (activity fields, each stream channel, laps, raw summary), so a failure names the part that changed.
Regenerate only when a change to the readers' output is intended, and review the diff:

    PYTHONPATH=$PWD .venv/bin/python -m tests.xml_golden --update
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import re
from pathlib import Path

import numpy as np

from syncd.adapters.files import FileImportError
from syncd.adapters.files.detect import gunzip
from syncd.adapters.files.gpx import parse_gpx
from syncd.adapters.files.tcx import parse_tcx

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN = FIXTURES / "xml_readers.tsv"
_CHANNELS = ("time_s", "distance_m", "lat", "lon", "altitude_m", "speed_mps", "heart_rate", "cadence")
_PARSER_DETAIL = re.compile(r"\(XML error: .*\)")  # expat and libxml2 word a syntax error differently


# Small documents for what the real files rarely show: text split by comments, CDATA and character references,
# no namespace, several tracks and activities, odd extension names, a lap without a time, a point without lat/lon.
_GPX_PT = '<trkpt lat="46.{i}" lon="14.{i}"><ele>3{i}</ele><time>2024-05-01T07:00:0{i}Z</time></trkpt>'
_SYNTHETIC: dict[str, str] = {
    "plain.gpx": '<gpx version="1.0" creator="c"><name>Doc</name><trk><trkseg>'
    + "".join(_GPX_PT.format(i=i) for i in range(3))
    + "</trkseg></trk></gpx>",
    "split-text.gpx": '<gpx xmlns="http://www.topografix.com/GPX/1/1">'
    "<metadata><name> M <!-- c --> N </name></metadata>"
    "<trk><name><![CDATA[Hill & run]]></name><type>run&#105;ng</type><trkseg>"
    '<trkpt lat="1" lon="2"><ele>1<!-- x -->2</ele><time>2024-05-01T07:00:0<!-- y -->1Z</time></trkpt>'
    '<trkpt lat="1.1" lon="2"><time>2024-05-01T07:00:00Z</time><extensions><a:X xmlns:a="urn:a"><a:HR>99</a:HR>'
    "<a:Cadence> 80 </a:Cadence><a:hr/></a:X></extensions></trkpt></trkseg></trk>"
    '<trk><name>Second</name><type>ride</type><trkseg><trkpt lat="0" lon="0"><time>2024-05-01T07:00:05Z</time>'
    '</trkpt><trkpt lat="3" lon="4"/></trkseg></trk><trk><name>none</name></trk></gpx>',
    "bad-latlon.gpx": '<gpx><trk><trkseg><trkpt lat="x" lon="2"><time>2024-05-01T07:00:00Z</time></trkpt>'
    "</trkseg></trk></gpx>",
    "not-gpx.gpx": "<kml><trk/></kml>",
    "two-legs.tcx": '<TrainingCenterDatabase xmlns="urn:tcx" xmlns:x="urn:x"><Activities>'
    '<Activity Sport="Biking"><Id> 2024 </Id><Creator><Name>W<!-- - -->atch</Name></Creator>'
    '<Lap StartTime="2024-05-01T07:00:01Z"><TotalTimeSeconds>5</TotalTimeSeconds><Intensity>Resting</Intensity>'
    "<TriggerMethod>Location</TriggerMethod><DistanceMeters>inf</DistanceMeters><Track>"
    "<Trackpoint><Time>2024-05-01T07:00:02Z</Time><Position><LatitudeDegrees>46</LatitudeDegrees>"
    "<LongitudeDegrees>14</LongitudeDegrees></Position><HeartRateBpm><Value>0</Value></HeartRateBpm>"
    "<x:Extensions><x:TPX><x:Speed>2.5</x:Speed><x:Watts>100</x:Watts></x:TPX></x:Extensions></Trackpoint>"
    "<Trackpoint><Time>2024-05-01T07:00:00Z</Time><DistanceMeters>1&#48;</DistanceMeters></Trackpoint>"
    "</Track></Lap><Lap><TotalTimeSeconds>5</TotalTimeSeconds></Lap></Activity>"
    '<Activity Sport="Other"><Lap StartTime="bad"/></Activity>'
    '<Activity Sport="Running"><Lap StartTime="2024-05-01T08:00:00Z"><TotalTimeSeconds>1</TotalTimeSeconds>'
    "<Track><Trackpoint><Time>2024-05-01T08:00:00+01:00</Time><Cadence>7</Cadence></Trackpoint></Track></Lap>"
    "</Activity></Activities></TrainingCenterDatabase>",
    "no-namespace.tcx": "<TrainingCenterDatabase><Activities><Activity><Lap><Track><Trackpoint><Time>"
    "2024-05-01T07:00:00Z</Time></Trackpoint></Track></Lap></Activity></Activities></TrainingCenterDatabase>",
    "utf16.tcx": "",  # filled below: two-legs.tcx in UTF-16 with a BOM
}


def synthetic() -> dict[str, bytes]:
    docs = {name: text.encode() for name, text in _SYNTHETIC.items() if text}
    docs["utf16.tcx"] = ('<?xml version="1.0" encoding="UTF-16"?>' + _SYNTHETIC["two-legs.tcx"]).encode("utf-16")
    return docs


def xml_files() -> list[Path]:
    return sorted(
        p for p in FIXTURES.rglob("*") if p.is_file() and p.name.removesuffix(".gz").endswith((".gpx", ".tcx"))
    )


def _digest(value: object) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]


def _array_digest(array: np.ndarray | None) -> str:
    if array is None:
        return "-"
    canonical = np.where(np.isnan(array), np.nan, array).astype(np.float64)  # one NaN bit pattern
    return f"{len(canonical)}:{hashlib.sha256(canonical.tobytes()).hexdigest()[:16]}"


def fingerprint(data: bytes, name: str) -> list[str]:
    """One tab-separated line per activity the reader returns, or one line for the error it raises."""
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data, name)
    reader = parse_tcx if name.removesuffix(".gz").endswith(".tcx") else parse_gpx
    try:
        parsed = reader(data, name, hashlib.sha256(data).hexdigest())
    except FileImportError as exc:
        return ["error\t" + _PARSER_DETAIL.sub("(XML error)", exc.problem)]
    lines = []
    for item in parsed:
        activity = item.activity
        fields = {f.name: getattr(activity, f.name) for f in dataclasses.fields(activity)}
        streams = fields.pop("streams")
        laps = fields.pop("laps")
        channels = [_array_digest(getattr(streams, c)) for c in _CHANNELS] if streams else ["-"] * len(_CHANNELS)
        raw = json.dumps(item.raw, sort_keys=True, default=repr)
        lines.append("\t".join([_digest(fields), *channels, _digest(laps), _digest(raw)]))
    return lines


def table() -> str:
    rows = ["# file\tactivity\t" + "\t".join(_CHANNELS) + "\tlaps\traw"]
    for path in xml_files():
        name = str(path.relative_to(FIXTURES))
        rows.extend(f"{name}\t{line}" for line in fingerprint(path.read_bytes(), name))
    for name, data in synthetic().items():
        rows.extend(f"synthetic/{name}\t{line}" for line in fingerprint(data, name))
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true", help=f"write {GOLDEN.name}")
    args = parser.parse_args()
    text = table()
    if args.update:
        GOLDEN.write_text(text)
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
