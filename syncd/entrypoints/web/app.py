"""The web feed as a Starlette app: HTML pages, Atom and a JSON API over the store, all read-only.

`routes()` returns the list so the daemon can mount these next to its own (webhooks, health) and `create_app`
stays a thin, reusable wrapper. Every handler runs its blocking store queries in Starlette's thread pool (plain
`def` work wrapped by `run_in_threadpool`), authenticates first, and narrows every query to the athlete of an
athlete link. Bad query parameters answer 400 with one line naming the parameter and the accepted form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from syncd.adapters.db.errors import NotFoundError
from syncd.adapters.db.feed_queries import MAX_PER_PAGE
from syncd.adapters.db.repository import Store
from syncd.config import ConfigError, Settings
from syncd.domain.digest import parse_week, week_of_iso
from syncd.domain.load import iso_week_label, week_span
from syncd.domain.notes import UNCERTAIN
from syncd.entrypoints.web.atom import FeedAddress, atom_feed, with_query
from syncd.entrypoints.web.auth import SESSION_COOKIE, Access, Authenticator
from syncd.entrypoints.web.bodies import BodyTooLargeError, body_limit
from syncd.entrypoints.web.charts import axis_labels, elevation_chart, flagged_stretches, pace_chart, route_svg
from syncd.entrypoints.web.pain import activity_form, pain_page, pain_post
from syncd.entrypoints.web.params import MAX_DB_ID, MAX_PAGE, ascii_int
from syncd.entrypoints.web.serialize import activity_json, page_json
from syncd.logging import get_logger
from syncd.lru import Lru
from syncd.records import FeedCursor, FeedFilter, StoredActivity
from syncd.services.feed import (
    FLAG_TITLES,
    AttentionView,
    CardView,
    FeedReads,
    accounts_needing_attention,
    build_feed,
    card_view,
    check_flag,
    check_sport,
    session_views,
    shoe_views,
    sport_label,
)
from syncd.services.pain_diary import AnalysisReads
from syncd.services.platform_notes import PlatformNoteView

HERE = Path(__file__).resolve().parent
log = get_logger(__name__)
Handler = Callable[[Request], Awaitable[Response]]


class BadRequestError(Exception):
    """A query parameter the user can fix; str() is the one-line message."""


class MissingError(Exception):
    """Not there, or not this caller's to see (both answer 404, so a link never reveals other athletes)."""


@dataclass
class WebContext:
    store: Store
    settings: Settings
    auth: Authenticator
    env: Environment
    address: FeedAddress

    @property
    def feed_reads(self) -> FeedReads:
        return FeedReads(
            athletes=self.store, activity_reads=self.store.activity_reads, history=self.store.activity_reads
        )

    @property
    def analysis_reads(self) -> AnalysisReads:
        store = self.store
        return AnalysisReads(store.pain_diary, store, store, store, store.activity_reads)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "xml"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["uncertain"] = UNCERTAIN.strip()  # the notes' own words, "(possible; thin evidence)"
    env.filters["week_of_iso"] = week_of_iso  # "2026-W47" -> "16 Nov": the code stays in links, a person reads dates
    return env


# The query parameters each kind of route understands (besides the credentials `token` and `key`).
FILTER_PARAMS = ("athlete", "flag", "sport", "week")
API_PARAMS = frozenset((*FILTER_PARAMS, "page", "per_page", "annotated", "before"))
CREDENTIAL_PARAMS = frozenset(("token", "key"))
ANNOTATED_VALUES = {"1": True, "true": True, "0": False, "false": False}


def _int_param(
    request: Request, name: str, default: int | None, *, minimum: int = 1, maximum: int = MAX_DB_ID
) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    value = ascii_int(raw, minimum=minimum, maximum=maximum)
    if value is None:
        raise BadRequestError(f"{name}={raw[:40]!r} is not valid: use a whole number from {minimum} to {maximum}")
    return value


def _cursor(request: Request) -> FeedCursor | None:
    """`?before=<start µs>_<id>`: the page of rows older than that activity (the pager's and Atom's links)."""
    raw = request.query_params.get("before")
    if raw is None or raw == "":
        return None
    cursor = FeedCursor.parse(raw)
    if cursor is None:
        raise BadRequestError(f"before={raw[:40]!r} is not valid: use the value from a page's 'older' link")
    return cursor


def _check_known(request: Request, allowed: frozenset[str]) -> None:
    """Reject a parameter the route does not know, so a typo (`flags=`) never silently shows everything."""
    for name in request.query_params:
        if name not in allowed and name not in CREDENTIAL_PARAMS:
            raise BadRequestError(f"unknown parameter {name!r}: use {', '.join(sorted(allowed))}")


def _annotated(request: Request) -> bool | None:
    raw = request.query_params.get("annotated")
    if raw is None or raw == "":
        return None
    value = ANNOTATED_VALUES.get(raw.lower())
    if value is None:
        raise BadRequestError(f"annotated={raw!r} is not valid: use 1 (annotated only) or 0 (not annotated yet only)")
    return value


def _filter(request: Request, access: Access, *, annotated: bool | None = None) -> FeedFilter:
    """The filters from the query string, narrowed to the athlete of an athlete link."""
    athlete = _int_param(request, "athlete", None)
    if access.athlete_id is not None:
        if athlete is not None and athlete != access.athlete_id:
            raise MissingError()
        athlete = access.athlete_id
    params = request.query_params
    try:
        flag = check_flag(params["flag"]) if params.get("flag") else None
        week = parse_week(params["week"]) if params.get("week") else None
        sport = check_sport(params["sport"]) if params.get("sport") else None
    except ValueError as exc:
        raise BadRequestError(str(exc)) from None
    return FeedFilter(
        athlete_id=athlete,
        flag=flag,
        sport=sport,
        week=week,
        annotated_only=annotated is True,
        unannotated_only=annotated is False,
    )


def _canonical(feed_filter: FeedFilter) -> dict[str, str]:
    """The filter as query parameters, for a feed's id and links (never credentials, never the page)."""
    values = {
        "athlete": feed_filter.athlete_id,
        "flag": feed_filter.flag,
        "sport": feed_filter.sport,
        "week": iso_week_label(feed_filter.week) if feed_filter.week is not None else None,
    }
    return {key: str(value) for key, value in values.items() if value is not None}


def _secure(ctx: WebContext, request: Request) -> bool:
    """Whether the browser reached us over HTTPS: the public base_url says so, or the connection (a proxy's
    X-Forwarded-Proto counts only from the addresses uvicorn is told to trust, see serve.py)."""
    base = ctx.settings.web.base_url or ""
    return base.startswith("https://") or request.url.scheme == "https"


def _guard(ctx: WebContext, handler: Callable[[WebContext, Request, Access], Awaitable[Response]]) -> Handler:
    """Authenticate, run, map errors to 400/401/404, and set the session cookie after a link login."""

    async def endpoint(request: Request) -> Response:
        access = ctx.auth.authenticate(request)
        wants_json = request.url.path.startswith("/api/")
        if access is None:
            message = "authentication required: send Authorization: Bearer <[web] token> or use your athlete link"
            if wants_json:
                return JSONResponse({"error": message}, 401, headers={"WWW-Authenticate": "Bearer"})
            return PlainTextResponse(message, 401, headers={"WWW-Authenticate": "Bearer"})
        try:
            response = await handler(ctx, request, access)
        except BadRequestError as exc:
            return JSONResponse({"error": str(exc)}, 400) if wants_json else PlainTextResponse(str(exc), 400)
        except (MissingError, NotFoundError):
            message = "not found"
            return JSONResponse({"error": message}, 404) if wants_json else PlainTextResponse(message, 404)
        except BodyTooLargeError:
            raise  # the body cap (web/bodies.py) answers 413
        except Exception as exc:  # a bug or a stored row we cannot show: logged (JSON), never a traceback out
            log.error("web_request_failed", path=request.url.path, error=type(exc).__name__, exc_info=True)
            message = "internal error: the server log has the details"
            return JSONResponse({"error": message}, 500) if wants_json else PlainTextResponse(message, 500)
        if access.cookie is not None:
            response.set_cookie(
                SESSION_COOKIE,
                access.cookie,
                httponly=True,
                # Lax: a link from a mail client or a feed reader (a top-level GET) arrives logged in.
                samesite="lax",
                secure=_secure(ctx, request),
            )
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    return endpoint


def _render(ctx: WebContext, name: str, **values: Any) -> HTMLResponse:
    return HTMLResponse(ctx.env.get_template(name).render(**values))


_CARD_HTML: Lru[tuple[object, ...], Markup] = Lru(2048)


def _card_html(ctx: WebContext, card: CardView, scoped: bool) -> Markup:
    """One card's HTML, rendered once per distinct content and scope (rendering 50 cards was most of a page)."""

    def render() -> Markup:
        return Markup(ctx.env.get_template("_card.html").render(c=card, scoped=scoped).strip())

    return render() if card.key is None else _CARD_HTML.get((card.key, scoped), render)


def _query_builder(request: Request) -> Callable[..., str]:
    """`q(page=2)` -> "?flag=downhill&page=2": the current filters with some changed (credentials left out)."""
    keep = {k: v for k, v in request.query_params.items() if k not in ("token", "key") and v != ""}

    def build(**changes: Any) -> str:
        merged = {**keep, **{k: str(v) for k, v in changes.items() if v is not None}}
        for key, value in changes.items():
            if value is None:
                merged.pop(key, None)
        return "?" + urlencode(merged) if merged else "?"

    return build


async def feed_page(ctx: WebContext, request: Request, access: Access) -> Response:
    feed_filter = _filter(request, access)
    page = _int_param(request, "page", 1, maximum=MAX_PAGE) or 1
    before = _cursor(request)
    # One hop to the thread pool for the whole page: on a busy machine every hop waits for a core again.
    return await run_in_threadpool(_feed_html, ctx, request, access, feed_filter, page=page, before=before)


def _feed_html(
    ctx: WebContext, request: Request, access: Access, feed_filter: FeedFilter, *, page: int, before: FeedCursor | None
) -> Response:
    athletes = ctx.store.list_athletes() if access.athlete_id is None else [ctx.store.get_athlete(access.athlete_id)]
    strip_athlete = feed_filter.athlete_id if feed_filter.athlete_id is not None else None
    if strip_athlete is None and len(athletes) == 1:
        strip_athlete = athletes[0].id
    view = build_feed(
        ctx.feed_reads,
        feed_filter,
        ctx.settings.rules,
        page=page,
        per_page=50,
        strip_athlete=strip_athlete,
        before=before,
        default_max_hr=ctx.settings.athlete.max_heart_rate,
    )
    scoped = access.athlete_id is not None
    return _render(
        ctx,
        "feed.html",
        view=view,
        attention=accounts_needing_attention(ctx.store, feed_filter.athlete_id),
        filters=feed_filter,
        week_text=request.query_params.get("week", ""),
        athletes=athletes,
        scoped=scoped,
        card_html=lambda card: _card_html(ctx, card, scoped),
        q=_query_builder(request),
        flag_titles=FLAG_TITLES,
        sport_label=sport_label,
        atom_href=with_query("/feed.atom", _canonical(feed_filter)),
    )


async def activity_page(ctx: WebContext, request: Request, access: Access) -> Response:
    activity_id = _path_id(request)
    row = await run_in_threadpool(ctx.store.activity_reads.feed_item, activity_id)
    if access.athlete_id is not None and row.athlete_id != access.athlete_id:
        raise MissingError()
    stored = await run_in_threadpool(ctx.store.get_activity, activity_id)
    sessions = await run_in_threadpool(session_views, ctx.feed_reads, [row], ctx.settings.rules)
    card = card_view(row, sessions.get(row.id))
    charts: dict[str, Markup | None] = {}
    stretches = []
    streams = stored.activity.streams
    if streams is not None and len(streams) >= 2:
        try:
            stretches = flagged_stretches(streams, row.flags or (), ctx.settings.rules)
            # The SVG is built from computed numbers and fixed labels only (charts.py), so it is safe markup.
            charts = {
                name: _markup(svg)
                for name, svg in (
                    ("elevation", elevation_chart(streams, stretches, card.units)),
                    ("elevation_narrow", elevation_chart(streams, stretches, card.units, narrow=True)),
                    ("pace", pace_chart(streams, stretches, card.units)),
                    ("pace_narrow", pace_chart(streams, stretches, card.units, narrow=True)),
                    ("route", route_svg(streams, stretches)),
                )
            }
        except Exception as exc:  # odd streams must cost the charts, never the page
            log.warning("web.charts_failed", activity_id=activity_id, error=f"{type(exc).__name__}: {exc}")
            charts = {}
    pain = activity_form(ctx, row.athlete_id, activity_id) if stored.activity.sport.is_run else None
    platforms = await run_in_threadpool(_platform_notes, ctx, stored, row.note)
    return _render(
        ctx,
        "activity.html",
        card=card,
        platforms=platforms,
        charts=charts,
        stretches=stretches,
        laps=stored.activity.laps,
        axis=axis_labels(card.units),
        pain=pain,
        pain_error=request.query_params.get("error"),
        pain_recorded=request.query_params.get("recorded"),
    )


def _platform_notes(ctx: WebContext, stored: StoredActivity, own: str | None) -> list[PlatformNoteView]:
    """The text on each platform and its state (written, waiting, not written and why), beside syncd's own."""
    from syncd.services.platform_notes import WriteBackSettings, platform_notes

    latest = ctx.store.latest_annotation(stored.id)
    wanted = None if latest is None else (latest.platform_note or latest.note)
    settings = WriteBackSettings(
        configured={"strava": ctx.settings.strava.write_back, "garmin": ctx.settings.garmin.write_back},
        athlete=ctx.store.get_athlete(stored.athlete_id),
        window=timedelta(days=ctx.settings.notes.annotation_window_days),
    )
    writes = ctx.store.outbox_log.platform_writes(stored.id)
    return platform_notes(stored, writes, own=own, wanted=wanted, settings=settings, now=datetime.now(UTC))


def _markup(svg: str | None) -> Markup | None:
    return None if svg is None else Markup(svg)


async def shoes_page(ctx: WebContext, request: Request, access: Access) -> Response:
    athlete = _int_param(request, "athlete", None)
    if access.athlete_id is not None:
        if athlete is not None and athlete != access.athlete_id:
            raise MissingError()
        athlete = access.athlete_id

    def load() -> list[tuple[Any, list[Any]]]:
        athletes = [ctx.store.get_athlete(athlete)] if athlete is not None else ctx.store.list_athletes()
        return [
            (
                record,
                shoe_views(
                    ctx.store.list_gear(record.id),
                    ctx.settings.rules,
                    "imperial" if record.units == "imperial" else "metric",
                ),
            )
            for record in athletes
        ]

    groups = await run_in_threadpool(load)
    return _render(ctx, "shoes.html", groups=groups, scoped=access.athlete_id is not None, q=_query_builder(request))


async def digest_page(ctx: WebContext, request: Request, access: Access) -> Response:
    """The weekly digest as the email shows it: the weekly push links here (`?week=2026-W48`, default last week)."""
    athlete = _int_param(request, "athlete", None)
    if access.athlete_id is not None:
        if athlete is not None and athlete != access.athlete_id:
            raise MissingError()
        athlete = access.athlete_id
    week = request.query_params.get("week") or None
    if week is not None:
        try:
            parse_week(week)
        except ValueError as exc:
            raise BadRequestError(str(exc)) from None

    def load() -> str:
        from syncd.adapters.charts import load_trend_png
        from syncd.entrypoints.wiring import digest_repositories
        from syncd.services.digests import preview

        key = ctx.store.get_athlete(athlete).key if athlete is not None else None
        try:
            _, html = preview(
                digest_repositories(ctx.store),
                ctx.settings,
                datetime.now(UTC),
                athlete_key=key,
                week=week,
                chart=load_trend_png,
            )
        except ConfigError:
            raise MissingError() from None  # no athlete yet
        return html

    return HTMLResponse(await run_in_threadpool(load))


async def atom(ctx: WebContext, request: Request, access: Access) -> Response:
    feed_filter = _filter(request, access, annotated=True)
    page = _int_param(request, "page", 1) or 1
    before = _cursor(request)

    def load() -> bytes:
        view = build_feed(ctx.feed_reads, feed_filter, ctx.settings.rules, page=page, per_page=50, before=before)
        if page > view.page.pages:
            raise BadRequestError(f"page={page} is past the end: this feed has {view.page.pages} page(s)")
        return atom_feed(
            view.cards,
            address=ctx.address,
            title=_atom_title(feed_filter),
            filters=_canonical(feed_filter),
            page=view.page,
            before=before,
        )

    return Response(await run_in_threadpool(load), media_type="application/atom+xml; charset=utf-8")


def _atom_title(feed_filter: FeedFilter) -> str:
    parts = []
    if feed_filter.flag is not None:
        parts.append(FLAG_TITLES.get(feed_filter.flag, feed_filter.flag))
    if feed_filter.sport is not None:
        parts.append(sport_label(feed_filter.sport))
    if feed_filter.week is not None:
        parts.append(f"week {week_span(feed_filter.week)}")
    return "syncd: annotated activities" + (f" ({', '.join(parts)})" if parts else "")


async def api_list(ctx: WebContext, request: Request, access: Access) -> Response:
    _check_known(request, API_PARAMS)
    feed_filter = _filter(request, access, annotated=_annotated(request))
    page = _int_param(request, "page", 1, maximum=MAX_PAGE) or 1
    per_page = _int_param(request, "per_page", 50, maximum=MAX_PAGE) or 50
    if per_page > MAX_PER_PAGE:
        raise BadRequestError(f"per_page={per_page} is too large: use at most {MAX_PER_PAGE}")
    before = _cursor(request)

    def load() -> JSONResponse:
        result = ctx.store.activity_reads.feed_page(feed_filter, page=page, per_page=per_page, before=before)
        sessions = session_views(ctx.feed_reads, result.rows, ctx.settings.rules)
        cards = [card_view(row, sessions.get(row.id)) for row in result.rows]
        attention = accounts_needing_attention(ctx.store, feed_filter.athlete_id)
        return JSONResponse(
            {**page_json(result, cards), "accounts_needing_attention": [_attention_json(a) for a in attention]}
        )

    return await run_in_threadpool(load)


def _attention_json(view: AttentionView) -> dict[str, str]:
    return {"provider": view.provider, "state": view.state, "message": view.message, "fix": view.fix}


async def api_detail(ctx: WebContext, request: Request, access: Access) -> Response:
    _check_known(request, frozenset())
    row = await run_in_threadpool(ctx.store.activity_reads.feed_item, _path_id(request))
    if access.athlete_id is not None and row.athlete_id != access.athlete_id:
        raise MissingError()
    sessions = await run_in_threadpool(session_views, ctx.feed_reads, [row], ctx.settings.rules)
    return JSONResponse(activity_json(card_view(row, sessions.get(row.id)), detail=True))


def _path_id(request: Request) -> int:
    value = ascii_int(str(request.path_params["activity_id"]), minimum=1)
    if value is None:  # not an id that can exist: the same 404 as an unknown one
        raise MissingError()
    return value


def routes(store: Store, settings: Settings, *, link_secret: bytes | None = None) -> list[BaseRoute]:
    """The feed's routes, ready to mount in any Starlette app (the daemon adds its own beside them)."""
    auth = Authenticator(settings, link_secret=link_secret)
    address = FeedAddress.of(settings.web.base_url, settings.web.host, settings.web.port, auth.install_id())
    ctx = WebContext(store, settings, auth, _environment(), address)
    return [
        Route("/", _guard(ctx, feed_page), name="feed"),
        Route("/activities/{activity_id}", _guard(ctx, activity_page), name="activity"),
        Route("/shoes", _guard(ctx, shoes_page), name="shoes"),
        Route("/pain", _guard(ctx, pain_page), name="pain", methods=["GET"]),
        Route("/pain", _guard(ctx, pain_post), name="pain_post", methods=["POST"]),
        Route("/digest", _guard(ctx, digest_page), name="digest"),
        Route("/feed.atom", _guard(ctx, atom), name="atom"),
        Route("/api/activities", _guard(ctx, api_list), name="api_activities"),
        Route("/api/activities/{activity_id}", _guard(ctx, api_detail), name="api_activity"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


def create_app(store: Store, settings: Settings, *, link_secret: bytes | None = None) -> Starlette:
    """The feed as a standalone ASGI app (tests, `syncd demo`); raises ConfigError when auth is misconfigured."""
    return Starlette(routes=routes(store, settings, link_secret=link_secret), middleware=body_limit())
