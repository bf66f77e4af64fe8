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
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from syncd.domain.advice_mode import RED_FLAG_LINE, with_symptoms
from syncd.domain.pain import PainInputError, PainSource, parse_day, parse_score
from syncd.domain.pain_report import comparison_line, method
from syncd.entrypoints.web.bodies import read_capped, same_origin
from syncd.entrypoints.web.pain_charts import exposure_rows, share_dots
from syncd.entrypoints.web.params import ascii_int
from syncd.entrypoints.wiring import redo_marked
from syncd.services import pain_diary
from syncd.services.as_of import athlete_zone, week_end_state

if TYPE_CHECKING:
    from syncd.entrypoints.web.app import WebContext
    from syncd.entrypoints.web.auth import Access

MAX_FORM_BODY = 8192  # a score, a date, a note: far less; more is refused (413), not cut
_PROCESS_KEY = secrets.token_bytes(32)  # when the feed has no link key (open loopback), tokens last a process


def csrf_token(ctx: WebContext, athlete_id: int) -> str:
    key = getattr(ctx.auth, "_key", None) or _PROCESS_KEY
    return hmac.new(key, f"pain-form:{athlete_id}".encode(), hashlib.sha256).hexdigest()[:32]


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
    if not same_origin(request):
        return PlainTextResponse("cross-site form posts are refused", 403)
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        return PlainTextResponse("send the form as application/x-www-form-urlencoded", 415)
    read = await read_capped(request, MAX_FORM_BODY)  # counted as it streams: never buffered whole
    if isinstance(read, Response):
        return read
    body = read.decode("utf-8", "replace")
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
                ctx.store.pain_diary, ctx.store, athlete_id, day, score, source=PainSource.WEB,
                note=with_symptoms(form.get("note"), form.get("symptoms") == "1"),
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
        result = pain_diary.analysis_for(
            ctx.analysis_reads,
            athlete_id,
            ctx.settings.advice,
            ctx.settings.rules,
            default_max_hr=ctx.settings.athlete.max_heart_rate,
        )
        analysis, entries = result.analysis, list(result.entries)
        athlete = ctx.store.get_athlete(athlete_id)
        mode = week_end_state(  # the digest's state of this week: the same mode and reason
            ctx.store,
            ctx.store,
            athlete_id,
            _monday(date.today()),
            diary=ctx.store.pain_diary,
            zone=athlete_zone(ctx.store.activity_reads, athlete),
            thresholds=ctx.settings.rules,
            advice=ctx.settings.advice,
        ).mode
        rows = Markup(exposure_rows(analysis, entries) + exposure_rows(analysis, entries, narrow=True))
        dots = Markup(share_dots(analysis) + share_dots(analysis, narrow=True))
        return {"entries": entries, "rows_chart": rows, "dots_chart": dots, "analysis": analysis,
                "details": comparison_line, "method": method(analysis), "mode": mode,
                "athlete": athlete}  # fmt: skip

    values = await run_in_threadpool(load)
    response = ctx.env.get_template("pain.html").render(
        **values,
        csrf=csrf_token(ctx, athlete_id),
        red_flag_line=RED_FLAG_LINE,
        athlete_id=athlete_id,
        today=date.today().isoformat(),
        error=request.query_params.get("error"),
        recorded=request.query_params.get("recorded"),
    )
    from starlette.responses import HTMLResponse

    return HTMLResponse(response)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())
