"""The message page in a real browser keeps the earlier disclosures the ledger has from the
gate's own records apart from those ``piigate sweep`` reconstructed from archived mail."""

from __future__ import annotations

import random
from dataclasses import replace

from playwright.async_api import Browser, expect

from piigate.record.identity import ssn_key
from tests.browser.conftest import Site
from tests.browser.test_review_ui import hold, sign_in
from tests.conftest import RunningGate
from tests.integration.test_sweep_ledger import LIVE, swept
from tests.synthetic import ssn


async def test_earlier_disclosures_are_shown_by_where_the_ledger_has_them_from(
    site: Site, gate: RunningGate, browser: Browser
) -> None:
    """A person disclosed live to fbi.gov and, by a sweep of archived mail, to agency07.gov
    (and a second person only by the sweep) is held again: the page counts each organisation
    in a column for the gate's records and one for reconstructed records, and says how many
    people are known only from reconstructed records; the queue's row says so too, and its
    "only in archived mail" filter finds it."""
    rng = random.Random(44)
    value, other = ssn(rng), ssn(rng)
    ledger = gate.gate.ledger
    assert ledger.identities is not None
    person = ledger.identities.hash_all(frozenset({ssn_key(value)}))
    both = ledger.identities.hash_all(frozenset({ssn_key(value), ssn_key(other)}))
    ledger.append(replace(LIVE, individuals=1, individual_hashes=person))
    ledger.append(swept(both))
    held = await hold(gate, "alice@dhs.gov", "clerk@example.com", f"{value} and {other}")
    page = await browser.new_page()
    await sign_in(page, site)
    row = page.locator("tbody tr", has_text=held)
    await expect(row).to_contain_text("2 disclosed before, 1 only in archived mail")
    await page.get_by_label("Individuals already disclosed").select_option("archive")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.locator("tbody tr", has_text=held)).to_have_count(1)
    await page.get_by_role("link", name=held).click()
    table = page.locator("table.earlier-origin")
    await expect(table.locator("thead")).to_contain_text("People, recorded by the gate")
    await expect(table.locator("thead")).to_contain_text("reconstructed from archived mail")
    rows = table.locator("tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_have_text("agency07.gov02")
    await expect(rows.nth(1)).to_have_text("fbi.gov10")
    await expect(page.locator("p.reconstructed-only")).to_contain_text("1 of these individuals")
    await expect(page.locator("p.earlier-summary")).to_contain_text("2 of 2 individuals")
    for shown in (value, other):
        assert shown not in await page.content()
