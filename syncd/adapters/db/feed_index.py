"""The feed's index in memory: every live activity's order key and filter columns, kept up to date by deltas.

Counting a filtered feed, listing the sports in use and finding page N all need every activity's sport, athlete,
local week, deletion mark and current flags; the database has no index holding all of them, so each was a full
table scan (~100 ms at 100,000 activities) after any change, and `OFFSET` walked the table row by row to reach a
deep page. Here the columns live in numpy arrays (~45 bytes per activity), sorted newest first on (start_utc, id):
a count is a mask and a sum, page N is a slice of the masked ids, at any depth.

After a change the index reads only what changed: activities whose `updated_at` moved (indexed) and annotations
newer than the last one seen (their activities' current flag codes from `activity_flags`). Both reads reach back a
margin (minutes of clock skew between workers, ids committed out of order), which costs nothing since applying a
row twice gives the same index. A change in athletes or accounts (an account unlinked with its activities), a
version that went backwards or a delta larger than a fifth of the index rebuilds it whole.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np
import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from syncd.adapters.db.models import ACCOUNTS, ACTIVITIES, ACTIVITY_FLAGS, ANNOTATIONS, ATHLETES
from syncd.records import FeedCursor

if TYPE_CHECKING:
    import numpy.typing as npt

    from syncd.records import FeedFilter

    IntArray = npt.NDArray[np.int64]
    SmallArray = npt.NDArray[np.int16]
    FlagArray = npt.NDArray[np.uint32]
    BoolArray = npt.NDArray[np.bool_]

_EPOCH_LOCAL = datetime(1970, 1, 1)
_US = timedelta(microseconds=1)
CLOCK_MARGIN = timedelta(minutes=5)  # workers' clocks and commit delays: re-read rows this much older than seen
ID_MARGIN = 1000  # annotation ids another worker may commit after a higher one
_FEW = 8  # fresh rows inserted by slicing rather than by a mask over every row
_FEW_LOOKUPS = 64  # re-read rows found by their keys rather than by a scan over every row
_MEMO_SIZE = 64  # filters remembered per snapshot (each up to 8 bytes per activity)
_MISSING = object()


class Version(NamedTuple):
    """What the index was built from; any field moving means something the feed shows may have changed."""

    max_activity_id: int
    max_updated_at: datetime | None
    max_annotation_id: int
    athletes: int
    accounts: int


# Built once: constructing a statement costs more than running this one (every request reads it).
_VERSION = sa.select(
    sa.select(sa.func.max(ACTIVITIES.c.id)).scalar_subquery(),
    sa.select(sa.func.max(ACTIVITIES.c.updated_at)).scalar_subquery(),
    sa.select(sa.func.max(ANNOTATIONS.c.id)).scalar_subquery(),
    sa.select(sa.func.count()).select_from(ATHLETES).scalar_subquery(),
    sa.select(sa.func.count()).select_from(ACCOUNTS).scalar_subquery(),
)


def read_version(conn: Connection) -> Version:
    """Five index lookups (max ids, newest updated_at, two small counts): cheap enough for every request."""
    row = conn.execute(_VERSION).one()
    updated = row[1]
    if isinstance(updated, datetime) and updated.tzinfo is None:
        updated = updated.replace(tzinfo=UTC)  # max() over SQLite text loses the column's type
    elif isinstance(updated, str):
        updated = datetime.fromisoformat(updated).replace(tzinfo=UTC)
    return Version(int(row[0] or 0), updated, int(row[2] or 0), int(row[3]), int(row[4]))


@dataclass(frozen=True)
class Snapshot:
    """Live activities newest first; row i of every array is one activity. Immutable: a refresh makes a new one."""

    version: Version
    ids: IntArray
    key: IntArray  # minus start_utc in microseconds since the epoch: ascending, so searchsorted needs no copy
    local: IntArray  # start_local (naive), microseconds since 1970-01-01
    athlete: IntArray
    sport: SmallArray  # index into `sports`
    flags: FlagArray  # bit i: the current annotation has the flag code `codes[i]`
    annotated: BoolArray
    sports: tuple[str, ...]
    codes: tuple[str, ...]
    recent: frozenset[int]  # annotation ids within ID_MARGIN of the newest, already applied
    # Answers derived from this (immutable) snapshot: rows per filter, sports per athlete. Dropped with it.
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def _remember[T](self, key: Any, compute: Callable[[], T]) -> T:
        found = self.memo.get(key, _MISSING)
        if found is _MISSING:
            if len(self.memo) >= _MEMO_SIZE:
                self.memo.clear()  # a crawler walking every filter: start over rather than grow
            found = self.memo[key] = compute()
        return cast(T, found)

    def rows(self, feed_filter: FeedFilter) -> IntArray | None:
        """Positions of the rows the filter keeps, newest first; None: all of them."""

        def compute() -> IntArray | None:
            keep = self.mask(feed_filter)
            return None if keep is None else np.flatnonzero(keep)

        return self._remember(("rows", feed_filter), compute)

    def mask(self, feed_filter: FeedFilter) -> BoolArray | None:
        """Which rows the filter keeps; None: all of them."""
        keep: BoolArray | None = None

        def narrow(condition: BoolArray) -> None:
            nonlocal keep
            keep = condition if keep is None else keep & condition

        if feed_filter.athlete_id is not None:
            narrow(self.athlete == feed_filter.athlete_id)
        if feed_filter.sport is not None:
            code = self.sports.index(feed_filter.sport) if feed_filter.sport in self.sports else -1
            narrow(self.sport == code)
        if feed_filter.week is not None:
            monday = _local_us(datetime.combine(feed_filter.week, datetime.min.time()))
            narrow((self.local >= monday) & (self.local < monday + 7 * 86_400_000_000))
        if feed_filter.flag is not None:
            bit = 1 << self.codes.index(feed_filter.flag) if feed_filter.flag in self.codes else 0
            narrow((self.flags & bit) != 0)
        if feed_filter.annotated_only:
            narrow(self.annotated)
        if feed_filter.unannotated_only:
            narrow(~self.annotated)
        return keep

    def count(self, feed_filter: FeedFilter) -> int:
        rows = self.rows(feed_filter)
        return len(self) if rows is None else len(rows)

    def page_ids(self, feed_filter: FeedFilter, offset: int, limit: int) -> list[int]:
        """The ids of one page, newest first: a slice, whatever the depth."""
        rows = self.rows(feed_filter)
        if rows is None:
            return self.ids[offset : offset + limit].tolist()  # type: ignore[no-any-return]
        return self.ids[rows[offset : offset + limit]].tolist()  # type: ignore[no-any-return]

    def start_of(self, feed_filter: FeedFilter, cursor: FeedCursor) -> int:
        """How many of the filter's rows are at or above `cursor` (newer, or the same start with a higher or the
        same id): the offset of the page that follows it, found by binary search, at any depth."""
        key = -cursor.start_us
        low = int(np.searchsorted(self.key, key, "left"))
        high = int(np.searchsorted(self.key, key, "right"))
        position = low + int(np.count_nonzero(self.ids[low:high] >= cursor.id))  # the same start: higher ids first
        rows = self.rows(feed_filter)
        return position if rows is None else int(np.searchsorted(rows, position))

    def cursor_at(self, feed_filter: FeedFilter, offset: int) -> FeedCursor:
        """The key of the filter's row at `offset`."""
        rows = self.rows(feed_filter)
        position = offset if rows is None else int(rows[offset])
        return FeedCursor(-int(self.key[position]), int(self.ids[position]))

    def sport_counts(self, athlete_id: int | None) -> IntArray:
        """Activities per sport (index into `sports`), all athletes' or one's; a delta carries these over."""

        def compute() -> IntArray:
            sport = self.sport if athlete_id is None else self.sport[self.athlete == athlete_id]
            return np.bincount(sport, minlength=len(self.sports))

        return self._remember(("sport_counts", athlete_id), compute)

    def sports_in_use(self, athlete_id: int | None) -> list[str]:
        present = self.sport_counts(athlete_id) > 0
        return sorted(name for name, used in zip(self.sports, present, strict=True) if used)


# ~35 bytes per activity; every change copies these once, and page faults, not the copying, are what costs there
_DTYPES: dict[str, Any] = {
    "ids": np.int64,
    "key": np.int64,
    "local": np.int64,
    "athlete": np.int64,
    "sport": np.int16,
    "flags": np.uint32,
    "annotated": np.bool_,
}
_ARRAYS = tuple(_DTYPES)


def _epoch_us(column: Any, dialect: str) -> Any:
    """Microseconds since 1970-01-01, computed by the database: no datetime object per row for 100,000 rows."""
    if dialect == "postgresql":
        return sa.cast(sa.func.floor(sa.extract("epoch", column) * 1_000_000), sa.BigInteger)
    # SQLite holds SQLAlchemy's text form, "YYYY-MM-DD HH:MM:SS.ffffff"
    seconds = sa.cast(sa.func.strftime("%s", column), sa.BigInteger)
    return seconds * 1_000_000 + sa.cast(sa.func.substr(column, 21, 6), sa.BigInteger)


def _local_us(moment: datetime) -> int:
    return (moment.replace(tzinfo=None) - _EPOCH_LOCAL) // _US


@functools.cache
def _key_columns(dialect: str) -> tuple[Any, ...]:
    return (
        ACTIVITIES.c.id,
        _epoch_us(ACTIVITIES.c.start_utc, dialect).label("start"),
        _epoch_us(ACTIVITIES.c.start_local, dialect).label("local"),
        ACTIVITIES.c.athlete_id,
        ACTIVITIES.c.sport,
        ACTIVITIES.c.deleted,
    )


def _arrays(rows: Sequence[Any], sports: list[str]) -> dict[str, Any]:
    """Column arrays of live activity rows (unsorted, no annotations yet); new sport names join `sports`."""
    if not rows:
        return {name: np.zeros(0, dtype=dtype) for name, dtype in _DTYPES.items()}
    ids, start, local, athlete, sport, _deleted = zip(*rows, strict=True)
    index = {name: n for n, name in enumerate(sports)}
    for name in set(sport):
        if name not in index:
            index[name] = len(sports)
            sports.append(str(name))
    return {
        "ids": np.array(ids, dtype=np.int64),
        "key": -np.array(start, dtype=np.int64),
        "local": np.array(local, dtype=np.int64),
        "athlete": np.array(athlete, dtype=np.int64),
        "sport": np.array([index[name] for name in sport], dtype=np.int16),
        "flags": np.zeros(len(rows), dtype=np.uint32),
        "annotated": np.zeros(len(rows), dtype=bool),
    }


def _bit(codes: list[str], code: str) -> int:
    if code not in codes:
        codes.append(code)
    index = codes.index(code)
    return 1 << index if index < 32 else 0  # FlagCode has a dozen members; 32 bits leave room for years


def _apply_annotations(
    arrays: dict[str, Any], annotated: Sequence[int], flag_rows: Sequence[Any], codes: list[str]
) -> None:
    """Mark `annotated` activities as having an annotation whose flag codes are exactly those in `flag_rows`."""
    if not annotated:
        return
    arrays["annotated"], arrays["flags"] = arrays["annotated"].copy(), arrays["flags"].copy()  # may be base's
    hit = np.flatnonzero(np.isin(arrays["ids"], np.array(annotated, dtype=np.int64)))
    arrays["annotated"][hit] = True
    arrays["flags"][hit] = 0
    if not flag_rows or not len(hit):
        return
    hit_ids = arrays["ids"][hit]
    order = np.argsort(hit_ids)
    ordered = hit_ids[order]
    owners = np.array([int(r.activity_id) for r in flag_rows], dtype=np.int64)
    bits = np.array([_bit(codes, str(r.code)) for r in flag_rows], dtype=np.uint32)
    found = np.minimum(np.searchsorted(ordered, owners), len(ordered) - 1)
    present = ordered[found] == owners
    np.bitwise_or.at(arrays["flags"], hit[order[found[present]]], bits[present])


def _insert(arrays: dict[str, Any], fresh: dict[str, Any]) -> dict[str, Any]:
    """`fresh` rows put in their places in `arrays` (ascending key, then descending id) without sorting everything."""
    count = len(fresh["ids"])
    if not count:
        return arrays
    order = np.lexsort((-fresh["ids"], fresh["key"]))
    fresh = {name: value[order] for name, value in fresh.items()}
    low = np.searchsorted(arrays["key"], fresh["key"], "left")
    high = np.searchsorted(arrays["key"], fresh["key"], "right")
    for n in np.flatnonzero(high > low).tolist():  # the same start: the higher id goes first
        low[n] += int(np.count_nonzero(arrays["ids"][low[n] : high[n]] > fresh["ids"][n]))
    if count <= _FEW:  # a new activity or two: slices copied around them, no mask over every row
        return {name: np.insert(arrays[name], low, fresh[name]) for name in _ARRAYS}
    target = low + np.arange(count)
    old = np.ones(len(arrays["ids"]) + count, dtype=bool)
    old[target] = False
    merged = {}
    for name in _ARRAYS:
        out = np.empty(len(old), dtype=arrays[name].dtype)
        out[old] = arrays[name]
        out[target] = fresh[name]
        merged[name] = out
    return merged


def _rows_of(base: Snapshot, read: IntArray, keys: IntArray) -> BoolArray:
    """Which of `base`'s rows hold the `read` ids. A few re-read rows are looked for at their keys (a changed row
    mostly kept its start; a new one is in no row), and only those not found there by a scan over every row: a
    scan per re-read id was most of the delta after one new activity at 100,000."""
    if len(read) > _FEW_LOOKUPS:
        return np.isin(base.ids, read)
    gone = np.zeros(len(base), dtype=bool)
    low = np.searchsorted(base.key, keys, "left").tolist()
    high = np.searchsorted(base.key, keys, "right").tolist()
    elsewhere = []
    for activity_id, first, last in zip(read.tolist(), low, high, strict=True):
        hit = np.flatnonzero(base.ids[first:last] == activity_id)
        if len(hit):
            gone[first + int(hit[0])] = True
        elif activity_id <= base.version.max_activity_id:  # moved, or committed after a higher id: look everywhere
            elsewhere.append(activity_id)
    if elsewhere:
        gone |= np.isin(base.ids, np.array(elsewhere, dtype=np.int64))
    return gone


def _changed(base: Snapshot, read: IntArray, keys: IntArray, fresh: dict[str, Any]) -> tuple[BoolArray, dict[str, Any]]:
    """Which of `base`'s rows the re-read ids (with their keys now) replace, and the fresh rows that differ from what
    `base` holds.

    The delta re-reads every row touched within CLOCK_MARGIN: usually all but the newest are as the index has them
    already, and leaving them in place spares copying every array to take them out and put them back."""
    gone = _rows_of(base, read, keys)
    if not gone.any() or not len(fresh["ids"]):
        return gone, fresh
    at = np.flatnonzero(gone)
    where = dict(zip(base.ids[at].tolist(), at.tolist(), strict=True))
    found = np.array([where.get(i, -1) for i in fresh["ids"].tolist()], dtype=np.int64)
    same = found >= 0
    for name in ("key", "local", "athlete", "sport"):
        same &= getattr(base, name)[found] == fresh[name]  # found -1 reads the last row: masked by `same`
    if not same.any():
        return gone, fresh
    gone[found[same]] = False
    return gone, {name: value[~same] for name, value in fresh.items()}


def _snapshot(
    version: Version, arrays: dict[str, Any], sports: list[str], codes: list[str], recent: frozenset[int]
) -> Snapshot:
    return Snapshot(version=version, **arrays, sports=tuple(sports), codes=tuple(codes), recent=recent)


# The delta's statements, built once: constructing one cost about as much as running it (six a change).
_LOW: sa.BindParameter[int] = sa.bindparam("low")
_IDS: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
_ABOVE = sa.select(ANNOTATIONS.c.id).where(ANNOTATIONS.c.id > _LOW)
_WINDOW = (ANNOTATIONS.c.id > _LOW) & (ANNOTATIONS.c.id <= sa.bindparam("high"))
_WINDOW_COUNT = sa.select(sa.func.count()).select_from(ANNOTATIONS).where(_WINDOW)
_WINDOW_IDS = sa.select(ANNOTATIONS.c.id).where(_WINDOW)
_ACTIVITIES_OF = sa.select(ANNOTATIONS.c.activity_id).where(ANNOTATIONS.c.id.in_(_IDS)).distinct()
_FLAGS_OF = sa.select(ACTIVITY_FLAGS.c.activity_id, ACTIVITY_FLAGS.c.code).where(ACTIVITY_FLAGS.c.activity_id.in_(_IDS))


@functools.cache
def _changed_rows(dialect: str) -> sa.Select[Any]:
    """Activities written since `since` or above `max_id`, at most `limit`."""
    since = sa.bindparam("since", type_=ACTIVITIES.c.updated_at.type)
    return (
        sa.select(*_key_columns(dialect))
        .where(sa.or_(ACTIVITIES.c.updated_at >= since, ACTIVITIES.c.id > sa.bindparam("max_id")))
        .limit(sa.bindparam("limit"))
    )


def _recent_annotations(conn: Connection, newest: int) -> frozenset[int]:
    """The last ID_MARGIN annotation ids: read before the flags, so every id it holds has been applied."""
    return frozenset(conn.execute(sa.select(ANNOTATIONS.c.id).where(ANNOTATIONS.c.id > newest - ID_MARGIN)).scalars())


def _recent_since(conn: Connection, old_max: int, seen: frozenset[int]) -> frozenset[int]:
    """The annotation ids above `old_max - ID_MARGIN` as the database holds them now. The ids above `old_max` are
    read; the window below it is read again only when its count differs from what was seen there (another
    worker's transaction committed late), so the usual change costs two index lookups, not ID_MARGIN rows."""
    low = old_max - ID_MARGIN
    above = set(conn.execute(_ABOVE, {"low": old_max}).scalars())
    below = {found for found in seen if low < found <= old_max}
    if conn.execute(_WINDOW_COUNT, {"low": low, "high": old_max}).scalar_one() != len(below):
        below = set(conn.execute(_WINDOW_IDS, {"low": low, "high": old_max}).scalars())
    return frozenset(above | below)


def _annotated_since(conn: Connection, recent: frozenset[int], seen: frozenset[int]) -> list[int]:
    """The activities of the annotations in `recent` not already in `seen`."""
    new = sorted(recent - seen)
    if not new:
        return []
    found = conn.execute(_ACTIVITIES_OF, {"ids": new})
    return sorted(int(activity_id) for activity_id in found.scalars())


def _build(conn: Connection, version: Version) -> Snapshot:
    recent = _recent_annotations(conn, version.max_annotation_id)
    rows = conn.execute(sa.select(*_key_columns(conn.dialect.name)).where(~ACTIVITIES.c.deleted)).all()
    sports: list[str] = []
    codes: list[str] = []
    arrays = _arrays(rows, sports)
    order = np.lexsort((-arrays["ids"], arrays["key"]))  # newest first; the same start: the higher id first
    arrays = {name: value[order] for name, value in arrays.items()}
    annotated = [int(a) for a in conn.execute(sa.select(ANNOTATIONS.c.activity_id).distinct()).scalars()]
    flag_rows = conn.execute(sa.select(ACTIVITY_FLAGS.c.activity_id, ACTIVITY_FLAGS.c.code)).all()
    _apply_annotations(arrays, annotated, flag_rows, codes)
    return _snapshot(version, arrays, sports, codes, recent)


def _delta(conn: Connection, base: Snapshot, version: Version) -> Snapshot | None:
    """`base` brought up to `version` from what changed since; None when a full build is the better deal."""
    old = base.version
    if (old.athletes, old.accounts) != (version.athletes, version.accounts) or old.max_updated_at is None:
        return None
    if version.max_activity_id < old.max_activity_id or version.max_annotation_id < old.max_annotation_id:
        return None
    since = old.max_updated_at - CLOCK_MARGIN
    limit = max(1000, len(base) // 5)
    rows = conn.execute(
        _changed_rows(conn.dialect.name), {"since": since, "max_id": old.max_activity_id, "limit": limit + 1}
    ).all()
    if len(rows) > limit:
        return None
    sports, codes = list(base.sports), list(base.codes)
    fresh = _arrays([r for r in rows if not r.deleted], sports)
    read = np.array([int(r.id) for r in rows], dtype=np.int64)
    gone, fresh = _changed(base, read, -np.array([int(r.start) for r in rows], dtype=np.int64), fresh)
    if gone.any():  # an edited activity keeps its annotation: carry it over
        states = zip(base.flags[gone].tolist(), base.annotated[gone].tolist(), strict=True)
        carried = dict(zip(base.ids[gone].tolist(), states, strict=True))
        for n, activity_id in enumerate(fresh["ids"].tolist()):
            if activity_id in carried:
                fresh["flags"][n], fresh["annotated"][n] = carried[activity_id]
    kept = ~gone if gone.any() else slice(None)
    arrays = _insert({name: getattr(base, name)[kept] for name in _ARRAYS}, fresh)
    recent = _recent_since(conn, old.max_annotation_id, base.recent)
    annotated = _annotated_since(conn, recent, base.recent)
    recent = frozenset(found for found in recent if found > version.max_annotation_id - ID_MARGIN)
    flag_rows = conn.execute(_FLAGS_OF, {"ids": annotated}).all() if annotated else []
    _apply_annotations(arrays, annotated, flag_rows, codes)
    fresh_snapshot = _snapshot(version, arrays, sports, codes, recent)
    _carry_sport_counts(base, fresh_snapshot, gone, fresh)
    return fresh_snapshot


def _carry_sport_counts(base: Snapshot, new: Snapshot, gone: BoolArray, fresh: dict[str, Any]) -> None:
    """The per-sport counts `base` had worked out, brought up to `new` from the rows that left and came (a
    count over every activity after each change was most of the first request after it)."""
    width = len(new.sports)
    for key, counts in list(base.memo.items()):
        if key[0] != "sport_counts":
            continue
        athlete = key[1]
        left = base.sport[gone] if athlete is None else base.sport[gone & (base.athlete == athlete)]
        came = fresh["sport"] if athlete is None else fresh["sport"][fresh["athlete"] == athlete]
        carried = np.zeros(width, dtype=np.int64)
        carried[: len(counts)] = counts
        carried -= np.bincount(left, minlength=width)
        carried += np.bincount(came, minlength=width)
        new.memo[key] = carried


class _Holder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.snapshot: Snapshot | None = None


_HOLDERS: weakref.WeakKeyDictionary[Engine, _Holder] = weakref.WeakKeyDictionary()
_HOLDERS_LOCK = threading.Lock()


def current(conn: Connection) -> Snapshot:
    """The index as of now for `conn`'s database: reused while the version holds, else brought up to date."""
    version = read_version(conn)
    with _HOLDERS_LOCK:
        holder = _HOLDERS.setdefault(conn.engine, _Holder())
    found = holder.snapshot
    if found is not None and found.version == version:
        return found
    with holder.lock:  # one refresh at a time; the others then find it done
        found = holder.snapshot
        if found is not None and found.version == version:
            return found
        fresh = (_delta(conn, found, version) if found is not None else None) or _build(conn, version)
        holder.snapshot = fresh
        return fresh
