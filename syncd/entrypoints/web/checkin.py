"""`/checkin?t=TOKEN`: the one-tap back check-in, reached from a push notification without logging in.

GET shows "How is your back today?" with 0-10 as large buttons (each submits the form: no JavaScript), an optional
note and the red-flag ticks; POST records one diary entry with source `checkin`. The token (syncd.services.checkin)
names the athlete and the day; a forged one is refused (400), an expired one says so (410), a used one is refused
(400: one use per day). The page is also a home-screen app (manifest and icons), nothing more.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from syncd.config import Settings
from syncd.domain.pain import PainInputError, PainSource
from syncd.entrypoints.web.bodies import read_capped, same_origin
from syncd.services.checkin import (
    PATH,
    PURPOSE,
    RED_FLAGS,
    URGENT,
    CheckinError,
    CheckinExpiredError,
    CheckinLink,
    answered,
    check_fresh,
    note_with_flags,
    read_token,
)

if TYPE_CHECKING:
    from syncd.records import AthleteRecord
    from syncd.services.notifications import NotifyRepositories

HERE = Path(__file__).resolve().parent
MAX_BODY = 8192  # a token, a score, a 500-character note and eight ticks fit easily
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
MANIFEST = {
    "name": "syncd back check-in",
    "short_name": "Back check-in",
    "start_url": PATH,
    "scope": PATH,
    "display": "standalone",
    "background_color": "#ffffff",
    "theme_color": "#1a4d7a",
    "icons": [
        {"src": f"{PATH}/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": f"{PATH}/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
    ],
}


# A check-in link is signed for one day, so the home-screen app (start_url /checkin) can only say where today's is.
NO_LINK = (
    "Open today's check-in from the link syncd sends you (the push message or a flagged run's note): each link is "
    "for one day. Or record it in the pain diary of your feed."
)


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))


class CheckinPages:
    def __init__(self, repos: NotifyRepositories, settings: Settings) -> None:
        self.repos = repos
        self.settings = settings
        self.template = _environment().get_template("checkin.html")

    def page(self, status: int = 200, **values: Any) -> HTMLResponse:
        context = {"form": False, "lines": [], "urgent": False, "flagged": False, "recorded": False, **values}
        return HTMLResponse(self.template.render(**context), status_code=status, headers=_HEADERS)

    def refused(self, exc: CheckinError) -> HTMLResponse:
        expired = isinstance(exc, CheckinExpiredError)
        return self.page(
            410 if expired else 400,
            title="This link has expired" if expired else "This link does not work",
            lines=[str(exc)[:1].upper() + str(exc)[1:] + "."],
        )

    def check(self, token: str) -> tuple[CheckinLink, AthleteRecord]:
        """The link's athlete and day; CheckinError when forged, expired, for a removed athlete, or already used."""
        from syncd.services.as_of import athlete_zone

        link = read_token(self.repos.digest.keys.signing_key(PURPOSE), token)
        athlete = next((a for a in self.repos.digest.people.list_athletes() if a.key == link.athlete_key), None)
        if athlete is None:
            raise CheckinError("this check-in link is for an athlete this syncd no longer has")
        check_fresh(link, datetime.now(UTC).astimezone(athlete_zone(self.repos.digest.activity_reads, athlete)).date())
        if answered(self.repos.digest.diary, athlete.id, link.day):
            raise CheckinError("this check-in link has been used: that day's answer is recorded (one per day)")
        return link, athlete

    def record(self, link: CheckinLink, athlete: AthleteRecord, form: dict[str, Any]) -> HTMLResponse:
        from syncd.services.pain_diary import record_entry

        ticked = [code for code in form["flags"] if code in dict(RED_FLAGS)]
        note = note_with_flags(form["note"], ticked)
        try:
            text = form["score"]
            score = int(text) if text.isascii() and text.isdigit() and len(text) <= 2 else -1
            entry = record_entry(
                self.repos.digest.diary,
                self.repos.digest.activities,
                athlete.id,
                link.day,
                score,
                source=PainSource.CHECKIN,
                note=note,
                advice=self.settings.advice,
            )
        except PainInputError as exc:
            return self.page(400, title="Not recorded", lines=[str(exc)])
        lines = [f"{link.day:%A} {link.day.day} {link.day:%B}: {entry.score}/10."]
        return self.page(
            title="Thank you",
            lines=lines,
            recorded=True,
            urgent=bool(URGENT & set(ticked)),
            flagged=bool(ticked),
        )


def checkin_routes(repos: NotifyRepositories, settings: Settings) -> list[BaseRoute]:
    pages = CheckinPages(repos, settings)

    async def show(request: Request) -> Response:
        token = request.query_params.get("t", "")
        if not token:  # the home-screen app opens the bare page (its start_url): no link was cut short
            return pages.page(title="Back check-in", lines=[NO_LINK])
        try:
            link, _athlete = await run_in_threadpool(pages.check, token)
        except CheckinError as exc:
            return pages.refused(exc)
        return pages.page(
            title="How is your back today?",
            form=True,
            token=token,
            day_label=f"{link.day:%A} {link.day.day} {link.day:%B}",
            red_flags=RED_FLAGS,
        )

    async def answer(request: Request) -> Response:
        if not same_origin(request):
            return pages.page(403, title="Not recorded", lines=["This form can only be sent from its own page."])
        if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
            return pages.page(415, title="Not recorded", lines=["Send the form from the check-in page."])
        body = await read_capped(request, MAX_BODY)
        if isinstance(body, Response):
            if body.status_code != 413:
                return body
            return pages.page(413, title="Not recorded", lines=["That form is too large; shorten the note."])
        data = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        form: dict[str, Any] = {
            "token": data.get("t", [""])[0],
            "score": data.get("score", [""])[0].strip(),
            "note": data.get("note", [""])[0][:500],
            "flags": data.get("flag", [])[: len(RED_FLAGS)],
        }
        try:
            link, athlete = await run_in_threadpool(pages.check, form["token"])
        except CheckinError as exc:
            return pages.refused(exc)
        return await run_in_threadpool(pages.record, link, athlete, form)

    async def manifest(_request: Request) -> Response:
        return Response(json.dumps(MANIFEST), media_type="application/manifest+json")

    def icon(size: int) -> Any:
        async def send(_request: Request) -> Response:
            return FileResponse(HERE / "static" / f"checkin-{size}.png", media_type="image/png")

        return send

    return [
        Route(PATH, show, methods=["GET"]),
        Route(PATH, answer, methods=["POST"]),
        Route(f"{PATH}/manifest.webmanifest", manifest, methods=["GET"]),
        Route(f"{PATH}/icon-192.png", icon(192), methods=["GET"]),
        Route(f"{PATH}/icon-512.png", icon(512), methods=["GET"]),
    ]
