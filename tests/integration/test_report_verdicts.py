"""The report covers every verdict, not only held mail: the running service counts outcomes,
rules and audit-mode hits (written to the quarantine's database when it stops), the report
shows and exports them, and /metrics counts audit-mode hits too. `/` goes to the queue."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from piigate.config import Settings
from piigate.decide import Policy
from piigate.http import GateMetrics, build_app
from piigate.pipeline import Screener
from piigate.quarantine.store import QuarantineStore
from piigate.quarantine.tally import verdict_counts
from piigate.quarantine.totals import HeldTotals
from piigate.review.app import render_report
from piigate.review.report import build_report, table_csv
from tests.conftest import Sink, send, settings_for
from tests.integration.service import http_get, metric, running_service, smtp_address
from tests.synthetic import message, ssn

UNREADABLE = ("data.bin", b"\x00\x01BINARY" + b"\x00" * 64, "application/octet-stream")


def _counts(store: QuarantineStore, kind: str) -> dict[str, int]:
    return {c.name: c.count for c in verdict_counts(store) if c.kind == kind}


async def test_every_verdict_is_counted_and_reported(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """A clean message, a refusal and a hold are each counted by outcome, the refusal and the
    hold by rule, the sender of each; the standalone report and its CSV show them."""
    settings = settings_for(shipped_settings, tmp_path, sink.address)
    async with running_service(settings, screener) as service:
        address = smtp_address(service)
        assert (await send(address, message()))[0] == 250
        assert (await send(address, message(body=f"SSN {ssn(random.Random(3))}\n")))[0] == 550
        assert (await send(address, message(attachments=(UNREADABLE,))))[0] == 250
        status, _ = await http_get(service, "/")
        assert status == 404  # no review pages mounted here: nothing at /
    store = service.gate.quarantine
    reopened = QuarantineStore(settings.quarantine.url, store.sealed)
    try:
        outcomes = _counts(reopened, "outcome")
        assert outcomes == {"delivered": 1, "refused": 1, "held": 1}
        rules = _counts(reopened, "rule")
        assert rules["reject:unencrypted-sensitive-pii"] == 1
        assert rules["quarantine:unscannable-content"] == 1
        assert _counts(reopened, "sender") == {"alice@dhs.gov": 2}
        html = render_report(reopened)
        assert "unencrypted-sensitive-pii" in html and "Rules enforced" in html
        report = build_report(HeldTotals(), [], datetime.now(UTC), verdict_counts(reopened))
        lines = table_csv(report, "rules_enforced").splitlines()
        assert lines[0] == "action,rule,messages"
        assert "refused,unencrypted-sensitive-pii,1" in lines
    finally:
        reopened.close()


async def test_audit_mode_hits_reach_the_report_and_metrics(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """With the policy in audit mode a message that breaks a rule is delivered, and the hit
    is counted in /metrics and in the report's audit table."""
    base = settings_for(shipped_settings, tmp_path, sink.address)
    settings = base.model_copy(update={"policy": base.policy.model_copy(update={"audit": True})})
    audit_screener = Screener(
        screener.detector,
        Policy(screener.policy.rules, screener.policy.domains, settings.policy),
        settings.extraction,
    )
    async with running_service(settings, audit_screener) as service:
        body = f"SSN {ssn(random.Random(5))}\n"
        assert (await send(smtp_address(service), message(body=body)))[0] == 250
        hits = await metric(
            service, "piigate_audit_rule_violations_total", rule="unencrypted-sensitive-pii"
        )
        assert hits == 1
    reopened = QuarantineStore(settings.quarantine.url, service.gate.quarantine.sealed)
    try:
        assert _counts(reopened, "outcome") == {"delivered (audit-mode hit)": 1}
        assert _counts(reopened, "audit")["unencrypted-sensitive-pii"] == 1
    finally:
        reopened.close()


async def test_root_goes_to_the_queue() -> None:
    """With the review pages mounted, ``/`` on the gate's HTTP listener redirects to them."""

    async def queue(_: Request) -> PlainTextResponse:
        return PlainTextResponse("queue")

    app = build_app(GateMetrics(lambda: 0), {}, Starlette(routes=[Route("/", queue)]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gate") as client:
        response = await client.get("/")
        assert response.status_code == 307 and response.headers["location"] == "/review/"
        assert (await client.get("/", follow_redirects=True)).text == "queue"
