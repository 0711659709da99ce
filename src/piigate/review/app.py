"""The analysts' pages.

    GET  /login, POST /login, POST /logout
    GET  /                      the queue: held messages, newest first, filterable
    GET  /m/{id}                one message: envelope, violations, masked findings, actions
    POST /m/{id}/release        justification (and "expedited"), CSRF token
    POST /m/{id}/reject         reason, CSRF token
    GET  /report                the report (also `piigate report --out FILE`)

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
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import structlog
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from piigate.config import ReviewSettings, Settings
from piigate.errors import QuarantineError
from piigate.keys import review_session_secret
from piigate.pipeline import Gate
from piigate.quarantine import HeldMessage, QuarantineStore, State
from piigate.quarantine.analysts import Analysts
from piigate.quarantine.review import Review
from piigate.review.report import build_report
from piigate.review.security import SecurityHeaders
from piigate.review.sessions import ReviewSessions
from piigate.throttle import FailureThrottle

log = structlog.get_logger("piigate.review")

TEMPLATES = Path(__file__).parent / "templates"
LOCKED_OUT = "Too many failed sign-ins; try again later."


def templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(store: QuarantineStore, env: Environment | None = None) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no scripts)."""
    report = build_report(store.messages(None), store.events(), datetime.now(UTC))
    return (
        (env or templates())
        .get_template("report.html")
        .render(report=report, standalone=True, analyst=None, csrf="")
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
            Route("/report", self.report, methods=["GET"]),
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

    def analyst(self, request: Request) -> str | None:
        header = self.settings.auth_header
        if header and request.headers.get(header):
            return request.headers[header]
        return self.sessions.analyst(request.session.get("sid"))

    def csrf(self, request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = request.session["csrf"] = secrets.token_urlsafe(32)
        return str(token)

    async def form(self, request: Request) -> dict[str, str] | None:
        """The posted form, or None when its CSRF token does not match the session's."""
        form = await request.form()
        sent = str(form.get("csrf", ""))
        expected = request.session.get("csrf", "")
        if not expected or not hmac.compare_digest(sent.encode(), str(expected).encode()):
            return None
        return {k: str(v) for k, v in form.items()}

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
        log.info("review sign-out", analyst=self.sessions.analyst(sid))
        await asyncio.to_thread(self.sessions.end, sid)
        request.session.clear()
        return RedirectResponse(f"{request.scope.get('root_path', '')}/login", status_code=303)

    # -- pages ----------------------------------------------------------------------------

    async def queue(self, request: Request) -> Response:
        analyst = self.analyst(request)
        if analyst is None:
            return self.to_login(request)
        filters = {
            k: request.query_params.get(k, "").strip()
            for k in ("rule", "sender", "organization", "case")
        }
        held = await asyncio.to_thread(self.review.store.messages, State.HELD)
        shown = [m for m in held if _matches(m, filters)]
        log.info("review view", analyst=analyst, page="queue", shown=len(shown))
        now = datetime.now(UTC)
        return self.page(
            request,
            "queue.html",
            analyst=analyst,
            messages=shown,
            filters=filters,
            ages={m.id: _age(m, now) for m in shown},
            rules=sorted({r for m in held for r in m.rules}),
        )

    async def message(self, request: Request) -> Response:
        analyst = self.analyst(request)
        if analyst is None:
            return self.to_login(request)
        held_id = request.path_params["held_id"]
        try:
            held = await asyncio.to_thread(self.review.store.get, held_id)
        except QuarantineError:
            return HTMLResponse("No such message.", status_code=404)
        events = await asyncio.to_thread(self.review.store.events, held_id)
        log.info("review view", analyst=analyst, page="message", held_id=held_id)
        return self.page(
            request,
            "message.html",
            analyst=analyst,
            m=held,
            events=events,
            error=request.query_params.get("error"),
        )

    async def release(self, request: Request) -> Response:
        return await self._act(request, "release")

    async def reject(self, request: Request) -> Response:
        return await self._act(request, "reject")

    async def _act(self, request: Request, action: str) -> Response:
        analyst = self.analyst(request)
        if analyst is None:
            return self.to_login(request)
        form = await self.form(request)
        if form is None:
            log.warning("review post without CSRF token", analyst=analyst, action=action)
            return HTMLResponse("Missing or wrong form token.", status_code=403)
        held_id = request.path_params["held_id"]
        root = request.scope.get("root_path", "")
        try:
            if action == "release":
                await self.review.release(
                    held_id,
                    analyst,
                    form.get("justification", ""),
                    expedited=form.get("expedited") == "on",
                )
            else:
                await self.review.reject(held_id, analyst, form.get("reason", ""))
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
        return RedirectResponse(f"{root}/", status_code=303)

    async def report(self, request: Request) -> Response:
        analyst = self.analyst(request)
        if analyst is None:
            return self.to_login(request)
        store = self.review.store
        messages, events = await asyncio.to_thread(lambda: (store.messages(None), store.events()))
        log.info("review view", analyst=analyst, page="report")
        report = build_report(messages, events, datetime.now(UTC))
        return self.page(request, "report.html", analyst=analyst, report=report, standalone=False)


def _matches(held: HeldMessage, filters: dict[str, str]) -> bool:
    rule, sender, org, case = (filters[k] for k in ("rule", "sender", "organization", "case"))
    return (
        (not rule or rule in held.rules)
        and (not sender or sender.lower() in held.mail_from.lower())
        and (not org or any(org.lower() in o for o in held.organizations))
        and (not case or (held.case_id or "").lower() == case.lower())
    )


def _age(held: HeldMessage, now: datetime) -> str:
    minutes = int(held.age(now).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} days"


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
