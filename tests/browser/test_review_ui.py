"""The analysts' review pages in a real browser: sign in, filter, open, release with a
justification, see the message gone from the queue and counted in the report; no page shows
an unmasked SSN; no session and no CSRF token are refused."""

from __future__ import annotations

import random

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import ANALYST, PASSWORD, Site
from tests.conftest import RunningGate, Sink, send
from tests.integration.test_policy_rules import DISCLAIMER, PURPOSE
from tests.synthetic import message, ssn


async def hold(gate: RunningGate, sender: str, rcpt: str, value: str, subject: str = "") -> str:
    raw = message(
        sender=sender,
        to=(rcpt,),
        subject=f"[ENCRYPT] {PURPOSE} {subject}",
        body=f"SSN {value}\n{DISCLAIMER}\n",
    )
    code, reply = await send(gate.address, raw, mail_from=sender, rcpt_tos=(rcpt,))
    assert code == 250 and "Held" in reply, reply
    return reply.split(" as ")[1].split(";")[0]


async def sign_in(page: Page, site: Site) -> None:
    await page.goto(f"{site.url}/")
    await expect(page).to_have_url(f"{site.url}/login")
    await page.get_by_label("Analyst").fill(ANALYST)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Held mail")).to_be_visible()


async def test_sign_in_filter_open_release_and_report(
    site: Site, gate: RunningGate, sink: Sink, browser: Browser
) -> None:
    rng = random.Random(31)
    values = [ssn(rng) for _ in range(2)]
    first = await hold(gate, "alice@dhs.gov", "clerk@example.com", values[0])
    second = await hold(gate, "bob@dhs.gov", "desk@example.org", values[1])
    page = await browser.new_page()
    await sign_in(page, site)
    rows = page.locator("tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_contain_text(second)  # newest first
    await page.get_by_label("Sender").fill("alice")
    await page.get_by_role("button", name="Filter").click()
    await expect(rows).to_have_count(1)
    await page.get_by_role("link", name=first).click()
    await expect(page.get_by_role("heading", name=first)).to_be_visible()
    await expect(page.locator("ul.violations")).to_contain_text("no-sharing-agreement")
    await expect(page.locator("body")).to_contain_text(f"***-**-{values[0][-4:]}")
    for value in values:
        assert value not in await page.content()
    await page.get_by_label("Justification").fill("Formal request 2026-17 received")
    await page.get_by_role("button", name="Release", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("Released to 1 recipient;")
    await page.get_by_role("link", name="Held mail").click()
    await expect(page.locator("tbody")).not_to_contain_text(first)
    await expect(page.locator("tbody")).to_contain_text(second)
    assert any(m.rcpt_tos == ["clerk@example.com"] for m in sink.messages)
    [record] = gate.records()
    assert record.released_by == ANALYST
    assert record.release_reason == "Formal request 2026-17 received"
    await page.get_by_role("link", name="Report").click()
    await expect(page.locator("body")).to_contain_text("no-sharing-agreement")
    await expect(page.locator("svg[aria-label='Messages held per day'] rect")).to_have_count(1)


async def test_requests_without_a_session_are_refused(site: Site, browser: Browser) -> None:
    page = await browser.new_page()
    response = await page.request.get(f"{site.url}/report", max_redirects=0)
    assert response.status == 303 and response.headers["location"].endswith("/review/login")
    post = await page.request.post(
        f"{site.url}/m/any/release", form={"justification": "x"}, max_redirects=0
    )
    assert post.status == 401


async def test_a_form_post_without_the_csrf_token_is_refused(
    site: Site, gate: RunningGate, browser: Browser
) -> None:
    held_id = await hold(gate, "alice@dhs.gov", "clerk@example.com", ssn(random.Random(9)))
    page = await browser.new_page()
    await sign_in(page, site)  # the page's request context shares the session cookie
    forged = await page.request.post(
        f"{site.url}/m/{held_id}/release", form={"justification": "forged"}, max_redirects=0
    )
    assert forged.status == 403
    assert gate.gate.quarantine.get(held_id).state.value == "held"


async def test_wrong_password_is_refused(site: Site, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(f"{site.url}/login")
    await page.get_by_label("Analyst").fill(ANALYST)
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("Wrong name or password")
