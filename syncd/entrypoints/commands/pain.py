"""`syncd pain`: record a back-pain diary entry, list or export the diary, set an athlete's advice mode, and show
what preceded flare-ups (docs/pain.md). Scores are health data: they are printed only to the person asking."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from syncd.config import Settings

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "pain",
        help="record back pain (ATHLETE DATE SCORE), list or export the diary, set the advice mode",
        description="The back-pain diary that chooses between 'sore' and 'staying well' advice. "
        "Record: syncd pain ATHLETE DATE SCORE [--note TEXT] (SCORE 0 = no pain .. 10 = worst; DATE YYYY-MM-DD, "
        "not in the future). Runners can also write '#back N' in a run's title or description.",
    )
    parser.add_argument("athlete", nargs="?", metavar="ATHLETE", help="athlete key (e.g. strava:1001, local) or id")
    parser.add_argument("date", nargs="?", metavar="DATE", help="the day, YYYY-MM-DD")
    parser.add_argument("score", nargs="?", metavar="SCORE", help="0 (no pain) to 10 (worst)")
    parser.add_argument("--note", metavar="TEXT", help="a few words of your own (stored, never sent anywhere)")
    parser.add_argument("--list", action="store_true", help="list diary entries (of ATHLETE, if given)")
    parser.add_argument("--json", action="store_true", help="with --list/--analysis: one JSON document")
    parser.add_argument("--export", action="store_true", help="print ATHLETE's whole diary as JSON")
    parser.add_argument("--analysis", action="store_true", help="what preceded ATHLETE's flare-ups")
    parser.add_argument(
        "--mode", choices=("auto", "sore", "staying_well"), help="fix ATHLETE's advice mode (auto: from the diary)"
    )
    parser.set_defaults(handler=cmd_pain, needs_settings=True)


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"syncd: error: {message}", file=sys.stderr)
    return code


def _usage_problem(args: argparse.Namespace) -> str | None:
    actions = sum(bool(x) for x in (args.list, args.export, args.analysis, args.mode))
    if actions > 1:
        return "use one of --list, --export, --analysis, --mode at a time"
    recording = actions == 0
    if recording and (args.athlete is None or args.date is None or args.score is None):
        return "record pain as `syncd pain ATHLETE DATE SCORE`, e.g. `syncd pain local 2026-11-28 3`"
    if not recording and (args.date is not None or args.score is not None or args.note is not None):
        return "DATE, SCORE and --note are for recording an entry; leave them out with --list/--export"
    if (args.export or args.analysis or args.mode) and args.athlete is None:
        return "name the athlete, e.g. `syncd pain local --export` (`syncd pain --list` shows them)"
    return None


def cmd_pain(args: argparse.Namespace, settings: Settings | None) -> int:
    assert settings is not None
    problem = _usage_problem(args)
    if problem is not None:
        return _fail(problem)
    if args.list:
        return _list(args, settings)
    from syncd.domain.pain import PainInputError, PainSource, parse_day, parse_score
    from syncd.entrypoints.wiring import open_store, redo_marked
    from syncd.services import pain_diary
    from syncd.services.pain_listing import find_athlete

    store = open_store(settings)
    try:
        try:
            athlete = find_athlete(store, args.athlete)
            if args.mode:
                pain_diary.set_athlete_mode(store.pain_diary, athlete.id, args.mode)
                print(f"{athlete.key}: advice mode {args.mode}")
                _print_redone(redo_marked(settings, store, athlete.id))
                return EXIT_OK
            if args.export:
                exported = pain_diary.export_athlete(store.pain_diary, store, athlete.id)
                print(json.dumps(exported, indent=2, ensure_ascii=False))
                return EXIT_OK
            if args.analysis:
                reads = pain_diary.AnalysisReads(store.pain_diary, store, store, store, store.activity_reads)
                return _print_analysis(
                    pain_diary.analysis_for(
                        reads,
                        athlete.id,
                        settings.advice,
                        settings.rules,
                        default_max_hr=settings.athlete.max_heart_rate,
                    ),
                    args.json,
                )
            day, score = parse_day(args.date), parse_score(args.score)
            entry = pain_diary.record_entry(
                store.pain_diary,
                store,
                athlete.id,
                day,
                score,
                source=PainSource.CLI,
                note=args.note,
                advice=settings.advice,
            )
            print(f"recorded {athlete.key} {entry.day.isoformat()}: {entry.score}/10")
            _print_redone(redo_marked(settings, store, athlete.id))
            return EXIT_OK
        except PainInputError as exc:
            return _fail(str(exc))
    finally:
        store.close()


def _list(args: argparse.Namespace, settings: Settings) -> int:
    """The diary, read without SQLAlchemy on an existing database (issue 32)."""
    from syncd.domain.pain import PainInputError
    from syncd.entrypoints.wiring import open_reads
    from syncd.services.pain_listing import find_athlete, list_entries

    store = open_reads(settings)
    try:
        athlete = find_athlete(store, args.athlete) if args.athlete is not None else None
        entries = list_entries(store, athlete.id if athlete is not None else None)
    except PainInputError as exc:
        return _fail(str(exc))
    finally:
        store.close()
    if args.json:
        print(json.dumps({"entries": entries}, indent=2, ensure_ascii=False))
    elif not entries:
        print("no diary entries yet; record one with `syncd pain ATHLETE DATE SCORE` or write #back N on a run")
    else:
        for e in entries:
            run = f" run {e['activity_id']}" if e["activity_id"] is not None else ""
            note = f"  {e['note']}" if e["note"] else ""
            print(f"{e['date']}  {e['score']:>2}/10  {e['athlete']:<16} {e['source']:<4}{run}{note}")
    return EXIT_OK


def _print_redone(redone: int) -> None:
    """The notes the entry reached were redone in this command (no wait for the daemon's daily re-scan)."""
    if redone:
        print(f"{redone} note(s) redone with it (a platform's note that changed is queued for write-back)")


def _print_analysis(result: Any, as_json: bool) -> int:
    """The same result as the diary page; the JSON carries every number and how it was worked out."""
    from syncd.domain.pain_report import document, lines

    if as_json:
        print(json.dumps(document(result.analysis, result.athlete_key), indent=2))
        return EXIT_OK
    print("\n".join(lines(result.analysis)))
    return EXIT_OK
