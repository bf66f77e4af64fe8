"""FIT framing at the byte level: the CRC, repairing a "not computed" header CRC, and leaving record data out.

Two jobs that let the fast decoder (`fitfast`) read every valid file, and only what we need of it:

- A 14-byte header may carry CRC 0x0000, which the FIT protocol defines as "not computed"; the file CRC at the
  end still covers header and data. fitfast 0.1 (rustyfit) then checks the file CRC over the data alone and
  refuses the file. `repair_header_crc` checks the file CRC itself and, only when it is right, returns a copy whose
  header CRC is computed and whose file CRC is restated over the data (what fitfast checks once the header CRC is
  valid). A file whose CRC is really wrong is left alone, so fitfast still refuses it.
- `reframe` re-frames a file with only the data messages of the kinds asked for (definitions kept), so fitfast's
  dictionary decoder builds a few session/lap/device dicts instead of one per sample; the samples come from its
  columnar reader.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

from .fit_crc import crc16, shift_crc

RECORD = 20  # global message number of `record`
# file_id, sport, session, lap, device_info, activity, field_description, developer_data_id
SUMMARY_MESSAGES = frozenset({0, 12, 18, 19, 23, 34, 206, 207})


def segments(data: bytes, *, complete: bool = True) -> list[tuple[int, int, int]]:
    """(offset, header size, data size) of each FIT file chained in `data` (stops at the first malformed one);
    `complete` False also gives a last one cut short (its declared size runs past the end)."""
    found = []
    offset = 0
    while offset + 12 <= len(data):
        header = data[offset]
        if header not in (12, 14) or data[offset + 8 : offset + 12] != b".FIT":
            break
        size = struct.unpack_from("<I", data, offset + 4)[0]
        if offset + header + size + 2 > len(data):
            if not complete:
                found.append((offset, header, size))
            break
        found.append((offset, header, size))
        offset += header + size + 2
    return found


def repair_header_crc(data: bytes) -> bytes | None:
    """A copy fitfast accepts when some 14-byte header says "CRC not computed" (0x0000) and the file CRC is right;
    None when nothing needs repairing (or the file CRC is wrong: that file stays refused)."""
    found = segments(data)
    todo = [s for s in found if s[1] == 14 and data[s[0] + 12 : s[0] + 14] == b"\x00\x00"]
    if not todo:
        return None
    out = bytearray(data)
    for offset, header, size in todo:
        end = offset + header + size
        stored = struct.unpack_from("<H", data, end)[0]
        body = crc16(memoryview(data)[offset + header : end])  # what fitfast checks once the header CRC is valid
        whole = body ^ shift_crc(crc16(data[offset : offset + header]), size)  # what the protocol says: all of it
        if whole != stored:
            return None  # really damaged: not ours to bless
        struct.pack_into("<H", out, offset + 12, crc16(data[offset : offset + 12]))
        struct.pack_into("<H", out, end, body)
    return bytes(out)


@dataclass(frozen=True)
class Reframed:
    """A FIT file with only some kinds of data messages, and the field numbers the record definitions declared."""

    data: bytes
    record_fields: frozenset[int]


def reframe(data: bytes, keep: frozenset[int] = SUMMARY_MESSAGES) -> Reframed | None:
    """The same FIT file(s) with only the data messages whose global number is in `keep`, CRCs recomputed; None
    when the framing is not plain
    enough to re-frame safely (the caller then decodes the whole file). Never checks the input's CRC: decode the
    original with fitfast first, which does."""
    found = segments(data)
    if not found:
        return None
    parts: list[bytes] = []
    fields: set[int] = set()
    for offset, header, size in found:
        body = _strip_body(data, offset + header, offset + header + size, keep, fields)
        if body is None:
            return None
        head = bytearray(data[offset : offset + header])
        struct.pack_into("<I", head, 4, len(body))
        if header == 14:
            struct.pack_into("<H", head, 12, crc16(bytes(head[:12])))
        crc = crc16(body, crc16(bytes(head)) if header == 12 else 0)
        parts += [bytes(head), body, struct.pack("<H", crc)]
    return Reframed(b"".join(parts), frozenset(fields))


class Definition(NamedTuple):
    """One definition message: the local type it defines, the global message number, the length of each data
    message it announces (header byte included), the offset just past it, and how many fields it declares."""

    local: int
    global_num: int
    length: int
    end: int
    fields: int


def read_definition(data: bytes, i: int, end: int) -> Definition | None:
    """The definition message whose header byte is at `i`, or None when it runs past `end` (what both walks over
    the message headers share: the limits' count and the re-framing)."""
    if i + 6 > end:
        return None
    big = data[i + 2] == 1
    global_num = int.from_bytes(data[i + 3 : i + 5], "big" if big else "little")
    fields = data[i + 5]
    j = i + 6 + 3 * fields
    size = sum(data[i + 7 : j : 3])
    if data[i] & 0x20:  # developer fields
        if j >= end:
            return None
        dev = data[j]
        size += sum(data[j + 2 : j + 1 + 3 * dev : 3])
        j += 1 + 3 * dev
    return Definition(data[i] & 0x0F, global_num, 1 + size, j, fields)


def headers_of(local: int) -> list[int]:
    """Every header byte that starts a data message of `local` type: the normal one and the compressed-timestamp
    ones (local types 0-3 only, with any 5-bit time offset)."""
    normal = [local]
    if local < 4:
        normal += [0x80 | (local << 5) | offset for offset in range(32)]
    return normal


def _strip_body(data: bytes, start: int, end: int, keep: frozenset[int], record_fields: set[int]) -> bytes | None:
    # Per header byte: the data message's length (0: a definition, or a local type not defined yet) and whether
    # it is dropped. Indexing by the header byte keeps the per-message loop to a few operations.
    step = [0] * 256
    drop = [False] * 256
    kept: list[bytes] = []
    keep_from = start
    i = start
    while i < end:
        h = data[i]
        length = step[h]
        if length:
            if drop[h]:
                if keep_from < i:
                    kept.append(data[keep_from:i])
                keep_from = i + length
            i += length
            continue
        definition = read_definition(data, i, end) if h & 0xC0 == 0x40 else None
        if definition is None:
            return None  # a data message before its definition, or a definition cut short
        for header in headers_of(definition.local):
            step[header], drop[header] = definition.length, definition.global_num not in keep
        if definition.global_num == RECORD:
            record_fields.update(data[i + 6 : i + 6 + 3 * definition.fields : 3])
        i = definition.end
    if i != end:
        return None
    if keep_from < end:
        kept.append(data[keep_from:end])
    return b"".join(kept)
