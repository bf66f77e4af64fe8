"""The import's parser pool (adapters/files/pool.py): worker processes give what parsing in process gives, in
order, with one line per bad file, and the import service stores the same rows either way."""

from __future__ import annotations

import pickle
import shutil
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pytest

from syncd.adapters.db import Store
from syncd.adapters.files import FileImportError, ImportItem, iter_paths, parse_items, pool
from syncd.adapters.files.pool import MIN_PARALLEL_FILES, _collect
from syncd.entrypoints.wiring import import_repositories
from syncd.services.annotating import AnnotationPolicy
from syncd.services.importing import import_paths

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
FILES = sorted(p for p in REAL.iterdir() if p.suffix in {".fit", ".gpx", ".tcx"})


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for path in FILES:
        shutil.copy(path, folder / path.name)
    (folder / "zz-broken.gpx").write_bytes(b"<gpx><trk><trkseg><trkpt lat='1' lon='2'></trkseg></gpx>")
    (folder / "aa-empty.fit").write_bytes(b"")
    return folder


def _summary(activity: object) -> tuple[object, ...]:
    a = activity
    streams = a.streams  # type: ignore[attr-defined]
    return (
        a.external_id,  # type: ignore[attr-defined]
        a.sport,  # type: ignore[attr-defined]
        a.start_utc,  # type: ignore[attr-defined]
        a.distance_m,  # type: ignore[attr-defined]
        None if streams is None else float(np.nansum(streams.time_s)),
    )


def test_the_pool_parses_like_the_process_in_order_with_one_line_per_bad_file(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    assert len(FILES) + 2 >= MIN_PARALLEL_FILES  # enough files for the pool to start
    here = list(parse_items(iter_paths([folder]), workers=1))
    pooled = list(parse_items(iter_paths([folder]), workers=2))
    assert [d.item.name for d in pooled] == [d.item.name for d in here]
    assert [d.size for d in pooled] == [d.size for d in here]
    assert [str(d.error) for d in pooled] == [str(d.error) for d in here]
    errors = [d for d in pooled if d.error is not None]
    assert [Path(d.item.name).name for d in errors] == ["aa-empty.fit", "zz-broken.gpx"]
    assert all("\n" not in str(d.error) and "; " in str(d.error) for d in errors)
    assert [[_summary(e.activity) for e in d.activities] for d in pooled] == [
        [_summary(e.activity) for e in d.activities] for d in here
    ]
    assert sum(len(d.activities) for d in pooled) > len(FILES)  # multi-sport files give several


def test_an_unreadable_item_fails_alone() -> None:
    def unreadable() -> bytes:
        raise FileImportError("gone.fit", "no such file", "check the path")

    good = ImportItem(name=str(FILES[0]), size=0, reader=FILES[0].read_bytes)
    items = [good] * MIN_PARALLEL_FILES + [ImportItem(name="gone.fit", size=0, reader=unreadable), good]
    done = list(parse_items(items, workers=2))
    assert [d.error is None for d in done] == [True] * MIN_PARALLEL_FILES + [False, True]
    assert str(done[-2].error) == "gone.fit: no such file; check the path"


def test_a_dead_worker_fails_only_its_file() -> None:
    item = ImportItem(name="big.fit", size=0, reader=bytes)
    outcome = _collect(item, 10, BrokenProcessPool("a child process terminated abruptly"))
    assert outcome.activities == []
    assert str(outcome.error) == "big.fit: the parser process failed (BrokenProcessPool); import the file again"


def test_file_errors_survive_the_trip_back_from_a_worker() -> None:
    error = FileImportError("a/b.gpx", "not a readable GPX file", "export it again")
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.path, copy.problem, copy.fix) == (str(error), error.path, error.problem, error.fix)


def test_import_stores_the_same_with_or_without_the_pool(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    reports = []
    for workers in (1, 2):  # each into its own database: the same files, the same rows
        store = Store.open(f"sqlite:///{tmp_path / f'w{workers}.sqlite3'}")
        athlete = store.ensure_athlete("local")
        report = import_paths(import_repositories(store), athlete, [folder], AnnotationPolicy(), workers=workers)
        notes = sorted((o.annotated.activity.external_id, o.annotated.note or "") for o in report.annotated)
        reports.append((report.files, report.created, report.failed, notes))
        store.close()
    assert reports[0] == reports[1]
    assert reports[0][1] > 0 and len(reports[0][2]) == 2


def _items(count: int, size: int, suffix: str = ".gpx") -> list[ImportItem]:
    return [ImportItem(name=f"f{n}{suffix}", size=size, reader=lambda: b"") for n in range(count)]


def test_the_pool_starts_only_when_the_work_pays_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder of 32 recordings (11 MB) parsed pooled took longer than in one process (issue 32)."""
    monkeypatch.setattr(pool, "_idle_cores", lambda: 2.0)
    assert pool._processes(_items(32, 350_000), more=False, workers=None) == 1  # one folder: in process
    assert pool._processes(_items(32, 3_000_000), more=False, workers=None) is None  # 96 MB: worth the workers
    assert pool._processes(_items(32, 350_000, ".gpx.gz"), more=False, workers=None) is None  # inflates ~8x
    assert pool._processes(_items(pool.LOOKAHEAD, 1000), more=True, workers=None) is None  # a long import
    assert pool._processes(_items(32, 350_000), more=False, workers=2) == 2  # --jobs 2 is obeyed
    assert pool._processes(_items(MIN_PARALLEL_FILES - 1, 10**8), more=False, workers=2) == 1  # a handful
    monkeypatch.setattr(pool, "_idle_cores", lambda: 0.3)  # every core busy: workers would only queue
    assert pool._processes(_items(32, 3_000_000), more=False, workers=None) == 1
