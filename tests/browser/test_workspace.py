"""The analysts' workspace in headless Chromium on a real gate with a real sink: the queue over
every state (filter, search, bulk release), reject with a reason and the sender's notice, the
release of an archive nobody could open, the report with its CSV, and the accessibility basics
(every control labelled and reachable by keyboard). Screenshots of the queue, a message and the
report are written to build/screenshots/ for a person to look at."""

from __future__ import annotations

import email
import email.policy
import random
from email.message import EmailMessage
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from piigate.quarantine.tally import VerdictTally
from tests.browser.conftest import Site
from tests.browser.test_review_ui import sign_in
from tests.conftest import RunningGate, Sink, send
from tests.formats import aes_zip
from tests.integration.test_policy_rules import DISCLAIMER, PURPOSE
from tests.synthetic import message, ssn

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
CONTROLS = "input:not([type=hidden]), select, textarea, button, a[href], summary"
UNLABELLED = """els => els.filter(e => !(
    (e.labels && e.labels.length) || e.getAttribute('aria-label') || e.textContent.trim()
  )).map(e => e.outerHTML)"""


async def hold(
    gate: RunningGate,
    sender: str,
    rcpts: tuple[str, ...],
    subject: str,
    body: str | None = None,
    attachments: tuple[tuple[str, bytes, str], ...] = (),
    html: str | None = None,
) -> str:
    """Send a message the gate holds (an SSN, no sharing agreement); its quarantine id."""
    if body is None:
        body = f"SSN {ssn(random.Random(subject))}\n{DISCLAIMER}\n"
    raw = message(
        sender=sender,
        to=rcpts,
        subject=f"[ENCRYPT] {PURPOSE} {subject}",
        body=body,
        attachments=attachments,
        html=html,
    )
    code, reply = await send(gate.address, raw, mail_from=sender, rcpt_tos=rcpts)
    assert code == 250 and "Held" in reply, reply
    return reply.split(" as ")[1].split(";")[0]


def parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value,unused-ignore]


async def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def test_queue_reaches_every_state_filters_searches_and_bulk_releases(
    site: Site, gate: RunningGate, sink: Sink, browser: Browser
) -> None:
    """Rejecting with a reason tells the sender (Subject and reason in the notice); the queue
    then reaches held and rejected mail by state, finds one by subject, and one bulk release
    with one justification releases two messages, each with its own audited event."""
    roster = await hold(gate, "alice@dhs.gov", ("clerk@example.com",), "Roster A")
    training = await hold(gate, "bob@dhs.gov", ("desk@example.org",), "Training list B")
    payroll = await hold(gate, "carol@dhs.gov", ("pay@example.net",), "Payroll C")
    sink.handler.messages.clear()
    page = await browser.new_page()
    await sign_in(page, site)
    await page.get_by_role("link", name=training).click()
    await page.get_by_label("Reason").fill("Send only the two records requested")
    await page.get_by_role("button", name="Reject").click()
    await expect(page.get_by_role("status")).to_contain_text("Rejected: not sent to anyone")
    [notice] = [parsed(m.content) for m in sink.messages if m.rcpt_tos == ["bob@dhs.gov"]]
    assert "Training list B" in str(notice["Subject"])
    assert "Send only the two records requested" in notice.get_content()
    await expect(page.locator("ol.history")).to_contain_text("notice of rejected sent")

    await page.get_by_role("link", name="Held mail").click()
    rows = page.locator("tbody tr")
    await expect(rows).to_have_count(2)
    await expect(page.locator("ul.counts")).to_contain_text("1 rejected")
    await page.get_by_label("State").select_option("all")
    await page.get_by_role("button", name="Filter").click()
    await expect(rows).to_have_count(3)
    await shot(page, "queue")
    await page.get_by_label("State").select_option("rejected")
    await page.get_by_role("button", name="Filter").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(training)
    await page.get_by_label("State").select_option("held")
    await page.get_by_label("Search").fill("payroll")
    await page.get_by_role("button", name="Filter").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(payroll)

    await page.get_by_label("Search").fill("")
    await page.get_by_role("button", name="Filter").click()
    for held_id in (roster, payroll):
        await page.get_by_label(f"Select {held_id}").check()
    await page.get_by_label("Justification for the ticked messages").fill("ISA 2026-3 covers both")
    await page.get_by_role("button", name="Release selected").click()
    await expect(page.get_by_role("status")).to_contain_text("release: 2 of 2 done")
    await expect(rows).to_have_count(1)  # "Nothing held" row
    store = gate.gate.quarantine
    for held_id in (roster, payroll):
        [event] = store.events(held_id)
        assert (event.actor, event.to_state.value, event.reason) == (
            "pat",
            "released",
            "ISA 2026-3 covers both",
        )
    assert {r.released_by for r in gate.records()} == {"pat"}


async def test_an_uninspected_archive_is_said_so_and_released(
    site: Site, gate: RunningGate, sink: Sink, browser: Browser
) -> None:
    """An AES-256 zip without its password to four organisations: the page says "not
    inspected (encrypted (AES-256), no password)", never "No sensitive PII found" alone; the
    actions come before the findings; release says where it went and that the sender was told."""
    archive = aes_zip({"list.csv": b"name,ssn\n"}, "a synthetic password")
    rcpts = ("a@example.com", "b@example.org", "c@example.net", "d@example.edu")
    held_id = await hold(
        gate,
        "alice@dhs.gov",
        rcpts,
        "Quarterly list",
        body=f"Attached.\n{DISCLAIMER}\n",
        attachments=(("list.zip", archive, "application/zip"),),
    )
    page = await browser.new_page()
    await sign_in(page, site)
    await page.get_by_role("link", name=held_id).click()
    await expect(page.locator("td.uninspected")).to_have_text(
        "not inspected (encrypted (AES-256), no password)"
    )
    await expect(page.locator("p.findings-summary")).to_have_text(
        "No sensitive PII found in the parts that could be read; 1 attachment(s) not inspected"
        " (see Attachments)."
    )
    await expect(page.locator("table.recipients tbody tr")).to_have_count(4)
    decide = await page.get_by_role("heading", name="Decide").bounding_box()
    findings = await page.get_by_role("heading", name="Findings").bounding_box()
    assert decide is not None and findings is not None and decide["y"] < findings["y"]
    await shot(page, "message")
    await page.get_by_label("Justification").fill("Each organisation asked under ISA 2026-4")
    await page.get_by_role("button", name="Release", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text(
        "Released to 4 recipients; a notice was sent to the sender."
    )
    delivered = [m for m in sink.messages if m.rcpt_tos == list(rcpts)]
    assert len(delivered) == 1


async def test_report_counts_decisions_and_exports_csv(
    site: Site, gate: RunningGate, browser: Browser
) -> None:
    """The report shows every verdict (the gate's counts), decisions and rules, and each table
    downloads as CSV."""
    tally = VerdictTally(gate.gate.quarantine, gate.gate.actor.domains.organization)
    gate.gate.observer = tally
    held_id = await hold(gate, "alice@dhs.gov", ("clerk@example.com",), "Report me")
    await hold(gate, "alice@dhs.gov", ("desk@example.org",), "Report me too")
    code, _ = await send(gate.address, message(body=f"SSN {ssn(random.Random(1))}\n"))
    assert code == 550
    tally.flush()
    page = await browser.new_page()
    await sign_in(page, site)
    await page.goto(f"{site.url}/m/{held_id}")
    await page.get_by_label("Reason").fill("Not needed by the recipient")
    await page.get_by_role("button", name="Reject").click()
    await page.get_by_role("link", name="Report").click()
    await expect(page.locator("body")).to_contain_text("no-sharing-agreement")
    await expect(page.locator("table.verdicts")).to_contain_text("held2")
    await expect(page.locator("table.verdicts")).to_contain_text("refused1")
    await shot(page, "report")
    response = await page.request.get(f"{site.url}/report.csv?table=by_rule")
    assert response.status == 200
    lines = (await response.text()).splitlines()
    assert lines[0] == "rule,count" and "no-sharing-agreement,2" in lines
    decisions = await (await page.request.get(f"{site.url}/report.csv?table=decisions")).text()
    assert "rejected,1" in decisions.splitlines()


async def test_every_control_is_labelled_and_reachable_by_keyboard(
    site: Site, gate: RunningGate, browser: Browser
) -> None:
    """On the queue, a message and the report, every control has an accessible name, and
    pressing Tab visits each one (none is taken out of the tab order)."""
    held_id = await hold(gate, "alice@dhs.gov", ("clerk@example.com",), "Keyboard")
    page = await browser.new_page()
    await sign_in(page, site)
    for path in ("/", f"/m/{held_id}", "/report"):
        await page.goto(f"{site.url}{path}")
        controls = page.locator(CONTROLS)
        assert await controls.evaluate_all(UNLABELLED) == [], path
        visible = [c for c in await controls.all() if await c.is_visible()]
        reached: set[str] = set()
        for _ in range(2 * len(visible) + 5):
            await page.keyboard.press("Tab")
            reached.add(await page.evaluate("document.activeElement.outerHTML"))
        missing = [h for c in visible if (h := await c.evaluate("e => e.outerHTML")) not in reached]
        assert missing == [], path


async def test_the_preview_is_masked_sanitised_and_loads_nothing_remote(
    site: Site, gate: RunningGate, browser: Browser
) -> None:
    """The preview shows the text and the HTML body with the SSN masked and highlighted, the
    finding's masked line as context; the HTML's script, image and link are gone, and the page
    asks nothing of any other host."""
    value = ssn(random.Random(44))
    html = (
        f"<p>Employee <b>record</b>: SSN {value}</p><script>document.title='x'</script>"
        '<img src="http://203.0.113.9/track.png"><a href="http://203.0.113.9/">site</a>'
    )
    held_id = await hold(
        gate,
        "alice@dhs.gov",
        ("clerk@example.com",),
        "Preview",
        body=f"Employee record: SSN {value}\n{DISCLAIMER}\n",
        html=html,
    )
    page = await browser.new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    await sign_in(page, site)
    await page.goto(f"{site.url}/m/{held_id}")
    masked = f"***-**-{value[-4:]}"
    await expect(page.locator("pre.preview mark")).to_have_text(masked)
    await expect(page.locator(".preview-html mark")).to_have_text(masked)
    await expect(page.locator(".preview-html")).to_contain_text("Employee record: SSN")
    assert (
        await page.locator(".preview-html script, .preview-html img, .preview-html a").count() == 0
    )
    await expect(page.locator("td.context").first).to_contain_text(f"Employee record: SSN {masked}")
    assert value not in await page.content()
    assert all(url.startswith(site.url) for url in asked), asked
    await shot(page, "message-preview")
