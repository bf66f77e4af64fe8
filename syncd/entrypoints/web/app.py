"""The web feed as a Starlette app: HTML pages, Atom and a JSON API over the store, all read-only.

`routes()` returns the list so the daemon can mount these next to its own (webhooks, health) and `create_app`
stays a thin, reusable wrapper. Every handler runs its blocking store queries in Starlette's thread pool (plain
`def` work wrapped by `run_in_threadpool`), authenticates first, and narrows every query to the athlete of an
athlete link. Bad query parameters answer 400 with one line naming the parameter and the accepted form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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
from syncd.adapters.db.feed_queries import MAX_PER_PAGE, FeedFilter, feed_item
from syncd.adapters.db.feed_queries import feed_page as query_page
from syncd.adapters.db.repository import Store
from syncd.config import Settings
from syncd.entrypoints.web.atom import atom_feed
from syncd.entrypoints.web.auth import SESSION_COOKIE, Access, Authenticator
from syncd.entrypoints.web.charts import elevation_chart, flagged_stretches, pace_chart, route_svg
from syncd.entrypoints.web.pain import activity_form, pain_page, pain_post
from syncd.entrypoints.web.serialize import activity_json, page_json
from syncd.logging import get_logger
from syncd.services.feed import (
    AttentionView,
    accounts_needing_attention,
    build_feed,
    card_view,
    check_flag,
    parse_week,
    shoe_views,
)

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


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "xml"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def _int_param(request: Request, name: str, default: int | None, *, minimum: int = 1) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise BadRequestError(f"{name}={raw!r} is not valid: use a whole number from {minimum}")
    return int(raw)


def _filter(request: Request, access: Access, *, annotated_only: bool = False) -> FeedFilter:
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
    except ValueError as exc:
        raise BadRequestError(str(exc)) from None
    sport = params.get("sport") or None
    return FeedFilter(athlete_id=athlete, flag=flag, sport=sport, week=week, annotated_only=annotated_only)


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
        if access.cookie is not None:
            response.set_cookie(
                SESSION_COOKIE,
                access.cookie,
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
            )
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    return endpoint


def _render(ctx: WebContext, name: str, **values: Any) -> HTMLResponse:
    return HTMLResponse(ctx.env.get_template(name).render(**values))


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
    page = _int_param(request, "page", 1) or 1
    athletes = (
        await run_in_threadpool(ctx.store.list_athletes)
        if access.athlete_id is None
        else [await run_in_threadpool(ctx.store.get_athlete, access.athlete_id)]
    )
    strip_athlete = feed_filter.athlete_id if feed_filter.athlete_id is not None else None
    if strip_athlete is None and len(athletes) == 1:
        strip_athlete = athletes[0].id
    view = await run_in_threadpool(
        build_feed, ctx.store, feed_filter, ctx.settings.rules, page=page, per_page=50, strip_athlete=strip_athlete
    )
    attention = await run_in_threadpool(accounts_needing_attention, ctx.store, feed_filter.athlete_id)
    return _render(
        ctx,
        "feed.html",
        view=view,
        attention=attention,
        filters=feed_filter,
        week_text=request.query_params.get("week", ""),
        athletes=athletes,
        scoped=access.athlete_id is not None,
        q=_query_builder(request),
    )


async def activity_page(ctx: WebContext, request: Request, access: Access) -> Response:
    activity_id = _path_id(request)
    row = await run_in_threadpool(feed_item, ctx.store.engine, activity_id)
    if access.athlete_id is not None and row.athlete_id != access.athlete_id:
        raise MissingError()
    stored = await run_in_threadpool(ctx.store.get_activity, activity_id)
    card = card_view(row)
    charts: dict[str, Markup | None] = {"elevation": None, "pace": None, "route": None}
    stretches = []
    streams = stored.activity.streams
    if streams is not None and len(streams) >= 2:
        try:
            stretches = flagged_stretches(streams, row.flags or (), ctx.settings.rules)
            # The SVG is built from computed numbers and fixed labels only (charts.py), so it is safe markup.
            charts = {
                "elevation": _markup(elevation_chart(streams, stretches)),
                "pace": _markup(pace_chart(streams, stretches)),
                "route": _markup(route_svg(streams, stretches)),
            }
        except Exception as exc:  # odd streams must cost the charts, never the page
            log.warning("web.charts_failed", activity_id=activity_id, error=f"{type(exc).__name__}: {exc}")
    pain = activity_form(ctx, row.athlete_id, activity_id) if stored.activity.sport.is_run else None
    return _render(
        ctx,
        "activity.html",
        card=card,
        charts=charts,
        stretches=stretches,
        laps=stored.activity.laps,
        pain=pain,
        pain_error=request.query_params.get("error"),
        pain_recorded=request.query_params.get("recorded"),
    )


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


async def atom(ctx: WebContext, request: Request, access: Access) -> Response:
    feed_filter = _filter(request, access, annotated_only=True)
    view = await run_in_threadpool(build_feed, ctx.store, feed_filter, ctx.settings.rules, page=1, per_page=50)
    body = atom_feed(
        view.cards, base_url=str(request.base_url), title="syncd: annotated activities", feed_path="/feed.atom"
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


async def api_list(ctx: WebContext, request: Request, access: Access) -> Response:
    feed_filter = _filter(request, access, annotated_only=request.query_params.get("annotated") == "1")
    page = _int_param(request, "page", 1) or 1
    per_page = _int_param(request, "per_page", 50) or 50
    if per_page > MAX_PER_PAGE:
        raise BadRequestError(f"per_page={per_page} is too large: use at most {MAX_PER_PAGE}")
    result = await run_in_threadpool(query_page, ctx.store.engine, feed_filter, page=page, per_page=per_page)
    attention = await run_in_threadpool(accounts_needing_attention, ctx.store, feed_filter.athlete_id)
    return JSONResponse({**page_json(result), "accounts_needing_attention": [_attention_json(a) for a in attention]})


def _attention_json(view: AttentionView) -> dict[str, str]:
    return {"provider": view.provider, "state": view.state, "message": view.message, "fix": view.fix}


async def api_detail(ctx: WebContext, request: Request, access: Access) -> Response:
    row = await run_in_threadpool(feed_item, ctx.store.engine, _path_id(request))
    if access.athlete_id is not None and row.athlete_id != access.athlete_id:
        raise MissingError()
    return JSONResponse(activity_json(row, detail=True))


def _path_id(request: Request) -> int:
    raw = str(request.path_params["activity_id"])
    if not raw.isdigit():
        raise MissingError()
    return int(raw)


def routes(store: Store, settings: Settings, *, link_secret: bytes | None = None) -> list[BaseRoute]:
    """The feed's routes, ready to mount in any Starlette app (the daemon adds its own beside them)."""
    ctx = WebContext(store, settings, Authenticator(settings, link_secret=link_secret), _environment())
    return [
        Route("/", _guard(ctx, feed_page), name="feed"),
        Route("/activities/{activity_id}", _guard(ctx, activity_page), name="activity"),
        Route("/shoes", _guard(ctx, shoes_page), name="shoes"),
        Route("/pain", _guard(ctx, pain_page), name="pain", methods=["GET"]),
        Route("/pain", _guard(ctx, pain_post), name="pain_post", methods=["POST"]),
        Route("/feed.atom", _guard(ctx, atom), name="atom"),
        Route("/api/activities", _guard(ctx, api_list), name="api_activities"),
        Route("/api/activities/{activity_id}", _guard(ctx, api_detail), name="api_activity"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


def create_app(store: Store, settings: Settings, *, link_secret: bytes | None = None) -> Starlette:
    """The feed as a standalone ASGI app (tests, `syncd demo`); raises ConfigError when auth is misconfigured."""
    return Starlette(routes=routes(store, settings, link_secret=link_secret))
