"""FIT framing helpers: the CRC, the header-CRC repair and the re-framing without samples, on real files."""

from __future__ import annotations

import os
import random
from pathlib import Path

import fitfast
import pytest

from syncd.adapters.files.fit_bytes import Definition, read_definition, reframe, repair_header_crc, segments
from syncd.adapters.files.fit_crc import crc16, shift_crc
from syncd.adapters.files.fit_limits import count_messages

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REAL_FIT = sorted((FIXTURES / "real").glob("*.fit"))


def _bytewise(data: bytes, crc: int = 0) -> int:
    table = [0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401]
    table += [0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400]
    for byte in data:
        for nibble in (byte & 0xF, byte >> 4):
            tmp = table[crc & 0xF]
            crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ table[nibble]
    return crc


@pytest.mark.parametrize("size", [0, 1, 2, 3, 255, 4097, 20_001, 100_000])
def test_crc_matches_the_sdk_algorithm_at_every_size(size: int) -> None:
    rng = random.Random(size)
    data, start = os.urandom(size), rng.randrange(0x10000)
    assert crc16(data, start) == _bytewise(data, start)
    assert crc16(data, start) == crc16(data) ^ shift_crc(start, size)


def test_a_really_damaged_file_is_not_repaired() -> None:
    data = bytearray((FIXTURES / "real" / "2013-02-06-12-11-14.fit").read_bytes())
    data[500] ^= 0xFF  # a flipped byte inside the data: the file CRC no longer matches
    assert repair_header_crc(bytes(data)) is None
    assert repair_header_crc((FIXTURES / "real" / "run.fit").read_bytes()) is None  # nothing to repair


@pytest.mark.parametrize("path", REAL_FIT, ids=lambda p: p.name)
def test_reframed_file_holds_the_same_summary_messages(path: Path) -> None:
    data = path.read_bytes()
    data = repair_header_crc(data) or data
    reframed = reframe(data)
    assert reframed is not None and len(reframed.data) < len(data)
    whole = fitfast.parse(data)
    small = fitfast.parse(reframed.data)  # its CRCs are valid, or fitfast would refuse it
    assert "record" not in small
    for kind in ("file_id", "sport", "session", "lap", "activity", "device_info"):
        assert small.get(kind) == whole.get(kind), kind


def _definition(local: int, global_num: int, sizes: list[int], dev_sizes: list[int] | None = None) -> bytes:
    header = 0x40 | local | (0x20 if dev_sizes is not None else 0)
    out = bytes([header, 0, 0]) + global_num.to_bytes(2, "little") + bytes([len(sizes)])
    out += b"".join(bytes([n, size, 0x84]) for n, size in enumerate(sizes))
    if dev_sizes is not None:
        out += bytes([len(dev_sizes)]) + b"".join(bytes([n, size, 0]) for n, size in enumerate(dev_sizes))
    return out


def test_a_definition_read_once_for_both_walks() -> None:
    plain = _definition(3, 20, [4, 2, 1])
    assert read_definition(plain, 0, len(plain)) == Definition(3, 20, 1 + 7, len(plain), 3)
    with_dev = _definition(1, 18, [4], dev_sizes=[2, 8])
    assert read_definition(with_dev, 0, len(with_dev)) == Definition(1, 18, 1 + 4 + 10, len(with_dev), 1)
    big_endian = bytes([0x40, 0, 1, 0, 20, 0])
    assert read_definition(big_endian, 0, 6) == Definition(0, 20, 1, 6, 0)
    assert read_definition(plain, 0, 5) is None  # cut inside its fixed part
    cut_before_dev = _definition(1, 18, [4], dev_sizes=[])[:-1]
    assert read_definition(cut_before_dev, 0, len(cut_before_dev)) is None


@pytest.mark.parametrize("path", REAL_FIT, ids=lambda p: p.name)
def test_the_limits_walk_counts_what_the_decoder_reads(path: Path) -> None:
    """The walk before decoding (fit_limits) and the re-framing share one definition reader: both follow the file
    to its end, and the records counted are the samples the decoder returns."""
    data = path.read_bytes()
    data = repair_header_crc(data) or data
    counts = count_messages(data, stop_after=10**7)
    columns = fitfast.records(data)
    assert counts.records == len(next(iter(columns.values())))
    assert counts.sessions == len(fitfast.parse(reframe(data).data).get("session", []))  # type: ignore[union-attr]
    assert segments(data)
