"""The analysts' pages.

    GET  /login, POST /login, POST /logout
    GET  /                      the queue: every state, filters, search, sort, pages, counts
    POST /bulk                  release or reject the ticked messages, one justification
    GET  /m/{id}                one message: the decision first, then findings and history
    POST /m/{id}/release        justification (and "expedited", "encrypt"), CSRF token
    POST /m/{id}/reject         reason, CSRF token
    POST /m/{id}/note           an analyst's note on the history
    GET  /report                the report (also `piigate report --out FILE`)
    GET  /report.csv?table=T    one of the report's tables as CSV

Sign-in is an analyst account (argon2) or, when configured, a header set by an
authenticating reverse proxy. Failed sign-ins are throttled per name and per address
(``review.login_throttle``) and logged. Sessions live server-side (``review.sessions``): the
signed cookie (itsdangerous) carries only the session id and the CSRF token, so sign-out, an
absolute and an idle lifetime, and an analyst's removal end a session at once. Every
response carries the headers of ``review.security``. Every form carries the session's CSRF
token; a post without it is refused. Every view and action is logged with the analyst's name.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import structlog
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from piigate.config import ReviewSettings, Settings
from piigate.errors import QuarantineError
from piigate.keys import review_session_secret
from piigate.pipeline import Gate
from piigate.quarantine import QuarantineStore, State
from piigate.quarantine.analysts import Analysts
from piigate.quarantine.queue import SORTS, QueueQuery, age_text, queue_counts, queue_page
from piigate.quarantine.review import Review
from piigate.review.preview import with_context
from piigate.review.report import REPORT_TABLES, Report, report_of, table_csv
from piigate.review.security import SecurityHeaders
from piigate.review.sessions import ReviewSessions
from piigate.review.views import (
    attachment_rows,
    directory_of,
    exposure_limit,
    finding_groups,
    findings_summary,
    history,
    preview_of,
    what_happened,
)
from piigate.throttle import FailureThrottle

log = structlog.get_logger("piigate.review")

TEMPLATES = Path(__file__).parent / "templates"
LOCKED_OUT = "Too many failed sign-ins; try again later."
STATIC = Path(__file__).parent / "static"


def templates() -> Environment:
    return Environment(
        loader=FileSystemLoader([TEMPLATES, STATIC]),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(store: QuarantineStore, env: Environment | None = None) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no scripts)."""
    report = report_of(store, datetime.now(UTC))
    return (
        (env or templates())
        .get_template("report.html")
        .render(report=report, standalone=True, analyst=None, csrf="", tables=REPORT_TABLES)
    )


class ReviewPages:
    def __init__(
        self, review: Review, analysts: Analysts, settings: ReviewSettings, secret: bytes
    ) -> None:
        self.review = review
        self.analysts = analysts
        self.settings = settings
        self.secret = secret
        self.env = templates()
        self.sessions = ReviewSessions(review.store, settings)
        self.throttle = FailureThrottle(settings.login_throttle)

    def app(self) -> Starlette:
        routes = [
            Route("/login", self.login_page, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/", self.queue, methods=["GET"]),
            Route("/m/{held_id}", self.message, methods=["GET"]),
            Route("/m/{held_id}/release", self.release, methods=["POST"]),
            Route("/m/{held_id}/reject", self.reject, methods=["POST"]),
            Route("/m/{held_id}/note", self.note, methods=["POST"]),
            Route("/bulk", self.bulk, methods=["POST"]),
            Route("/report", self.report, methods=["GET"]),
            Route("/report.csv", self.report_csv, methods=["GET"]),
            Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        ]
        session = Middleware(
            SessionMiddleware,
            secret_key=self.secret.hex(),
            session_cookie="piigate_review",
            max_age=self.settings.session_max_age,
            same_site="strict",
            https_only=self.settings.secure_cookies,
        )
        return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders), session])

    # -- sign-in --------------------------------------------------------------------------

    async def analyst(self, request: Request) -> str | None:
        """The signed-in analyst; the session's row is read (and touched) off the event loop,
        as every other storage call of the pages is."""
        header = self.settings.auth_header
        if header and request.headers.get(header):
            return request.headers[header]
        return await asyncio.to_thread(self.sessions.analyst, request.session.get("sid"))

    def csrf(self, request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = request.session["csrf"] = secrets.token_urlsafe(32)
        return str(token)

    async def form(self, request: Request) -> dict[str, str] | None:
        """The posted form, or None when its CSRF token does not match the session's."""
        form = await self.checked_form(request)
        return None if form is None else {k: str(v) for k, v in form.items()}

    async def checked_form(self, request: Request) -> FormData | None:
        """The posted form with its repeated fields, or None without the right CSRF token."""
        form = await request.form()
        sent = str(form.get("csrf", ""))
        expected = request.session.get("csrf", "")
        if not expected or not hmac.compare_digest(sent.encode(), str(expected).encode()):
            return None
        return form

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        body = self.env.get_template(name).render(
            csrf=self.csrf(request), prefix=request.scope.get("root_path", ""), **context
        )
        return HTMLResponse(body, status_code=status)

    def to_login(self, request: Request) -> Response:
        if request.method != "GET":
            return HTMLResponse("Sign in first.", status_code=401)
        return RedirectResponse(f"{request.scope.get('root_path', '')}/login", status_code=303)

    async def login_page(self, request: Request) -> Response:
        return self.page(request, "login.html", analyst=None, error=None)

    async def login(self, request: Request) -> Response:
        form = await self.form(request)
        if form is None:
            return HTMLResponse("Missing or wrong form token.", status_code=403)
        name, password = form.get("name", ""), form.get("password", "")
        keys = (f"analyst {name}", f"address {request.client.host if request.client else ''}")
        if self.throttle.locked(*keys):
            log.warning("review sign-in locked out", analyst=name, peer=keys[1])
            return self.page(request, "login.html", 429, analyst=None, error=LOCKED_OUT)
        ok = await asyncio.to_thread(self.analysts.verify, name, password)
        if not ok:
            log.warning("review sign-in refused", analyst=name, peer=keys[1])
            await asyncio.sleep(self.throttle.failed(*keys))
            return self.page(
                request, "login.html", 401, analyst=None, error="Wrong name or password."
            )
        self.throttle.succeeded(keys[0])
        await asyncio.to_thread(self.sessions.end_stale)
        token = await asyncio.to_thread(self.sessions.begin, name)
        request.session.clear()
        request.session.update({"sid": token, "csrf": secrets.token_urlsafe(32)})
        log.info("review sign-in", analyst=name, peer=keys[1])
        return RedirectResponse(f"{request.scope.get('root_path', '')}/", status_code=303)

    async def logout(self, request: Request) -> Response:
        if await self.form(request) is None:
            return HTMLResponse("Missing or wrong form token.", status_code=403)
        sid = request.session.get("sid")
        log.info("review sign-out", analyst=await asyncio.to_thread(self.sessions.analyst, sid))
        await asyncio.to_thread(self.sessions.end, sid)
        request.session.clear()
        return RedirectResponse(f"{request.scope.get('root_path', '')}/login", status_code=303)

    # -- pages ----------------------------------------------------------------------------

    async def queue(self, request: Request) -> Response:
        analyst = await self.analyst(request)
        if analyst is None:
            return self.to_login(request)
        params = dict(request.query_params)
        query = QueueQuery.from_params(params)
        store = self.review.store
        page, counts = await asyncio.to_thread(
            lambda: (queue_page(store, query), queue_counts(store))
        )
        rules = sorted(rule.id for rule in self.review.screener.policy.rules.rules)
        log.info("review view", analyst=analyst, page="queue", shown=len(page.rows))
        now = datetime.now(UTC)
        return self.page(
            request,
            "queue.html",
            analyst=analyst,
            page=page,
            query=query,
            params=params,
            link=functools.partial(_link, params),
            counts=counts,
            oldest=counts.oldest_age(now),
            ages={r.id: age_text(now - datetime.fromisoformat(r.held_at)) for r in page.rows},
            rules=rules,
            states=[s.value for s in State],
            sorts=list(SORTS),
            notice=params.get("notice", "")[:300],
        )

    async def message(self, request: Request) -> Response:
        analyst = await self.analyst(request)
        if analyst is None:
            return self.to_login(request)
        held_id = request.path_params["held_id"]
        store = self.review.store
        try:
            held = await asyncio.to_thread(store.get, held_id)
        except QuarantineError:
            return HTMLResponse("No such message.", status_code=404)
        await asyncio.to_thread(store.add_note, held_id, analyst, "view", "")
        details, events, notes = await asyncio.to_thread(
            lambda: (store.details(held_id), store.events(held_id), store.notes(held_id))
        )
        preview = await asyncio.to_thread(preview_of, self.review, held_id)
        findings = with_context(held.findings, details.contexts, preview)
        log.info("review view", analyst=analyst, page="message", held_id=held_id)
        return self.page(
            request,
            "message.html",
            analyst=analyst,
            m=held,
            d=details,
            recipients=directory_of(self.review).recipients(held, details),
            groups=finding_groups(findings, details.counted()),
            preview=preview,
            attachments=attachment_rows(held.attachments),
            summary=findings_summary(held, details.omitted),
            history=history(held, events, notes),
            outcome=what_happened(held, notes),
            limit=exposure_limit(self.review.screener.policy),
            done=request.query_params.get("done"),
            error=request.query_params.get("error"),
        )

    async def release(self, request: Request) -> Response:
        return await self._act(request, "release")

    async def reject(self, request: Request) -> Response:
        return await self._act(request, "reject")

    async def note(self, request: Request) -> Response:
        return await self._act(request, "note")

    async def _act(self, request: Request, action: str) -> Response:
        analyst = await self.analyst(request)
        if analyst is None:
            return self.to_login(request)
        form = await self.form(request)
        if form is None:
            log.warning("review post without CSRF token", analyst=analyst, action=action)
            return HTMLResponse("Missing or wrong form token.", status_code=403)
        held_id = request.path_params["held_id"]
        root = request.scope.get("root_path", "")
        try:
            await self._decide(held_id, analyst, action, form)
        except QuarantineError as exc:
            log.warning(
                "review action failed",
                analyst=analyst,
                action=action,
                held_id=held_id,
                error=str(exc),
            )
            return RedirectResponse(f"{root}/m/{held_id}?error={_quote(str(exc))}", status_code=303)
        log.info("review action", analyst=analyst, action=action, held_id=held_id)
        return RedirectResponse(f"{root}/m/{held_id}?done={action}#decision", status_code=303)

    async def _decide(self, held_id: str, analyst: str, action: str, form: dict[str, str]) -> None:
        if action == "release":
            await self.review.release(
                held_id,
                analyst,
                form.get("justification", ""),
                expedited=form.get("expedited") == "on",
                encrypt=form.get("do") == "release-encrypted",
            )
        elif action == "reject":
            await self.review.reject(held_id, analyst, form.get("reason", ""))
        else:
            await asyncio.to_thread(self.review.note, held_id, analyst, form.get("note", ""))

    async def bulk(self, request: Request) -> Response:
        analyst = await self.analyst(request)
        if analyst is None:
            return self.to_login(request)
        form = await self.checked_form(request)
        if form is None:
            log.warning("review post without CSRF token", analyst=analyst, action="bulk")
            return HTMLResponse("Missing or wrong form token.", status_code=403)
        ids = [str(i) for i in form.getlist("ids")]
        action = str(form.get("do", ""))
        back = str(form.get("back", "")) or "state=held"
        try:
            results = await self.review.bulk(
                ids, analyst, action, str(form.get("justification", ""))
            )
        except QuarantineError as exc:
            said = str(exc)
        else:
            done = sum(r.done for r in results)
            failed = "; ".join(f"{r.held_id}: {r.error}" for r in results if not r.done)
            said = f"{action}: {done} of {len(results)} done" + (f"; {failed}" if failed else "")
        root = request.scope.get("root_path", "")
        return RedirectResponse(f"{root}/?{back}&notice={_quote(said)}", status_code=303)

    async def report(self, request: Request) -> Response:
        analyst = await self.analyst(request)
        if analyst is None:
            return self.to_login(request)
        report = await asyncio.to_thread(self._report)
        log.info("review view", analyst=analyst, page="report")
        return self.page(
            request,
            "report.html",
            analyst=analyst,
            report=report,
            standalone=False,
            tables=REPORT_TABLES,
        )

    def _report(self) -> Report:
        return report_of(self.review.store, datetime.now(UTC))

    async def report_csv(self, request: Request) -> Response:
        analyst = await self.analyst(request)
        if analyst is None:
            return self.to_login(request)
        table = request.query_params.get("table", "")
        if table not in REPORT_TABLES:
            return HTMLResponse(f"No such table; one of: {', '.join(REPORT_TABLES)}", 404)
        report = await asyncio.to_thread(self._report)
        log.info("review view", analyst=analyst, page="report.csv", table=table)
        return Response(
            table_csv(report, table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="piigate-{table}.csv"'},
        )


def _link(params: dict[str, str], **changes: str | int) -> str:
    """The queue's query string with ``changes`` (a sort, a page), keeping the filters."""
    merged = {k: v for k, v in params.items() if k != "notice"}
    merged.update({k: str(v) for k, v in changes.items()})
    return "?" + urlencode(merged)


def _quote(text: str) -> str:
    return quote(text[:200])


def build_pages(settings: Settings, gate: Gate) -> ReviewPages:
    """The review pages over the gate's quarantine, relay and ledger."""
    review = Review(
        gate.quarantine,
        gate.actor,
        gate.screener,
        timedelta(days=settings.quarantine.max_age_days),
    )
    return ReviewPages(
        review, Analysts(gate.quarantine), settings.review, review_session_secret(settings)
    )
