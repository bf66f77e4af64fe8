"""The recordings most tests import as "a folder of real files": the 12 shared recordings and the 36 corpus files
they were written against. The labelled corpus grew to 190 files for issue 28 (read by
tests/integration/test_corpus_labels.py); importing all of it in every browser, crash and CLI test would take
minutes and change the counts those tests assert."""

from __future__ import annotations

import shutil
from pathlib import Path

REAL = Path(__file__).resolve().parent / "fixtures" / "real"

SAMPLE_CORPUS = (
    "activity-small-fenix2-run.fit",
    *(f"c2eb1b_{n}.tcx.gz" for n in (2, 3, 5, 8, 9)),
    *(
        f"nike_{uuid}.gpx.gz"
        for uuid in (
            "0c97d8a7-8081-4609-b92c-5932468d7b8e",
            "26004849-dc57-4e48-bc16-11196ca043ad",
            "3468b503-b02e-4eb6-ab1c-760eca0bc5ec",
            "4383adb2-5170-467c-85b8-2d983c415e5b",
            "531a7cd6-3ae1-4a03-99dc-f6fcb8d97eb0",
            "556160e9-d74c-440c-b0af-363efb753430",
            "720bf570-d855-4303-87c2-74d85429e52d",
            "7318ef76-9ef0-40d2-8e39-57216f39ba7d",
            "7ff163c7-3486-434f-8201-e83ce7f675b6",
            "9427f130-d6a8-4a0d-bf79-3e5f61d54bb4",
            "a68bfaae-d6e8-4dab-a931-689bce3baa24",
            "aaec1dc8-8c10-4c0e-8de8-16887aadb735",
            "d7f6d5b5-8297-4a10-b15e-82decf2c8b23",
            "e2543c48-793c-45e0-8057-906422d45de7",
            "eea8fa30-e280-472f-9262-5690fb40fb32",
        )
    ),
    "rp_11km.tcx.gz",
    *(
        f"rp_2020-12-{stamp}-300_Running.tcx.gz"
        for stamp in (
            "02T06_08_29",
            "04T19_09_21",
            "06T06_36_21",
            "08T06_36_12",
            "13T07_25_55",
            "16T05_44_18",
            "20T05_50_47",
            "26T06_03_49",
        )
    ),
    "rp_run.gpx.gz",
    "rp_run.tcx.gz",
    "rp_run_garmin.tcx.gz",
    "rp_sample.tcx.gz",
    "rp_stopped_example.tcx.gz",
    "rp_strava_export.gpx.gz",
)


def real_sample(into: Path) -> Path:
    """A folder under `into` holding copies of the shared recordings and the sample of the corpus."""
    folder = into / "real"
    (folder / "corpus").mkdir(parents=True)
    for path in REAL.iterdir():
        if path.is_file() and not path.name.endswith(".tsv"):
            shutil.copy(path, folder / path.name)
    for name in SAMPLE_CORPUS:
        shutil.copy(REAL / "corpus" / name, folder / "corpus" / name)
    return folder
