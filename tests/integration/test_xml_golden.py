"""The GPX and TCX readers give, on every XML fixture (real files, the corpus, broken ones, small edge cases), the
same streams, laps, activity fields and raw summary as when tests/fixtures/xml_readers.tsv was recorded
(tests/xml_golden.py): a faster reader (issue 32) must not change a bit of what it reads."""

from __future__ import annotations

import pytest

from tests.xml_golden import FIXTURES, GOLDEN, fingerprint, synthetic, xml_files


def _recorded() -> dict[str, list[str]]:
    recorded: dict[str, list[str]] = {}
    for line in GOLDEN.read_text().splitlines()[1:]:
        name, rest = line.split("\t", 1)
        recorded.setdefault(name, []).append(rest)
    return recorded


RECORDED = _recorded()
HEADER = GOLDEN.read_text().splitlines()[0].split("\t")[1:]


def _documents() -> list[tuple[str, bytes]]:
    real = [(str(p.relative_to(FIXTURES)), p.read_bytes()) for p in xml_files()]
    return real + [(f"synthetic/{name}", data) for name, data in synthetic().items()]


def test_every_xml_fixture_is_in_the_table() -> None:
    names = [name for name, _ in _documents()]
    assert sorted(names) == sorted(RECORDED), "a fixture was added or removed: regenerate with tests.xml_golden"
    assert len(names) > 140


@pytest.mark.parametrize(("name", "data"), _documents(), ids=lambda v: v if isinstance(v, str) else "")
def test_reader_output_is_unchanged(name: str, data: bytes) -> None:
    got = fingerprint(data, name.removeprefix("synthetic/"))
    want = RECORDED[name]
    assert len(got) == len(want), (got, want)
    for got_line, want_line in zip(got, want, strict=True):
        changed = [
            f"{part}: {old} -> {new}"
            for part, old, new in zip(HEADER, want_line.split("\t"), got_line.split("\t"), strict=False)
            if old != new
        ]
        assert not changed and got_line == want_line, f"{name}: " + "; ".join(changed)
