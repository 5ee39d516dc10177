"""The live board writes its dates as the server does, in the page's language: board.js redraws every card
when the page loads (and again on each event), so each date on it has been through both formatters."""

import re

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import DEMO_PASSWORD, DESKTOP, DemoServer

DINAS = "Dinas Kependudukan dan Pencatatan Sipil"

# For each card: its due date line and the time of its latest update (the text the server writes; board.js
# shows "5 minutes ago" as the text and the time itself as the title).
CARD_DATES = """(root) => Array.from(root.querySelectorAll("article.card[data-project-id]")).map((card) => {
  const due = card.querySelector('[data-f="next-due"]');
  const when = card.querySelector('[data-f="when"]');
  return [
    card.getAttribute("data-project-id"),
    due.hidden ? null : due.textContent.replace(/\\s+/g, " ").trim(),
    when && when.getAttribute("datetime") ? (root === document ? when.title : when.textContent.trim()) : null,
  ];
})"""


@pytest.mark.parametrize(
    ("browser_locale", "page_language", "due", "time"),
    [
        # An American browser on the English page: Intl alone would write "Due Aug 17, 2026".
        (
            "en-US",
            "en",
            r"^Due \d{1,2} [A-Z][a-z]{2} \d{4}\b",
            r"^\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d WIB$",
        ),
        (
            "id-ID",
            "id",
            r"^Tenggat \d{1,2} [A-Z][a-z]{2} \d{4}\b",
            r"^\d{1,2} [A-Z][a-z]{2} \d{4} \d\d\.\d\d WIB$",
        ),
    ],
)
async def test_board_dates_look_the_same_drawn_by_the_server_and_by_board_js(
    browser: Browser, demo_server: DemoServer, browser_locale, page_language, due, time
):
    dinas = await demo_server.unit_id(DINAS)
    context = await browser.new_context(
        base_url=demo_server.base_url, viewport=DESKTOP, locale=browser_locale, timezone_id="UTC"
    )
    try:
        page = await context.new_page()
        await page.goto("/login?next=/")
        await page.locator("#username").fill("kadis1")
        await page.locator("#password").fill(DEMO_PASSWORD)
        await page.locator('form[action="/login"] button[type="submit"]').click()
        await expect(page.locator('form[action="/logout"]')).to_be_attached()

        await page.goto(f"/board/unit/{dinas}")
        await expect(page.locator("html")).to_have_attribute("lang", page_language)
        await expect(page.locator("#live")).to_have_attribute("data-state", "live")
        drawn_by_js = await page.evaluate(f"({CARD_DATES})(document)")
        drawn_by_server = await page.evaluate(
            f"""async () => {{
              const html = await (await fetch(location.href)).text();
              return ({CARD_DATES})(new DOMParser().parseFromString(html, "text/html"));
            }}"""
        )
    finally:
        await context.close()

    assert drawn_by_js == drawn_by_server
    dues = [d for _, d, _ in drawn_by_js if d]
    times = [t for _, _, t in drawn_by_js if t]
    assert dues and times, "the demo board should show due dates and latest updates"
    assert all(re.match(due, d) for d in dues), dues
    assert all(re.match(time, t) for t in times), times
