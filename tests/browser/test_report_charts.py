"""The report's charts in headless Chromium: per day and per week, every bar drawn, every
label inside its chart and clear of its neighbours (element boxes measured), no CSP
violation; and the charts' numbers export as CSV. Also a finding in an attachment shows its
masked context on the message page."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, timedelta

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import Site
from tests.browser.test_review_csp import csp_violations
from tests.browser.test_review_ui import sign_in
from tests.browser.test_workspace import hold, shot
from tests.conftest import RunningGate
from tests.integration.test_policy_rules import DISCLAIMER
from tests.synthetic import ssn

DAYS = 45

BOXES = """svg => {
  const box = e => { const r = e.getBoundingClientRect();
                     return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  const frame = svg.closest('.chart'), svgBox = box(svg), frameBox = box(frame);
  const style = getComputedStyle(frame);
  return {
    chart: {left: Math.max(svgBox.left, frameBox.left + parseFloat(style.paddingLeft)),
            right: Math.min(svgBox.right, frameBox.right - parseFloat(style.paddingRight)),
            top: svgBox.top, bottom: svgBox.bottom},
    bars: svg.querySelectorAll('rect').length,
    labels: [...svg.querySelectorAll('text.label')].map(box),
    counts: [...svg.querySelectorAll('text.count')].map(box),
  };
}"""


def seed_counts(gate: RunningGate) -> None:
    """Verdict counts over ``DAYS`` days, some in the tens of thousands (long labels)."""
    today = datetime.now(UTC).date()
    rows = []
    for back in range(DAYS):
        day = (today - timedelta(days=back)).isoformat()
        rows.append((day, "outcome", "refused", 12_345 if back % 7 == 0 else back + 1))
        rows.append((day, "outcome", "delivered", 99_999))
    gate.gate.quarantine.write_all(
        *(
            ("INSERT INTO verdict_counts (day, kind, name, count) VALUES (?, ?, ?, ?)", r)
            for r in rows
        )
    )


def inside(box: dict[str, float], chart: dict[str, float]) -> bool:
    return (
        box["left"] >= chart["left"] - 0.5
        and box["right"] <= chart["right"] + 0.5
        and box["top"] >= chart["top"] - 0.5
        and box["bottom"] <= chart["bottom"] + 0.5
    )


def apart(boxes: list[dict[str, float]]) -> bool:
    ordered = sorted(boxes, key=lambda b: b["left"])
    return all(a["right"] <= b["left"] for a, b in itertools.pairwise(ordered))


async def report_page(site: Site, browser: Browser) -> tuple[Page, list[str]]:
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    violations = csp_violations(page)
    await sign_in(page, site)
    await page.goto(f"{site.url}/report")
    return page, violations


async def test_charts_per_day_and_week_draw_every_bar_with_unclipped_labels(
    site: Site, gate: RunningGate, browser: Browser
) -> None:
    """Four charts (broke a rule and held, per day and per week): the daily one has its 30
    days, the weekly one every week; each label and count lies inside the visible part of
    its chart, clear of its neighbours and at least 9 px tall; the page runs under the CSP
    with no violation."""
    seed_counts(gate)
    await hold(gate, "alice@dhs.gov", ("clerk@example.com",), "Charted")
    page, violations = await report_page(site, browser)
    charts = [await svg.evaluate(BOXES) for svg in await page.locator(".chart svg").all()]
    assert len(charts) == 4
    weeks = len(
        {date.fromordinal(date.today().toordinal() - b).isocalendar()[:2] for b in range(DAYS)}
    )
    assert [c["bars"] for c in charts] == [30, weeks, 1, 1]
    for chart in charts:
        texts = chart["labels"] + chart["counts"]
        assert texts and all(inside(box, chart["chart"]) for box in texts), chart
        assert apart(chart["labels"]) and apart(chart["counts"]), chart
        assert all(box["bottom"] - box["top"] >= 9 for box in texts), chart
    await page.locator(".chart").first.scroll_into_view_if_needed()
    await shot(page, "report-charts")
    assert violations == []
    csp = (await page.request.get(f"{site.url}/report")).headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "script-src 'self'" in csp


async def test_the_charts_numbers_export_as_csv(
    site: Site, gate: RunningGate, browser: Browser
) -> None:
    """The weekly chart's numbers download as CSV: a header, then one row per week summing
    its days' rule-breaking messages."""
    seed_counts(gate)
    page, _ = await report_page(site, browser)
    text = await (await page.request.get(f"{site.url}/report.csv?table=hits_by_week")).text()
    lines = text.splitlines()
    assert lines[0] == "week,messages that broke a rule"
    total = sum(int(line.rsplit(",", 1)[1]) for line in lines[1:])
    assert total == sum(12_345 if back % 7 == 0 else back + 1 for back in range(DAYS))


async def test_a_finding_in_an_attachment_shows_its_masked_context(
    site: Site, gate: RunningGate, browser: Browser
) -> None:
    """An SSN in a text attachment and those in a 200-row CSV each show masked context on the
    message page (the line; the row with its column); the CSV's findings show five rows and
    "Show 195 more", the actions stay in the first screen, and no value reaches the page."""
    rng = random.Random(61)
    in_text, in_table = ssn(rng), ssn(rng)
    notes = f"Transfer notes\nEmployee record: SSN {in_text}, transferred in May.\n"
    others = [ssn(rng) for _ in range(199)]
    table = f"Id,SSN,Office\n1,{in_table},Denver\n" + "".join(
        f"{i},{value},Denver\n" for i, value in enumerate(others, start=2)
    )
    held_id = await hold(
        gate,
        "alice@dhs.gov",
        ("clerk@example.com",),
        "Attachments",
        body=f"See the attached notes.\n{DISCLAIMER}\n",
        attachments=(
            ("notes.txt", notes.encode(), "text/plain"),
            ("staff.csv", table.encode(), "text/csv"),
        ),
    )
    page = await browser.new_page()
    await sign_in(page, site)
    await page.goto(f"{site.url}/m/{held_id}")
    contexts = await page.locator("td.context").all_inner_texts()
    assert any(f"Employee record: SSN ***-**-{in_text[-4:]}, transferred" in c for c in contexts)
    assert any(c.startswith("row 2 · SSN: ***-**-" + in_table[-4:]) for c in contexts), contexts
    await expect(page.get_by_text("Show 95 more")).to_be_visible()
    await expect(
        page.get_by_text("US_SSN in attachment staff.csv: 200 (100 listed, 100 more counted)")
    ).to_be_visible()
    await expect(page.get_by_text("US_SSN in attachment notes.txt: 1", exact=True)).to_be_visible()
    release = await page.get_by_role("button", name="Release", exact=True).bounding_box()
    assert release is not None and release["y"] + release["height"] <= 720  # the first screen
    content = await page.content()
    assert not any(value in content for value in (in_text, in_table, *others))
    await shot(page, "message-attachment-context")
