"""A GPX or TCX file that declares a DTD is refused in every encoding the XML parser reads (issue 31).

The byte search for `<!DOCTYPE` sees only UTF-8 and ASCII; a UTF-16 file with an internal entity used to get past
it and expat expanded the entity into the stored activity name. The rule checked here: whenever ElementTree could
read a document, a DOCTYPE in it is refused, whatever the encoding; the same files without the DTD still import.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from syncd.adapters.files import FileImportError, parse_bytes

_GPX = (
    '<?xml version="1.0" encoding="{enc}"?>{dtd}'
    '<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>{name}</name><trkseg>'
    '<trkpt lat="46.0" lon="14.0"><time>2025-01-01T00:00:00Z</time></trkpt>'
    '<trkpt lat="46.001" lon="14.0"><time>2025-01-01T00:00:10Z</time></trkpt>'
    "</trkseg></trk></gpx>"
)
_TCX = (
    '<?xml version="1.0" encoding="{enc}"?>{dtd}'
    '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities>'
    '<Activity Sport="Running"><Id>2025-01-01T00:00:00Z</Id><Notes>{name}</Notes>'
    '<Lap StartTime="2025-01-01T00:00:00Z"><TotalTimeSeconds>10</TotalTimeSeconds><Track>'
    "<Trackpoint><Time>2025-01-01T00:00:00Z</Time><DistanceMeters>0</DistanceMeters></Trackpoint>"
    "<Trackpoint><Time>2025-01-01T00:00:10Z</Time><DistanceMeters>30</DistanceMeters></Trackpoint>"
    "</Track></Lap></Activity></Activities></TrainingCenterDatabase>"
)
_DTDS = {
    "internal entity": '<!DOCTYPE gpx [<!ENTITY x "injected">]>',
    "external entity": '<!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    "bare doctype": "<!DOCTYPE gpx>",
}
# (codec, the name in the declaration, a BOM): every way of writing that expat reads, and some it does not
_ENCODINGS = [
    ("utf-8", "UTF-8", b""),
    ("utf-16-le", "UTF-16", b"\xff\xfe"),
    ("utf-16-be", "UTF-16", b"\xfe\xff"),
    ("utf-16-le", "UTF-16", b""),
    ("utf-16-be", "UTF-16", b""),
    ("utf-8", "UTF-8", b"\xef\xbb\xbf"),
    ("latin-1", "ISO-8859-1", b""),
    ("cp1252", "windows-1252", b""),
    ("koi8-r", "KOI8-R", b""),
    ("ascii", "US-ASCII", b""),
    ("utf-32-le", "UTF-32", b"\xff\xfe\x00\x00"),
]


def _document(template: str, codec: str, declared: str, bom: bytes, dtd: str) -> bytes:
    name = "&x;" if "ENTITY" in dtd else "Morning run"
    return bom + template.format(enc=declared, dtd=dtd, name=name).encode(codec)


def _readable(data: bytes) -> bool:
    try:
        ET.fromstring(data)
    except ET.ParseError:
        return False
    return True


@pytest.mark.parametrize(("kind", "template"), [("gpx", _GPX), ("tcx", _TCX)])
@pytest.mark.parametrize(("codec", "declared", "bom"), _ENCODINGS)
@pytest.mark.parametrize("dtd", _DTDS.values(), ids=list(_DTDS))
def test_a_dtd_is_refused_in_any_encoding_the_parser_reads(
    kind: str, template: str, codec: str, declared: str, bom: bytes, dtd: str
) -> None:
    data = _document(template, codec, declared, bom, dtd)
    with pytest.raises(FileImportError) as info:
        parse_bytes(data, f"hostile.{kind}")
    text = str(info.value)
    if _readable(data):  # what the parser would have read (and expanded) must be refused as a DTD
        assert "declares a DTD or entities" in text, text
    assert "\n" not in text and "injected" not in text and "root:" not in text


@pytest.mark.parametrize(("kind", "template"), [("gpx", _GPX), ("tcx", _TCX)])
@pytest.mark.parametrize(("codec", "declared", "bom"), [e for e in _ENCODINGS if not e[0].startswith("utf-32")])
def test_the_same_files_without_a_dtd_import(kind: str, template: str, codec: str, declared: str, bom: bytes) -> None:
    data = _document(template, codec, declared, bom, "")
    assert _readable(data)
    (parsed,) = parse_bytes(data, f"fine.{kind}")
    assert len(parsed.activity.streams or ()) == 2


def test_utf16_entity_was_readable_so_the_refusal_matters() -> None:
    """The case from the adversarial run: expat expands a UTF-16 file's internal entity; only the check stops it."""
    data = _document(_GPX, "utf-16-le", "UTF-16", b"\xff\xfe", _DTDS["internal entity"])
    assert b"<!DOCTYPE" not in data
    name = ET.fromstring(data).find(".//{http://www.topografix.com/GPX/1/1}name")
    assert name is not None and name.text == "injected"
