"""The pain diary on the feed: a form on a run's page, a form for a day without a run ("woke up sore"), and a
page with pain over time against weekly exposures and what preceded flare-ups (docs/pain.md).

Health data: the pages answer only callers who may see that athlete (the feed's own rules: owner, or that
athlete's link); forms carry a CSRF token bound to the athlete (HMAC under the feed's link key) and a cross-site
Origin is refused, on top of the SameSite=Strict session cookie. Nothing here is in the Atom feed or the JSON API.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from syncd.domain.pain import PainEntry, PainInputError, PainSource, parse_day, parse_score
from syncd.domain.pain_analysis import ExposureSession
from syncd.entrypoints.web.params import ascii_int
from syncd.entrypoints.wiring import redo_marked
from syncd.services import pain_diary

if TYPE_CHECKING:
    from syncd.entrypoints.web.app import WebContext
    from syncd.entrypoints.web.auth import Access

_PROCESS_KEY = secrets.token_bytes(32)  # when the feed has no link key (open loopback), tokens last a process


def csrf_token(ctx: WebContext, athlete_id: int) -> str:
    key = getattr(ctx.auth, "_key", None) or _PROCESS_KEY
    return hmac.new(key, f"pain-form:{athlete_id}".encode(), hashlib.sha256).hexdigest()[:32]


def _same_origin(request: Request) -> bool:
    """A named other origin is refused; "null" is what Chromium sends under our no-referrer policy (the CSRF token
    and the SameSite=Strict cookie still have to match)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _athlete_for(ctx: WebContext, request: Request, access: Access, wanted: str | None) -> int | None:
    """The athlete this caller may write for: their own (athlete link), or the one named / the only one (owner)."""
    if access.athlete_id is not None:
        return access.athlete_id if wanted in (None, "", str(access.athlete_id)) else None
    athletes = ctx.store.list_athletes()
    if wanted:
        return next((a.id for a in athletes if str(a.id) == wanted), None)
    return athletes[0].id if len(athletes) == 1 else None


def activity_form(ctx: WebContext, athlete_id: int, activity_id: int) -> dict[str, Any]:
    """What the run page needs for its small form (and the entry already recorded for that run, if any)."""
    entries = [e for e in ctx.store.pain_diary.entries(athlete_id) if e.activity_id == activity_id]
    return {"csrf": csrf_token(ctx, athlete_id), "athlete_id": athlete_id, "activity_id": activity_id,
            "entries": entries}  # fmt: skip


async def pain_post(ctx: WebContext, request: Request, access: Access) -> Response:
    """Record one entry from a form; a bad value re-shows the form with one line saying what to fix."""
    if not _same_origin(request):
        return PlainTextResponse("cross-site form posts are refused", 403)
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        return PlainTextResponse("send the form as application/x-www-form-urlencoded", 415)
    body = (await request.body())[:8192].decode("utf-8", "replace")
    form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    athlete_id = _athlete_for(ctx, request, access, form.get("athlete"))
    if athlete_id is None:
        return PlainTextResponse("not found", 404)
    if not hmac.compare_digest(form.get("csrf", ""), csrf_token(ctx, athlete_id)):
        return PlainTextResponse("this form has expired: reload the page and send it again", 403)
    activity_id = ascii_int(str(form.get("activity_id", "")), minimum=1)  # "²" passes isdigit, not int()
    back = f"/activities/{activity_id}" if activity_id is not None else "/pain"
    try:
        score = parse_score(form.get("score", ""))
        day = parse_day(form["date"]) if activity_id is None else date.today()
        if activity_id is not None:
            stored = await run_in_threadpool(ctx.store.get_activity, activity_id, with_streams=False)
            if stored.athlete_id != athlete_id:
                return PlainTextResponse("not found", 404)
        await run_in_threadpool(
            lambda: pain_diary.record_entry(
                ctx.store, athlete_id, day, score, source=PainSource.WEB, note=form.get("note"),
                activity_id=activity_id, advice=ctx.settings.advice,
            )
        )  # fmt: skip
        # the notes this entry reaches are redone before the page comes back: the run page, the feed and the
        # digest show the new mode at once (not at the daily re-scan)
        await run_in_threadpool(redo_marked, ctx.settings, ctx.store, athlete_id)
    except (PainInputError, KeyError) as exc:
        message = str(exc) if isinstance(exc, PainInputError) else "the date is missing: pick a day"
        query = urlencode({"athlete": athlete_id, "error": message})
        return RedirectResponse(f"{back}?{query}", 303)
    query = urlencode({"athlete": athlete_id, "recorded": 1})
    return RedirectResponse(f"{back}?{query}", 303)


async def pain_page(ctx: WebContext, request: Request, access: Access) -> Response:
    athlete_id = _athlete_for(ctx, request, access, request.query_params.get("athlete"))
    if athlete_id is None:
        keys = ", ".join(str(a.id) for a in ctx.store.list_athletes())
        return PlainTextResponse(f"name the athlete: /pain?athlete=ID (one of {keys})", 404 if not keys else 400)

    def load() -> dict[str, Any]:
        entries = ctx.store.pain_diary.entries(athlete_id)
        sessions = pain_diary.exposures(ctx.store, athlete_id)
        result = pain_diary.analysis_for(ctx.store, athlete_id, ctx.settings.advice)
        mode, _ = pain_diary.week_mode(ctx.store, athlete_id, _monday(date.today()), ctx.settings.advice)
        return {"entries": entries, "chart": Markup(pain_chart(entries, sessions)), "analysis": result.analysis,
                "mode": mode, "athlete": ctx.store.get_athlete(athlete_id)}  # fmt: skip

    values = await run_in_threadpool(load)
    response = ctx.env.get_template("pain.html").render(
        **values,
        csrf=csrf_token(ctx, athlete_id),
        athlete_id=athlete_id,
        today=date.today().isoformat(),
        error=request.query_params.get("error"),
        recorded=request.query_params.get("recorded"),
    )
    from starlette.responses import HTMLResponse

    return HTMLResponse(response)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def pain_chart(entries: list[PainEntry], sessions: list[ExposureSession], *, weeks: int = 16) -> str:
    """SVG: weekly hard-surface km (bars) and speed sessions (count above the bar) against pain scores (dots)."""
    days = [e.day for e in entries] or [s.day for s in sessions] or [datetime.now(UTC).date()]
    last = _monday(max(days))  # the diary's latest weeks (a diary from long ago is still shown)
    first = last - timedelta(weeks=weeks - 1)
    width, height, left, top, bottom = 480, 200, 30, 14, 30
    plot_w, plot_h = width - left - 10, height - top - bottom
    col = plot_w / weeks
    hard = [0.0] * weeks
    speed = [0] * weeks
    for s in sessions:
        index = (s.day - first).days // 7
        if 0 <= index < weeks and s.sport.is_run:
            hard[index] += s.hard_m / 1000
            speed[index] += s.speed
    top_km = max(*hard, 10.0)
    parts = [
        f'<svg class="chart pain-chart" viewBox="0 0 {width} {height}" role="img" '
        'aria-labelledby="pain-chart-title"><title id="pain-chart-title">Pain scores (dots, 0 to 10) against weekly '
        "hard-surface kilometres (bars) and speed sessions (numbers)</title>"
    ]
    for score in (0, 5, 10):
        y = top + plot_h * (1 - score / 10)
        parts.append(f'<line class="grid" x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{score}</text>')
    for index in range(weeks):
        x = left + index * col
        bar = plot_h * hard[index] / top_km
        parts.append(
            f'<rect class="bar" x="{x + col * 0.15:.1f}" y="{top + plot_h - bar:.1f}" width="{col * 0.7:.1f}" '
            f'height="{bar:.1f}"/>'
        )
        if speed[index]:
            parts.append(f'<text class="tick" x="{x + col / 2:.1f}" y="{top + plot_h - bar - 3:.1f}" '
                         f'text-anchor="middle">{speed[index]}</text>')  # fmt: skip
        if index % 4 == 0:
            label = (first + timedelta(weeks=index)).strftime("%d %b")
            parts.append(f'<text class="tick" x="{x:.1f}" y="{height - 10}">{label}</text>')
    for entry in entries:
        offset = (entry.day - first).days
        if 0 <= offset < weeks * 7:
            x = left + offset / 7 * col
            y = top + plot_h * (1 - entry.score / 10)
            kind = "pain-high" if entry.score >= 4 else "pain-low"
            parts.append(f'<circle class="{kind}" cx="{x:.1f}" cy="{y:.1f}" r="4"/>')
    parts.append("</svg>")
    return "".join(parts)
