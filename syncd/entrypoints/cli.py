"""The `syncd` command. Exit codes (DESIGN.md): 0 ok, 1 failure, 2 usage or configuration error.

Errors are one line on stderr naming the problem and the fix; `--debug` adds the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncd import __version__
from syncd.config import ConfigError, Settings, load_settings
from syncd.entrypoints import commands
from syncd.entrypoints.tables import printable
from syncd.logging import configure_logging, get_logger, redact_text

if TYPE_CHECKING:
    from syncd.adapters.parallel import ProcessMap
    from syncd.domain.model import Sport

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
EXIT_BROKEN_PIPE = 141
log = get_logger("syncd.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="syncd",
        description="Sync runs from Strava/Garmin and local files, and annotate them with back-care advice.",
    )
    parser.add_argument("--version", action="version", version=f"syncd {__version__}")
    parser.add_argument("--config", type=Path, help="config file (default: $SYNCD_CONFIG, then XDG, then /etc)")
    parser.add_argument("--database-url", help="override [database] url")
    parser.add_argument("--log-format", choices=("auto", "json", "console"), default="auto")
    parser.add_argument("--debug", action="store_true", help="verbose logs and full tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = sub.add_parser("init", help="write a commented example config file")
    init.add_argument("--path", type=Path, help="where to write it (default: the user config path)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.add_argument("--print", dest="print_only", action="store_true", help="print it instead of writing")
    init.set_defaults(handler=cmd_init, needs_settings=False)

    doctor = sub.add_parser("doctor", help="check config, database and permissions; say how to fix problems")
    doctor.set_defaults(handler=cmd_doctor, needs_settings=False)

    _add_import(sub)

    ann = sub.add_parser("annotate", help="annotate local files without storing them")
    ann.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    ann.add_argument("--json", action="store_true", help="print one JSON document (see DESIGN.md)")
    ann.add_argument("--osm", type=Path, metavar="FILE", help="OSM extract (.osm.pbf) for surfaces")
    ann.add_argument(
        "--sport",
        type=_sport_argument,
        metavar="S",
        help="the files' sport (run, trail_run, walk, hike, ride, ...): overrides the file and any guess",
    )
    ann.set_defaults(handler=cmd_annotate, needs_settings=True)

    rean = sub.add_parser("reannotate", help="re-run the rules on stored activities whose rules version changed")
    rean.add_argument("--since", type=_parse_date, help="only activities that started on/after DATE (YYYY-MM-DD)")
    rean.add_argument(
        "--write-back",
        action="store_true",
        help="backfill: also write notes into activities since DATE, outside [notes] annotation_window_days "
        "(within the rate budget; says how long it takes)",
    )
    _add_jobs(rean, "processes running the rules (default: one per core, up to 4; 1 runs them in this process)")
    rean.set_defaults(handler=cmd_reannotate, needs_settings=True)

    status = sub.add_parser("status", help="what is stored and its state")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_status, needs_settings=True)
    for module in pkgutil.iter_modules(commands.__path__, prefix=f"{commands.__name__}."):
        importlib.import_module(module.name).register(sub)
    _remember_parsers(parser)
    return parser


def _add_import(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = sub.add_parser("import", help="import FIT/GPX/TCX files, folders or a Strava export zip")
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    imp.add_argument("--athlete", default=None, help="athlete key to import for (default: the local athlete)")
    imp.add_argument("--quiet", action="store_true", help="print only the summary")
    _add_jobs(imp, "processes parsing the files and running the rules (default: one per core, up to 4; 1: none)")
    imp.set_defaults(handler=cmd_import, needs_settings=True)


def _add_jobs(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--jobs", type=_jobs_argument, default=None, metavar="N", help=what)


def _rules_processes(jobs: int | None) -> ProcessMap:
    """Worker processes for the rules over many stored activities (started only when a batch is large enough)."""
    from syncd.adapters.parallel import ProcessMap

    return ProcessMap(jobs, preload=["syncd.services.annotating"])


def _remember_parsers(parser: argparse.ArgumentParser) -> None:
    """Each (sub)command records its own parser, so a mistyped flag prints that command's usage, not syncd's."""
    parser.set_defaults(usage_parser=parser)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _remember_parsers(child)


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    args, extras = parser.parse_known_args(argv)
    if extras:
        usage: argparse.ArgumentParser = getattr(args, "usage_parser", parser)
        usage.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def _parse_date(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None
    if not 1970 <= when.year <= 2200:  # date arithmetic near year 1 or 9999 overflows (windows, week starts)
        raise argparse.ArgumentTypeError(f"{text!r} is out of range; use a date of 1970 to 2200")
    return when


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = _parse(parser, argv)
    configure_logging(args.log_format, level=logging.DEBUG if args.debug else logging.WARNING)
    try:
        settings = _settings(args) if args.needs_settings else None
        result: int = args.handler(args, settings)
        sys.stdout.flush()  # here, so a closed pipe is caught below and not at interpreter exit
        return result
    except BrokenPipeError:
        return _stdout_closed()
    except ConfigError as exc:
        return _fail(args, exc, EXIT_USAGE)
    except KeyboardInterrupt:
        print("syncd: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from syncd.adapters.db import StoreError
        from syncd.entrypoints.errors import CommandError

        if isinstance(exc, StoreError | CommandError):
            return _fail(args, exc, EXIT_FAILURE)
        if args.debug:
            raise
        print(
            f"syncd: error: unexpected {type(exc).__name__}: {redact_text(str(exc))}; rerun with --debug for details",
            file=sys.stderr,
        )
        return EXIT_FAILURE


def _stdout_closed() -> int:
    """The reader went away (`syncd status --json | head -1`): stop quietly, like any Unix filter (128 + SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # the final flush at exit must not raise again
    os.close(devnull)
    return EXIT_BROKEN_PIPE


def _fail(args: argparse.Namespace, exc: Exception, code: int) -> int:
    if args.debug:
        log.exception("command failed")
    print(f"syncd: error: {redact_text(str(exc))}", file=sys.stderr)
    return code


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {"database": {"url": args.database_url}} if args.database_url else None
    settings = load_settings(args.config, overrides=overrides)
    from syncd.entrypoints.wiring import check_database_dir, register_secrets

    check_database_dir(settings, flag="--database-url" if args.database_url else "[database] url")

    register_secrets(settings)
    return settings


# --- commands -------------------------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace, _settings: Settings | None) -> int:
    from syncd.entrypoints.setup import example_config, write_example_config

    if args.print_only:
        sys.stdout.write(example_config())
        return EXIT_OK
    path = write_example_config(args.path or args.config, force=args.force)
    print(f"wrote {path}; edit it, then run `syncd doctor`")
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace, _settings: Settings | None) -> int:
    from syncd.entrypoints.doctor import next_step, run_checks

    overrides = {"database": {"url": args.database_url}} if args.database_url else None
    checks = run_checks(args.config, overrides)
    for check in checks:
        mark = "FAIL" if not check.ok else "warn" if check.warning else "ok  "
        print(f"[{mark}] {check.name}: {check.detail}")
    failed = [c for c in checks if not c.ok]
    warned = [c for c in checks if c.ok and c.warning]
    print(f"{len(checks) - len(failed)} ok ({len(warned)} warning(s)), {len(failed)} to fix")
    if not failed:
        print(f"next: {next_step(args.config, overrides)}")
    return EXIT_FAILURE if failed else EXIT_OK


def cmd_import(args: argparse.Namespace, settings: Settings | None) -> int:
    from syncd.entrypoints.progress import ImportProgress
    from syncd.entrypoints.render import annotated_text
    from syncd.entrypoints.wiring import LOCAL_ATHLETE, annotation_policy, import_repositories, open_store
    from syncd.services.importing import import_paths

    assert settings is not None
    store = open_store(settings)
    try:
        athlete_id = store.ensure_athlete(
            args.athlete or LOCAL_ATHLETE, name=args.athlete or "Local athlete", units=settings.notes.units
        )
        with ImportProgress(args.paths) as progress, _rules_processes(args.jobs) as rules:
            report = import_paths(
                import_repositories(store),
                athlete_id,
                args.paths,
                annotation_policy(settings),
                now=_now(),
                on_item=progress.advance,
                workers=args.jobs,
                parallel=rules,
                max_activities=settings.files.max_activities_per_file,
            )
    finally:
        store.close()
    if not args.quiet:
        for outcome in report.annotated:
            print(annotated_text(outcome.annotated, units=settings.notes.units))
    for message in report.duplicates:
        print(f"syncd: unchanged {printable(message)}", file=sys.stderr)
    for message in report.twins:
        print(f"syncd: {printable(message)}", file=sys.stderr)
    for message in report.ambiguous:
        print(f"syncd: ambiguous twin: {printable(message)}", file=sys.stderr)
    for message in report.failed:
        print(f"syncd: skipped {printable(message)}", file=sys.stderr)
    print(
        f"imported {report.files} file(s): {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.failed)} failed"
        + (f"; {report.redone} later note(s) redone with them" if report.redone else "")
    )
    return EXIT_FAILURE if report.failed else EXIT_OK


def cmd_annotate(args: argparse.Namespace, settings: Settings | None) -> int:
    from syncd.entrypoints.render import annotated_text, annotation_json
    from syncd.entrypoints.wiring import annotation_policy
    from syncd.services.annotate_files import annotate_paths

    assert settings is not None
    if args.osm is not None:
        from dataclasses import replace

        from syncd.entrypoints.wiring import surface_map

        settings = replace(settings, surface=replace(settings.surface, osm_file=args.osm))
        policy = replace(annotation_policy(settings), surface_map=surface_map(settings, eager=True))
    else:
        policy = annotation_policy(settings)
    results, failures = annotate_paths(
        args.paths, policy, now=_now(), sport=args.sport, max_activities=settings.files.max_activities_per_file
    )
    if args.json:
        print(json.dumps({"activities": [annotation_json(r.source_name, r.annotated) for r in results]}, indent=2))
    else:
        for result in results:
            print(annotated_text(result.annotated, units=settings.notes.units))
    for message in failures:
        print(f"syncd: skipped {printable(message)}", file=sys.stderr)
    return EXIT_FAILURE if failures else EXIT_OK


def cmd_reannotate(args: argparse.Namespace, settings: Settings | None) -> int:
    from syncd.entrypoints.wiring import annotation_policy, batch_repositories, open_store
    from syncd.services.annotating import reannotate
    from syncd.services.write_back_policy import own_platform

    assert settings is not None
    if args.write_back and args.since is None:
        print(
            "syncd: --write-back backfills notes from a date: add --since YYYY-MM-DD "
            f"(without it, notes go only to the last {settings.notes.annotation_window_days} days)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    store = open_store(settings)
    try:
        with _rules_processes(args.jobs) as rules:
            report = reannotate(
                batch_repositories(store),
                annotation_policy(settings),
                since=args.since,
                now=_now(),
                write_back_providers=own_platform,
                backfill=args.write_back,
                parallel=rules,
            )
    finally:
        store.close()
    for activity_id, error in report.failed:
        print(f"syncd: activity {activity_id}: {error}", file=sys.stderr)
    print(
        f"examined {report.examined}, re-ran {report.rerun}, changed {report.changed}, "
        f"queued {report.queued_writebacks} write-back(s), {len(report.failed)} failed"
    )
    if args.write_back:
        from syncd.domain.backfill import estimate_backfill

        estimate = estimate_backfill(report.queued_writebacks, poll_share_pct=float(settings.strava.poll_share_pct))
        print(f"backfill: {estimate.describe()}")
    if report.examined and not report.rerun:
        print(
            "every note is current: the rules, thresholds, units and athlete settings have not changed since they "
            "were written (`syncd athlete set` changes an athlete's units, max HR or shoe limits)"
        )
    return EXIT_FAILURE if report.failed else EXIT_OK


def cmd_status(args: argparse.Namespace, settings: Settings | None) -> int:
    from syncd.entrypoints.wiring import annotation_version, open_reads, status_reads
    from syncd.services.status import collect_status

    assert settings is not None
    store = open_reads(settings)  # without SQLAlchemy on an existing database (issue 32)
    try:
        status: dict[str, Any] = collect_status(status_reads(store), settings, annotation_version(settings))
    finally:
        store.close()
    from syncd.adapters.folder.quarantine import quarantined

    status["quarantined_files"] = [vars(q) for q in quarantined(settings.state_dir)]
    if args.json:
        from syncd.entrypoints.tables import iso

        print(json.dumps(status, indent=2, default=iso))
    else:
        from syncd.entrypoints.status_text import print_status

        print_status(status)
    return EXIT_OK


def _jobs_argument(text: str) -> int:
    """argparse type for --jobs: a whole number from 1 to 64."""
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if not 1 <= jobs <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes; use a whole number from 1 to 64")
    return jobs


def _sport_argument(text: str) -> Sport:
    """argparse type for --sport: our own names, or any platform name we map (Run, TrailRun, running, ...)."""
    from syncd.adapters.files.sports import normalise_sport
    from syncd.domain.model import Sport  # numpy: only for the commands that take a sport

    try:
        return Sport(text.strip().lower())
    except ValueError:
        pass
    sport = normalise_sport("strava", text)
    if sport is Sport.OTHER and text.strip().lower() != "other":
        names = ", ".join(s.value for s in Sport)
        raise argparse.ArgumentTypeError(f"unknown sport {text!r}; use one of {names}")
    return sport


def _now() -> datetime:
    return datetime.now(UTC)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
