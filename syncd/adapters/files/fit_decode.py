"""Decode FIT bytes into one neutral shape, with the fast decoder first and the tolerant one as fallback.

`fitfast` returns NumPy columns ~50x faster than `fitdecode` but refuses files whose CRC does not match. Valid files
whose header says "CRC not computed" (0x0000) are repaired first (fit_bytes.py), so only really damaged files fall
back to `fitdecode` with CRC checks off.
Both paths yield the same shape: record columns (float64, timestamps as Unix seconds, positions in degrees) and the
other messages as dicts (date/time fields as Unix seconds, enum values as profile names).
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import fitdecode
import fitfast
import numpy as np

from syncd.domain.model import FloatArray

from .errors import FileImportError
from .fit_bytes import reframe, repair_header_crc
from .fit_limits import MAX_MESSAGES, MAX_RECORDS
from .parsed import FIT_EPOCH_UNIX

SEMICIRCLE_DEG = 180.0 / 2**31
COMPRESSED_SPEED_DISTANCE = 8  # record field number (FIT profile)
_DATE_TYPES = frozenset({"date_time", "local_date_time"})
_REFETCH = "copy the file from the device again or re-export it from the platform"

Message = dict[str, Any]


@dataclass(frozen=True)
class FitContent:
    """A decoded FIT file: `records` columns of equal length and every other message kind by name."""

    records: dict[str, FloatArray]
    messages: dict[str, list[Message]]
    decoder: str

    def first(self, kind: str) -> Message:
        found = self.messages.get(kind) or [{}]
        return found[0]


def decode(data: bytes, name: str, *, fast: bool = True) -> FitContent:
    """Decode with fitfast, falling back to fitdecode (CRC unchecked) when fitfast refuses the file."""
    if fast:
        try:
            with _rust_panics_silenced():
                return _decode_fitfast(data)
        except (fitfast.FitDecodeError, ValueError):
            pass
        except BaseException as exc:  # a Rust panic (pyo3 PanicException) on bit-flipped input: use the slow path
            if not _is_panic(exc):
                raise
    try:
        with warnings.catch_warnings():  # a damaged file makes fitdecode warn once per bad field: hundreds of lines
            warnings.simplefilter("ignore")
            return _decode_fitdecode(data, name)
    except fitdecode.FitEOFError as exc:
        raise FileImportError(name, f"truncated FIT file ({len(data)} bytes, {exc})", _REFETCH) from exc
    except (fitdecode.FitError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise FileImportError(name, f"not a readable FIT file ({exc})", _REFETCH) from exc


@contextlib.contextmanager
def _rust_panics_silenced() -> Iterator[None]:
    """Keep Rust's panic hook (a multi-line "thread panicked at ..." on fd 2) out of the one-line-per-file output.

    The hook writes to the raw file descriptor, so stderr is pointed at /dev/null for the call; only when this is
    the only thread (the CLI import), since fd 2 is shared by every thread and their log lines must not vanish.
    """
    if threading.active_count() != 1:
        yield
        return
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _is_panic(exc: BaseException) -> bool:
    """pyo3's PanicException derives from BaseException and is not importable by name."""
    return type(exc).__name__ == "PanicException"


def _decode_fitfast(data: bytes) -> FitContent:
    """Samples from fitfast's columnar reader (which also checks the CRC); the summary messages from its dictionary
    decoder on a copy holding only those, so no per-sample dict is ever built."""
    data = repair_header_crc(data) or data
    records = {k: np.asarray(v, dtype=np.float64) for k, v in fitfast.records(data).items()}
    reframed = reframe(data)
    parsed = fitfast.parse(reframed.data if reframed is not None else data)
    parsed.pop("record", None)
    messages: dict[str, list[Message]] = {
        kind: [{k: v for k, v in m.items() if isinstance(k, str)} for m in items] for kind, items in parsed.items()
    }
    if "distance" not in records and "speed" not in records:
        packed = reframed is None or COMPRESSED_SPEED_DISTANCE in reframed.record_fields
        if packed:  # old foot-pod watches: the only case that needs the per-record dicts
            _expand_compressed_speed_distance(records, fitfast.parse(data).get("record", []))
    return FitContent(records=records, messages=messages, decoder="fitfast")


def _expand_compressed_speed_distance(records: dict[str, FloatArray], raw: Sequence[Mapping[Any, Any]]) -> None:
    """Old foot-pod watches pack speed and a 12-bit rolling distance into 3 bytes (FIT profile component).

    fitfast's columnar output skips byte fields, so expand them here from the per-message dicts.
    """
    if "distance" in records or "speed" in records or not raw:
        return
    packed = [m.get("compressed_speed_distance") for m in raw]
    if not any(isinstance(p, bytes | bytearray | list | tuple) for p in packed):
        return
    speed = np.full(len(raw), np.nan)
    distance = np.full(len(raw), np.nan)
    total = last = None
    for i, value in enumerate(packed):
        if not isinstance(value, bytes | bytearray | list | tuple) or len(value) < 3:
            continue
        b0, b1, b2 = int(value[0]), int(value[1]), int(value[2])
        speed[i] = (b0 | ((b1 & 0x0F) << 8)) / 100.0
        rolling = (b1 >> 4) | (b2 << 4)
        total = rolling if total is None or last is None else total + ((rolling - last) & 0xFFF)
        last = rolling
        distance[i] = total / 16.0
    if len(speed) == len(records.get("timestamp", ())):
        records["speed"] = speed
        records["distance"] = distance


def _decode_fitdecode(data: bytes, name: str) -> FitContent:
    rows: list[dict[str, float]] = []
    messages: dict[str, list[Message]] = {}
    count = 0
    reader = fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.DISABLED)
    with reader:
        for frame in reader:
            if not isinstance(frame, fitdecode.FitDataMessage):
                continue
            count += 1
            if count > MAX_MESSAGES or len(rows) > MAX_RECORDS:  # bounded here too: damaged framing the walk missed
                what = f"more than {MAX_RECORDS:,} samples" if len(rows) > MAX_RECORDS else f"{MAX_MESSAGES:,} messages"
                raise FileImportError(name, f"FIT file holds {what}", _REFETCH)
            if frame.name == "record":
                rows.append(_record_row(frame))
            else:
                messages.setdefault(frame.name, []).append(_message_dict(frame))
    names = sorted({k for row in rows for k in row})
    records = {k: np.array([row.get(k, np.nan) for row in rows], dtype=np.float64) for k in names}
    return FitContent(records=records, messages=messages, decoder="fitdecode")


def _record_row(frame: Any) -> dict[str, float]:
    row: dict[str, float] = {}
    for field in frame.fields:
        value = _field_value(field)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if field.units == "semicircles":
            value = value * SEMICIRCLE_DEG
        row[field.name] = float(value)
    return row


def _message_dict(frame: Any) -> Message:
    out: Message = {}
    for field in frame.fields:
        value = _field_value(field)
        if value is None or field.name.startswith("unknown_"):
            continue
        out[field.name] = value
    return out


def _field_value(field: Any) -> Any:
    """Date/times as Unix seconds (device-relative ones offset like fitfast does), everything else as decoded."""
    value = field.value
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, int) and getattr(field.type, "name", "") in _DATE_TYPES:
        return value + FIT_EPOCH_UNIX
    return value
