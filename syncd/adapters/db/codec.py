"""Streams <-> bytes for the `streams` table: one compressed blob per activity, lossless.

Lossless because the store promises `get_activity` returns an equal Activity, and because rules re-run on stored
streams must see what the device recorded. Most channels are decimals with few digits (1 s time steps, 1e-7 deg
GPS, integer heart rate), so each channel is tried as integers at a decimal scale 10**k (k = 0..7): if dividing
(or multiplying by 10**-k) reproduces every value bit for bit, the channel is stored as first differences of those
integers in the narrowest integer type. Otherwise it falls back to float64 bit patterns XOR-ed with the previous
sample. NaNs go in a packed bit mask. Bytes are grouped by significance ("byte shuffle") and the body is
zlib-compressed.

Layout: version byte (1) + zlib(body). Body: header `<IB` (samples, channels), then per channel a header
`<BBBBBI` (channel index in Streams.CHANNELS, encoding, scale k (+0x80: multiply), integer width, has-mask,
payload length) followed by the NaN mask (if any) and the payload.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import numpy.typing as npt

from syncd.domain.model import FloatArray, Streams

FORMAT_VERSION = 1
_HEADER = struct.Struct("<IB")
_CHANNEL = struct.Struct("<BBBBBI")
_ENC_EMPTY = 0  # every sample is NaN (or there are none): only the mask matters
_ENC_SCALED = 1  # integers at a decimal scale, delta-encoded
_ENC_XOR = 2  # float64 bits XOR previous sample
_MAX_SCALE = 7
_PROBE = 64  # values a scale is tried on before the whole channel
_MULTIPLY = 0x80  # flag in the scale byte: decode as ints * 10**-k instead of ints / 10**k
_WIDTHS = ((1, np.int8), (2, np.int16), (4, np.int32), (8, np.int64))
_WIDTH_TYPES = dict(_WIDTHS)


class CodecError(ValueError):
    """A stored streams blob cannot be decoded (corrupt or written by a newer syncd)."""


def _shuffle(raw: bytes, width: int) -> bytes:
    if width == 1:
        return raw
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, width).T.tobytes()


def _unshuffle(raw: bytes, width: int) -> bytes:
    if width == 1:
        return raw
    return np.frombuffer(raw, dtype=np.uint8).reshape(width, -1).T.tobytes()


_FACTORS = np.array([10.0**k for k in range(_MAX_SCALE + 1)])[:, None]
_INVERSES = np.array([10.0 ** (-k) for k in range(_MAX_SCALE + 1)])[:, None]


def _scaled(values: FloatArray) -> tuple[int, npt.NDArray[np.int64]] | None:
    """(k, integers) such that integers / 10**k reproduces `values` exactly, or None.

    Every scale is tried at once on the first _PROBE values (the same float operations as one scale at a time,
    so the same scale wins), and only a scale that passes there is tried on the whole channel: an import encodes
    each channel about once instead of once per scale tried (issue 32)."""
    if not np.isfinite(values).all():
        return None
    peak = float(np.abs(values).max(initial=0.0))
    # the largest of abs(round(values * factor)) must stay exact in a float64: scales from the first that
    # overflows on are never tried
    usable = next((k for k in range(_MAX_SCALE + 1) if np.round(peak * 10.0**k) >= 2.0**53), _MAX_SCALE + 1)
    probe = values[:_PROBE]
    probe_ints = np.round(probe * _FACTORS[:usable]).astype(np.int64)
    # Decoders produce decimals either as raw / 10**k or as raw * 10**-k; the two differ in the last bit.
    divided = (probe_ints / _FACTORS[:usable] == probe).all(axis=1)
    multiplied = (probe_ints * _INVERSES[:usable] == probe).all(axis=1)
    for k in np.flatnonzero(divided | multiplied).tolist():
        codes = [code for code, ok in ((k, divided[k]), (k | _MULTIPLY, multiplied[k])) if ok]
        ints = np.round(values * 10.0**k).astype(np.int64)
        for code in codes:
            if np.array_equal(_unscale(ints, code), values):
                return code, ints
    return None


def _unscale(ints: npt.NDArray[np.int64], code: int) -> FloatArray:
    k = code & ~_MULTIPLY
    result = ints * 10.0 ** (-k) if code & _MULTIPLY else ints / 10.0**k
    return np.asarray(result, dtype=np.float64)


def _encode_channel(index: int, column: FloatArray) -> bytes:
    column = np.ascontiguousarray(column, dtype=np.float64)
    nan = np.isnan(column)
    has_mask = bool(nan.any())
    mask = np.packbits(nan).tobytes() if has_mask else b""
    values = column[~nan]
    if values.size == 0:
        return _CHANNEL.pack(index, _ENC_EMPTY, 0, 0, int(has_mask), 0) + mask
    found = _scaled(values)
    if found is not None:
        scale, ints = found
        deltas = np.diff(ints, prepend=np.int64(0))
        low, high = int(deltas.min()), int(deltas.max())
        width, dtype = next((w, t) for w, t in _WIDTHS if np.iinfo(t).min <= low and high <= np.iinfo(t).max)
        payload = _shuffle(deltas.astype(np.dtype(dtype).newbyteorder("<")).tobytes(), width)
        return _CHANNEL.pack(index, _ENC_SCALED, scale, width, int(has_mask), len(payload)) + mask + payload
    bits = values.astype("<f8").view("<u8")
    xored = bits ^ np.concatenate(([np.uint64(0)], bits[:-1]))
    payload = _shuffle(xored.tobytes(), 8)
    return _CHANNEL.pack(index, _ENC_XOR, 0, 8, int(has_mask), len(payload)) + mask + payload


# zlib level 6 compresses ~5x faster than 9 for ~1 % more bytes on real streams (bench/RESULTS.md).
ZLIB_LEVEL = 6


def pack_streams(streams: Streams) -> bytes:
    """The uncompressed body: what the content hash covers, so an unchanged activity is never compressed."""
    channels = streams.channels()
    parts = [_HEADER.pack(len(streams), len(channels))]
    for name, column in channels.items():
        parts.append(_encode_channel(Streams.CHANNELS.index(name), column))
    return b"".join(parts)


def compress_packed(body: bytes, *, level: int = ZLIB_LEVEL) -> bytes:
    """The stored blob for a body from `pack_streams`."""
    return bytes([FORMAT_VERSION]) + zlib.compress(body, level)


def encode_streams(streams: Streams, *, level: int = ZLIB_LEVEL) -> bytes:
    """Compress `streams` into a self-describing blob (see module docstring)."""
    return compress_packed(pack_streams(streams), level=level)


def _decode_values(encoding: int, k: int, width: int, payload: bytes) -> FloatArray | None:
    """A channel's present (non-NaN) values; None for a channel without any."""
    if encoding == _ENC_SCALED:
        dtype = np.dtype(_WIDTH_TYPES[width]).newbyteorder("<")
        deltas = np.frombuffer(_unshuffle(payload, width), dtype=dtype).astype(np.int64)
        return _unscale(np.cumsum(deltas), k)
    if encoding == _ENC_XOR:
        xored = np.frombuffer(_unshuffle(payload, 8), dtype="<u8")
        values: FloatArray = np.bitwise_xor.accumulate(xored).view("<f8")
        return values
    if encoding != _ENC_EMPTY:
        raise CodecError(f"unknown channel encoding {encoding}")
    return None


def decode_streams(blob: bytes) -> Streams:
    """Inverse of `encode_streams`; raises CodecError on anything it does not recognise."""
    if not blob:
        raise CodecError("empty streams blob: re-import or re-sync the activity")
    if blob[0] != FORMAT_VERSION:
        raise CodecError(f"streams blob has format version {blob[0]}, this syncd reads {FORMAT_VERSION}: upgrade syncd")
    try:
        body = zlib.decompress(blob[1:])
        n, count = _HEADER.unpack_from(body, 0)
        offset = _HEADER.size
        columns: dict[str, FloatArray] = {}
        for _ in range(count):
            index, encoding, k, width, has_mask, length = _CHANNEL.unpack_from(body, offset)
            offset += _CHANNEL.size
            nan = None
            if has_mask:
                mask_len = (n + 7) // 8
                nan = np.unpackbits(np.frombuffer(body, np.uint8, mask_len, offset), count=n).astype(bool)
                offset += mask_len
            payload = body[offset : offset + length]
            offset += length
            values = _decode_values(encoding, k, width, payload)
            if nan is None and values is not None and len(values) == n:
                columns[Streams.CHANNELS[index]] = values  # no gaps: the decoded values are the column
                continue
            column = np.full(n, np.nan, dtype=np.float64)
            if values is not None:
                column[~nan if nan is not None else slice(None)] = values
            columns[Streams.CHANNELS[index]] = column
    except (zlib.error, struct.error, ValueError, IndexError, KeyError) as exc:
        if isinstance(exc, CodecError):
            raise
        raise CodecError(f"corrupt streams blob ({exc}): re-import or re-sync the activity") from None
    return Streams(**columns)
