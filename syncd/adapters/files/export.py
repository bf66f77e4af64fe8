"""Strava bulk-export zips: the activity files inside, with name, type, gear and description from activities.csv.

Strava's `activities.csv` repeats some headers ("Elapsed Time", "Distance": first in display units, later in SI),
so columns are looked up by their first occurrence, and any column may be missing.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path, PurePosixPath

from syncd.domain.model import Sport

from .detect import MAX_FILE_BYTES, is_supported_name
from .errors import FileImportError
from .items import ImportItem, Reader, failing_item
from .parsed import ParsedActivity
from .sports import normalise_sport

CSV_NAME = "activities.csv"
CSV_FIELD_LIMIT = 1 << 20  # characters in one csv field (Python's default, 131,072, refused a long description)
_READABLE_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})
EXTERNAL_ID_PREFIX = "strava-export:"
_TOO_BIG = "a zip bomb or a damaged archive: import the activity files themselves"
_REDOWNLOAD = "download the export again from Strava (Settings > My Account > Download or Delete Your Account)"


def iter_zip(path: Path) -> Iterator[ImportItem]:
    """The activity files in a zip (sorted by member name); a corrupt zip yields one failing item.

    The archive is opened once and stays open while the items are consumed (reopening it per member reads the
    central directory again each time: quadratic in the size of a big export); a reader called after the
    iteration ended opens it again.
    """
    try:
        archive = zipfile.ZipFile(path)
    except PermissionError:
        yield failing_item(FileImportError(path, "permission denied", "make the file readable by the syncd user"))
        return
    except FileNotFoundError:
        yield failing_item(FileImportError(path, "no such file", "check the path"))
        return
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        yield failing_item(FileImportError(path, f"corrupt or unreadable zip archive ({exc})", _REDOWNLOAD))
        return
    with archive:
        try:
            infos = [i for i in archive.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
            rows, csv_errors = _read_rows(archive, path, infos)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
            yield failing_item(FileImportError(path, f"corrupt or unreadable zip archive ({exc})", _REDOWNLOAD))
            return
        for csv_error in csv_errors:  # the csv as a whole, or one row each: the files are imported anyway
            yield failing_item(csv_error)
        copies: dict[str, int] = {}
        for info in sorted(infos, key=lambda i: i.filename):
            if not is_supported_name(info.filename):
                continue
            # A zip may hold one name twice; reading by name would give the last copy for both, hiding the first.
            copies[info.filename] = copy = copies.get(info.filename, 0) + 1
            name = f"{path}!{info.filename}" + (f" (copy {copy} of this name)" if copy > 1 else "")
            yield ImportItem(
                name=name,
                size=info.file_size,
                reader=_member_reader(archive, path, info, name),
                export_row=rows.get(info.filename),
            )


def apply_export_row(parsed: list[ParsedActivity], row: Mapping[str, str]) -> list[ParsedActivity]:
    """Overlay what the athlete set on Strava (name, type, gear, description) and key by Strava activity id.

    The csv type wins when it is a known sport, except that a plain "Run" keeps the file's more specific run
    (treadmill, trail, track, virtual) and a generic "Workout" keeps whatever sport the file names. External ids
    become "strava-export:<id>" ("...:<leg>" for multisport).
    """
    strava_id = row.get("Activity ID", "").strip()
    type_value = row.get("Activity Type", "").strip()
    csv_sport = normalise_sport("strava", type_value) if type_value else Sport.OTHER
    out = []
    for item in parsed:
        activity = item.activity
        changes: dict[str, object] = {}
        if strava_id:
            leg = item.raw.get("leg_index", 0)
            changes["external_id"] = EXTERNAL_ID_PREFIX + strava_id + (f":{leg}" if len(parsed) > 1 else "")
        if row.get("Activity Name", "").strip():
            changes["name"] = row["Activity Name"].strip()
        if row.get("Activity Description", "").strip():
            changes["description"] = row["Activity Description"]
        if row.get("Activity Gear", "").strip():
            changes["extra"] = {**activity.extra, "gear_name": row["Activity Gear"].strip()}
        # Strava's generic "Workout" says less than a file that names its sport (a run tagged Workout stays a run)
        generic = csv_sport is Sport.WORKOUT and activity.sport is not Sport.OTHER
        if len(parsed) == 1 and csv_sport is not Sport.OTHER and not generic:
            keep_specific = csv_sport is Sport.RUN and activity.sport.is_run
            sport = activity.sport if keep_specific else csv_sport
            changes["sport"] = sport
            changes["sport_original"] = type_value
            changes["indoor"] = activity.indoor or sport in {Sport.TREADMILL_RUN, Sport.VIRTUAL_RUN}
        raw = {**item.raw, "csv": dict(row), "strava_activity_id": strava_id or None}
        out.append(replace(item, activity=replace(activity, **changes), raw=raw))  # type: ignore[arg-type]
    return out


def _read_rows(
    archive: zipfile.ZipFile, path: Path, infos: list[zipfile.ZipInfo]
) -> tuple[dict[str, dict[str, str]], list[FileImportError]]:
    """Rows of activities.csv keyed by the member name their "Filename" points at; a row that cannot be read is
    one error naming its line (that activity keeps its file's own name and type), never the end of the import."""
    candidates = [i for i in infos if PurePosixPath(i.filename).name.lower() == CSV_NAME]
    if not candidates:
        return {}, []
    info = min(candidates, key=lambda i: (i.filename.count("/"), i.filename))
    root = PurePosixPath(info.filename).parent
    where = f"{path}!{info.filename}"
    try:
        check_member(info, where)
        with archive.open(info) as handle:
            blob = handle.read(MAX_FILE_BYTES + 1)
        if len(blob) > MAX_FILE_BYTES:
            raise EOFError(f"unpacks to more than {MAX_FILE_BYTES // 2**20} MiB")
        text = blob.decode("utf-8-sig")
    except FileImportError as exc:
        return {}, [exc]
    except Exception as exc:  # BadZipFile, zlib.error, UnicodeDecodeError, ...: this member only
        problem = (
            f"unreadable {info.filename} in the export ({_first_line(exc)}); names, types and gear will be missing"
        )
        return {}, [FileImportError(where, problem, _REDOWNLOAD)]
    return _csv_rows(text, root, where)


def _csv_rows(text: str, root: PurePosixPath, where: str) -> tuple[dict[str, dict[str, str]], list[FileImportError]]:
    csv.field_size_limit(CSV_FIELD_LIMIT)  # bounded: a description may be long, not without end
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    first: dict[str, int] = {}
    for index, column in enumerate(header):
        first.setdefault(column.strip(), index)
    rows: dict[str, dict[str, str]] = {}
    errors: list[FileImportError] = []
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problem = f"line {reader.line_num} cannot be read ({exc}); that activity keeps its file's own name and type"
            errors.append(FileImportError(where, problem, _REDOWNLOAD))
            continue
        row = {column: values[index] for column, index in first.items() if index < len(values)}
        filename = row.get("Filename", "").strip()
        if filename:
            member = str(root / filename) if str(root) != "." else filename
            rows[member] = row
    return rows, errors


def check_member(info: zipfile.ZipInfo, name: str) -> None:
    """Refuse a member this zip module cannot read, in one line: encrypted, or an unsupported compression method
    (e.g. 99, WinZip's AES), before opening it raises RuntimeError or NotImplementedError."""
    if info.flag_bits & 0x1:
        raise FileImportError(
            name, "encrypted (password-protected) in the zip archive", "zip it again without a password"
        )
    if info.compress_type not in _READABLE_METHODS:
        problem = f"compressed with method {info.compress_type}, which syncd cannot unpack"
        raise FileImportError(name, problem, "zip it again with plain deflate (any zip tool's default)")


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0][:200] if lines else "") or type(exc).__name__


def _member_reader(archive: zipfile.ZipFile, path: Path, member: zipfile.ZipInfo, name: str) -> Reader:
    def read() -> bytes:
        check_member(member, name)
        if member.file_size > MAX_FILE_BYTES:
            raise FileImportError(name, f"unpacks to {member.file_size:,} bytes, not an activity file", _TOO_BIG)
        try:
            if archive.fp is not None:  # still open: the import is walking this archive
                with archive.open(member) as handle:
                    data = handle.read(MAX_FILE_BYTES + 1)  # the declared size may lie: never inflate past the cap
            else:
                with zipfile.ZipFile(path) as reopened, reopened.open(member) as handle:
                    data = handle.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, OSError, EOFError, KeyError) as exc:
            raise FileImportError(name, f"cannot read from the zip archive ({exc})", _REDOWNLOAD) from exc
        except Exception as exc:  # zlib.error and friends from a corrupt member
            raise FileImportError(name, f"corrupt data in the zip archive ({exc})", _REDOWNLOAD) from exc
        if len(data) > MAX_FILE_BYTES:
            raise FileImportError(name, f"unpacks to more than {MAX_FILE_BYTES // 2**20} MiB", _TOO_BIG)
        return data

    return read
