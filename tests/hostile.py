"""The hostile input corpus (issue 17): every kind of bad file and archive the import met from outside, built on
the fly (nothing large is checked in), and a runner that measures a child process's own peak memory.

Each entry is one kind of input; `build_files(folder)` writes them all and returns {file name: what the one-line
refusal must mention}.
"""

from __future__ import annotations

import gzip
import os
import random
import resource
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL = FIXTURES / "real"
GOOD_FIT = REAL / "2013-02-06-12-11-14.fit"
MiB = 1 << 20


def gpx(points: Sequence[tuple[str, str, str]], extra: str = "") -> bytes:
    body = "".join(f'<trkpt lat="{a}" lon="{b}">{extra}<time>{t}</time></trkpt>' for a, b, t in points)
    return (
        '<?xml version="1.0"?><gpx version="1.1" creator="x" xmlns="http://www.topografix.com/GPX/1/1">'
        f"<trk><type>running</type><trkseg>{body}</trkseg></trk></gpx>"
    ).encode()


def track(times: Sequence[str], lat: str = "46.0", lon: str = "14.5", extra: str = "") -> bytes:
    return gpx([(lat, lon, t) for t in times], extra)


def two(lat: str = "46.0", lon: str = "14.5", extra: str = "") -> bytes:
    return gpx([(lat, lon, "2025-01-01T00:00:00Z"), ("46.0", "14.5", "2025-01-01T00:10:00Z")], extra)


def tcx(points: Sequence[tuple[str, str, str]], start: str = "2025-01-01T00:00:00Z") -> bytes:
    pts = "".join(
        f"<Trackpoint><Time>{t}</Time><Position><LatitudeDegrees>{a}</LatitudeDegrees>"
        f"<LongitudeDegrees>{b}</LongitudeDegrees></Position></Trackpoint>"
        for a, b, t in points
    )
    return (
        '<?xml version="1.0"?><TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/'
        'TrainingCenterDatabase/v2"><Activities><Activity Sport="Running">'
        f'<Id>{start}</Id><Lap StartTime="{start}"><Track>{pts}</Track></Lap></Activity></Activities>'
        "</TrainingCenterDatabase>"
    ).encode()


def _panicking_fit_flips(count: int) -> list[bytes]:
    """Bit flips of a real FIT that make the fast decoder panic (found by a seeded search, so stable)."""
    import fitfast

    data = GOOD_FIT.read_bytes()
    rng = random.Random(17)
    found: list[bytes] = []
    fd = os.dup(2)  # the Rust panic hook writes to stderr: keep the test output clean
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        for _ in range(20_000):
            flipped = bytearray(data)
            flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
            try:
                fitfast.parse(bytes(flipped))
                fitfast.records(bytes(flipped))
            except BaseException as exc:
                if type(exc).__name__ == "PanicException":
                    found.append(bytes(flipped))
                    if len(found) == count:
                        break
    finally:
        os.dup2(fd, 2)
        os.close(fd)
        os.close(devnull)
    return found


def _fit_file(body: bytes) -> bytes:
    """A FIT file around `body` (definitions and data messages) with a valid header and file CRC."""
    from syncd.adapters.files.fit_crc import crc16

    head = bytearray(b"\x0e\x10\x00\x00" + len(body).to_bytes(4, "little") + b".FIT\x00\x00")
    head[12:14] = crc16(bytes(head[:12])).to_bytes(2, "little")
    return bytes(head) + body + crc16(body, crc16(bytes(head))).to_bytes(2, "little")


def _definition(local: int, global_num: int, fields: Sequence[tuple[int, int, int]]) -> bytes:
    """A little-endian definition message: (field number, size, base type) per field."""
    spec = b"".join(bytes(f) for f in fields)
    return bytes([0x40 | local, 0, 0]) + global_num.to_bytes(2, "little") + bytes([len(fields)]) + spec


def fit_of_tiny_records(count: int) -> bytes:
    """`count` one-byte record messages (a definition with no fields), valid CRC: 20 million made the fast decoder
    take 2.6 GB (issue 31). Built with the CRC's linearity: the zero bytes cost no CRC loop."""
    from syncd.adapters.files.fit_crc import crc16, shift_crc

    definition = _definition(0, 20, [])
    size = len(definition) + count
    head = bytearray(b"\x0e\x10\x00\x00" + size.to_bytes(4, "little") + b".FIT\x00\x00")
    head[12:14] = crc16(bytes(head[:12])).to_bytes(2, "little")
    crc = shift_crc(crc16(definition, crc16(bytes(head))), count)
    return bytes(head) + definition + bytes(count) + crc.to_bytes(2, "little")


def fit_of_sessions(count: int, start: int = 1_100_000_000) -> bytes:
    """A run of `count` session messages, each a minute with a few timed records: 10,000 once stored 10,000
    activities in 697 s (issue 31)."""
    u32 = 0x86
    parts = [
        _definition(0, 20, [(253, 4, u32), (3, 1, 0x02)]),  # record: timestamp, heart_rate
        _definition(1, 18, [(253, 4, u32), (2, 4, u32), (7, 4, u32), (5, 1, 0x00)]),  # session: start, elapsed, sport
    ]
    for index in range(count):
        t0 = start + 60 * index
        parts += [bytes([0]) + (t0 + s).to_bytes(4, "little") + bytes([120]) for s in range(0, 60, 20)]
        parts.append(
            bytes([1])
            + (t0 + 60).to_bytes(4, "little")
            + t0.to_bytes(4, "little")
            + (60_000).to_bytes(4, "little")
            + b"\x01"
        )
    return _fit_file(b"".join(parts))


def _zip(path: Path, members: Sequence[tuple[str, bytes]], *, compress: int = zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", compression=compress) as zf:
        for name, data in members:
            zf.writestr(name, data)


def zip_with_odd_member(
    path: Path, members: Sequence[tuple[str, bytes]], odd: str, *, method: int | None = None, encrypted: bool = False
) -> None:
    """A stored zip whose member `odd` claims compression `method` (99: WinZip AES) and/or the encryption flag, in
    both its local header and the central directory (zipfile then raises NotImplementedError / RuntimeError)."""
    import struct

    _zip(path, members, compress=zipfile.ZIP_STORED)
    raw = bytearray(path.read_bytes())
    name = odd.encode()
    for signature, flags_at, method_at, name_at in ((b"PK\x03\x04", 6, 8, 30), (b"PK\x01\x02", 8, 10, 46)):
        at = raw.find(signature)
        while at != -1:
            if raw[at + name_at : at + name_at + len(name)] == name:
                if encrypted:
                    struct.pack_into("<H", raw, at + flags_at, struct.unpack_from("<H", raw, at + flags_at)[0] | 1)
                if method is not None:
                    struct.pack_into("<H", raw, at + method_at, method)
            at = raw.find(signature, at + 4)
    path.write_bytes(bytes(raw))


def _zip_bomb(path: Path, member: str, size: int) -> None:
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
        zf.open(member, "w", force_zip64=True) as out,
    ):
        chunk = b"\0" * MiB
        for _ in range(size // MiB):
            out.write(chunk)


def build_files(folder: Path) -> dict[str, str]:
    """Write the corpus into `folder`; {relative name: a word the refusal must contain}."""
    folder.mkdir(parents=True, exist_ok=True)
    expect: dict[str, str] = {}

    def put(name: str, data: bytes, word: str) -> None:
        (folder / name).write_bytes(data)
        expect[name] = word

    # GPX: clocks, spans, coordinates, numbers, structure
    put("g01_1971_to_2026.gpx", track(["1971-01-01T00:00:00Z", "2026-01-01T00:00:00Z"]), "before GPS watches")
    put("g02_55_years.gpx", track(["1991-01-01T00:00:00Z", "2026-01-01T00:00:00Z"]), "activity spans")
    put("g03_8_days.gpx", track(["2025-01-01T00:00:00Z", "2025-01-09T00:00:00Z"]), "activity spans")
    put("g04_year_0001.gpx", track(["0001-01-01T00:00:00Z", "0001-01-01T01:00:00Z"]), "before GPS watches")
    put("g05_year_9999.gpx", track(["9999-12-31T00:00:00Z", "9999-12-31T01:00:00Z"]), "future")
    put("g06_inf_lat.gpx", two(lat="inf"), "latitude")
    put("g07_minus_inf_lon.gpx", two(lon="-inf"), "longitude")
    put("g08_lat_91.gpx", two(lat="91"), "latitude")
    put("g09_lon_1e308.gpx", two(lon="1e308"), "longitude")
    put("g10_lat_overflow.gpx", two(lat="-1e400"), "latitude")
    put("g11_lon_minus_181.gpx", two(lon="-181"), "longitude")
    teleport = [("80" if i % 2 else "-80", "0.5", f"2025-01-01T00:{i:02d}:00Z") for i in range(60)]
    put("g12_teleporting.gpx", gpx(teleport), "implausible distance")
    put("g13_bad_times.gpx", track(["not a time", "yesterday"]), "GPX")
    put("g14_year_10000.gpx", track(["10000-01-01T00:00:00Z", "10000-01-01T01:00:00Z"]), "GPX")
    put("g15_month_13.gpx", track(["2025-13-01T00:00:00Z", "2025-13-01T01:00:00Z"]), "GPX")
    put("g16_elevation_1e6.gpx", two(extra="<ele>1000000</ele>"), "altitude")
    put("g17_elevation_1e308.gpx", two(extra="<ele>1e308</ele>"), "altitude")
    put("g18_elevation_nan_text.gpx", two(extra="<ele>banana</ele>"), "GPX")
    hr = "<extensions><gpxtpx:TrackPointExtension xmlns:gpxtpx='x'><gpxtpx:hr>99999</gpxtpx:hr>"
    put("g19_heart_rate_99999.gpx", two(extra=hr + "</gpxtpx:TrackPointExtension></extensions>"), "heart_rate")
    put("g20_deep_nesting.gpx", b'<?xml version="1.0"?><gpx>' + b"<a>" * 200_000 + b"</gpx>", "GPX")
    put("g21_binary_garbage.gpx", random.Random(1).randbytes(4096), "")
    put("g22_empty.gpx", b"", "empty file")
    put(
        "g23_billion_laughs.gpx",
        b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><gpx>&c;</gpx>',
        "DTD",
    )
    put(
        "g24_xxe.gpx",
        b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]><gpx>&x;</gpx>',
        "DTD",
    )
    put("g25_utf16.gpx", two().decode().encode("utf-16"), "?")  # legal XML: may be read
    put("g26_truncated.gpx", two()[:150], "GPX")
    put("g27_no_timed_points.gpx", gpx([("46", "14", "")]).replace(b"<time></time>", b""), "GPX")
    put("g28_gzip_of_hostile.gpx.gz", gzip.compress(track(["1971-01-01T00:00:00Z", "2026-01-01T00:00:00Z"])), "GPS")
    # TCX
    put("t01_year_0001.tcx", tcx([("46", "14", "0001-01-01T00:00:00Z")], start="0001-01-01T00:00:00Z"), "")
    span = [("46", "14.5", "1990-01-01T00:00:00Z"), ("46", "14.5", "2026-01-01T00:00:00Z")]
    put("t02_36_years.tcx", tcx(span, start="1990-01-01T00:00:00Z"), "activity spans")
    put("t03_year_9999.tcx", tcx([("46", "14", "9999-01-01T00:00:00Z")], start="9999-01-01T00:00:00Z"), "")
    put("t04_lat_1000.tcx", tcx([("1000", "14", "2025-01-01T00:00:00Z"), ("46", "14", "2025-01-01T00:10:00Z")]), "")
    put("t05_garbage.tcx", b"<TrainingCenterDatabase><<<>>>", "TCX")
    put("t06_truncated.tcx", tcx([("46", "14", "2025-01-01T00:00:00Z")])[:120], "TCX")
    put("t07_future.tcx", tcx([("46", "14", "2099-01-01T00:00:00Z")], start="2099-01-01T00:00:00Z"), "future")
    # FIT
    for index, data in enumerate(_panicking_fit_flips(8)):
        name = f"f{index:02d}_bit_flip_panics_fast_decoder.fit"
        (folder / name).write_bytes(data)
        expect[name] = "?"  # decoded by the fallback, or refused: either way one line, never a traceback
    good = GOOD_FIT.read_bytes()
    put("f20_header_only.fit", good[:14], "FIT")
    put("f21_half.fit", good[: len(good) // 2], "FIT")
    put("f22_random_bytes.fit", random.Random(2).randbytes(20_000), "FIT")
    header = bytearray(good[:14])
    header[4:8] = (0xFFFFFFF0).to_bytes(4, "little")  # declares ~4 GB of data
    put("f23_huge_declared_size.fit", bytes(header) + good[14:], "?")
    put("f24_fit_magic_only.fit", b"\x0e\x10\x00\x00\x00\x00\x00\x00.FIT\x00\x00", "FIT")
    # gzip
    put("z01_gzip_bomb.gpx.gz", gzip.compress(b"\0" * (80 * MiB), compresslevel=9), "inflates past")
    put("z02_gzip_garbage.fit.gz", b"\x1f\x8b" + random.Random(3).randbytes(500), "gzip")
    put("z03_gzip_truncated.gpx.gz", gzip.compress(two())[:40], "gzip")
    # zip archives
    _zip_bomb(folder / "a01_zip_bomb.zip", "activities/bomb.gpx", 80 * MiB)
    expect["a01_zip_bomb.zip!activities/bomb.gpx"] = "not an activity file"
    _zip(folder / "a02_member_is_a_zip.zip", [("inner.fit", (REAL.parent / "broken" / "truncated.zip").read_bytes())])
    expect["a02_member_is_a_zip.zip!inner.fit"] = ""
    _zip(folder / "a03_path_traversal.zip", [("../../../../tmp/evil.gpx", two(lat="inf"))])
    expect["a03_path_traversal.zip!../../../../tmp/evil.gpx"] = "latitude"
    (folder / "a04_truncated.zip").write_bytes((folder / "a03_path_traversal.zip").read_bytes()[:60])
    expect["a04_truncated.zip"] = "zip"
    _zip(folder / "a05_empty_member.zip", [("x.gpx", b"")])
    expect["a05_empty_member.zip!x.gpx"] = "empty file"
    crc = folder / "a06_bad_crc.zip"
    _zip(crc, [("x.gpx", two() * 3)], compress=zipfile.ZIP_STORED)
    raw = bytearray(crc.read_bytes())
    raw[raw.index(b"<trkpt") + 2] ^= 0x20  # corrupt the stored data: the CRC no longer matches
    crc.write_bytes(bytes(raw))
    expect["a06_bad_crc.zip!x.gpx"] = "zip"
    _zip(
        folder / "a07_csv_garbage.zip", [("activities.csv", random.Random(4).randbytes(3000)), ("a.gpx", two(lat="91"))]
    )
    expect["a07_csv_garbage.zip!a.gpx"] = "latitude"
    expect["a07_csv_garbage.zip!activities.csv"] = "activities.csv"
    # special files
    os.mkfifo(folder / "s01_fifo.gpx")
    expect["s01_fifo.gpx"] = "FIFO"
    (folder / "s02_dev_zero.fit").symlink_to("/dev/zero")
    expect["s02_dev_zero.fit"] = "device"
    (folder / "s03_loop.gpx").symlink_to(folder / "s03_loop.gpx")
    expect["s03_loop.gpx"] = "cannot read"
    (folder / "s04_dangling.tcx").symlink_to(folder / "does-not-exist.tcx")
    expect["s04_dangling.tcx"] = "no such file"
    with (folder / "s05_sparse_65mib.gpx").open("wb") as handle:
        handle.truncate(65 * MiB)
    expect["s05_sparse_65mib.gpx"] = "larger than 64 MiB"
    return expect


@dataclass
class Measured:
    returncode: int
    stdout: str
    stderr: str
    max_rss_mb: float


_WAIT4 = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
sys.stderr.write(f"\\n@@maxrss_kb={usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_bounded(
    args: Sequence[str], env: dict[str, str], *, address_space: int = 2 << 30, timeout: float = 300
) -> Measured:
    """Run a child under an address-space limit, measuring its own peak RSS (wait4 in a tiny wrapper)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    proc = subprocess.Popen(
        [sys.executable, "-c", _WAIT4, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limit,  # noqa: PLW1509 - only setrlimit
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"{args} did not finish in {timeout} s: {err[-2000:]}") from None
    err, _, tail = err.rpartition("\n@@maxrss_kb=")
    return Measured(proc.returncode, out, err, int(tail.strip() or 0) / 1024)
