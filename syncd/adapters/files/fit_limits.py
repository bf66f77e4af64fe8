"""Limits on a FIT file, checked on its framing before any decoder builds anything (issue 31).

A 42 MB FIT file of 20 million one-byte records (valid CRC) took 2.6 GB in the fast decoder and 5.7 GB in the
tolerant one; a 141 KB file of 10,000 sessions stored 10,000 activities in 697 s. Both are refused here in one
line naming the limit, after a walk over the message headers that stops as soon as a limit is passed (so it costs
at most ~MAX_MESSAGES steps, a fraction of a second, whatever the file holds).

The limits sit far above anything a device records: a week of 1 Hz samples is ~600,000 records; a triathlon is 5
sessions (swim, two transitions, bike, run); a multi-day stage file a few dozen.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import FileImportError
from .fit_bytes import RECORD, headers_of, read_definition, segments

SESSION = 18  # global message number of `session`
MAX_RECORDS = 1_000_000  # samples (11.5 days at one a second)
MAX_MESSAGES = 2_000_000  # data messages of every kind
MAX_DECODED_BYTES = 512 << 20  # samples x fields x 8 bytes: the decoded columns
MAX_ACTIVITIES = 25  # sessions, so activities, in one file
_FIX = "this is not a recording a device makes; export the activities one by one from the device or platform"


@dataclass(frozen=True)
class FitCounts:
    """Data messages counted by the walk (stopped early when a limit was passed); `fields` is the most fields a
    record definition declared."""

    records: int = 0
    sessions: int = 0
    messages: int = 0
    fields: int = 0


def check_limits(data: bytes, name: str, *, max_activities: int | None = None) -> FitCounts:
    """Raise a one-line FileImportError when the file passes a limit; the counts otherwise. Framing the walk cannot
    follow ends the walk (the decoders then judge the file; their own counts are bounded too)."""
    counts = count_messages(data, stop_after=MAX_MESSAGES)
    check_sessions(counts.sessions, name, max_activities=max_activities)
    if counts.records > MAX_RECORDS:
        raise FileImportError(name, f"FIT file holds more than {MAX_RECORDS:,} samples (record messages)", _FIX)
    if counts.messages > MAX_MESSAGES:
        raise FileImportError(name, f"FIT file holds more than {MAX_MESSAGES:,} messages", _FIX)
    decoded = counts.records * max(counts.fields, 1) * 8
    if decoded > MAX_DECODED_BYTES:
        raise FileImportError(
            name, f"FIT file would decode to {decoded >> 20:,} MiB, more than {MAX_DECODED_BYTES >> 20} MiB", _FIX
        )
    return counts


def check_sessions(sessions: int, name: str, *, max_activities: int | None = None) -> None:
    """Refuse a file of more sessions than one file may hold (`[files] max_activities_per_file`, None: the
    default MAX_ACTIVITIES); also used on the decoders' own count."""
    max_activities = MAX_ACTIVITIES if max_activities is None else max_activities
    if sessions > max_activities:
        problem = f"FIT file holds {sessions:,} sessions, more than the {max_activities} activities one file may hold"
        raise FileImportError(name, problem, _FIX)


def count_messages(data: bytes, *, stop_after: int) -> FitCounts:
    """Count data messages per kind by walking the headers (definitions give each local type's length)."""
    records = sessions = messages = widest = 0
    for offset, header, size in segments(data, complete=False):
        end = min(offset + header + size, len(data))
        walked = _walk(data, offset + header, end, stop_after - messages)
        records, sessions, messages = records + walked[0], sessions + walked[1], messages + walked[2]
        widest = max(widest, walked[3])
        if messages > stop_after:
            break
    return FitCounts(records, sessions, messages, widest)


def _walk(data: bytes, start: int, end: int, budget: int) -> tuple[int, int, int, int]:
    """(records, sessions, data messages, widest record definition) from start to end, or until `budget` is
    passed or the framing breaks."""
    step = [0] * 256  # per header byte: the data message's length (0: a definition, or undefined)
    kind = [0] * 256  # per header byte: 1 record, 2 session, 0 other
    counted = [0, 0, 0]
    widest = messages = 0
    i = start
    while i < end:
        h = data[i]
        length = step[h]
        if length:
            counted[kind[h]] += 1
            messages += 1
            if messages > budget:
                break
            i += length
            continue
        definition = read_definition(data, i, end) if h & 0xC0 == 0x40 else None
        if definition is None:
            break  # a data message before its definition, or a cut definition: the decoders judge the rest
        tag = 1 if definition.global_num == RECORD else 2 if definition.global_num == SESSION else 0
        if tag == 1:
            widest = max(widest, definition.fields)
        for header in headers_of(definition.local):
            step[header], kind[header] = definition.length, tag
        i = definition.end
    return counted[1], counted[2], messages, widest
