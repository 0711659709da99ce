"""The review pages under their Content-Security-Policy, in a real browser: nothing the pages
need is blocked, and a script injected inline would not run."""

from __future__ import annotations

from playwright.async_api import Browser, Page

from tests.browser.conftest import Site
from tests.browser.test_review_ui import sign_in


def csp_violations(page: Page) -> list[str]:
    """The Content-Security-Policy violations Chromium reports on ``page`` from now on."""
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return violations


async def test_pages_work_under_the_csp_and_inline_script_is_blocked(
    site: Site, browser: Browser
) -> None:
    """Chromium reports no CSP violation while an analyst signs in and opens the queue and
    the report; an inline script added to the page is refused (a violation is reported and
    it does not run)."""
    page = await browser.new_page()
    violations = csp_violations(page)
    await sign_in(page, site)
    await page.goto(f"{site.url}/report")
    assert violations == []
    ran = await page.evaluate(
        """() => { window.injected = false;
                   const s = document.createElement('script');
                   s.textContent = 'window.injected = true';
                   document.body.appendChild(s);
                   return window.injected; }"""
    )
    await page.wait_for_timeout(200)
    assert ran is False
    assert violations, "the blocked inline script is reported"
