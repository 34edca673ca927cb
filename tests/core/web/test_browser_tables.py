"""Wide tables in a real browser: on a phone the statistics table scrolls inside its own box,
which a keyboard user can reach and scroll, and the page itself never scrolls sideways."""

import pytest
from playwright.sync_api import expect

from core.testing.browser import assert_accessible, log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def _scroll_widths(page, selector: str) -> dict:
    return page.evaluate("""(selector) => {
        const box = document.querySelector(selector);
        return {page: document.documentElement.scrollWidth, window: window.innerWidth,
                box: box.scrollWidth, shown: box.clientWidth, left: box.scrollLeft};
    }""", selector)


def test_the_statistics_table_scrolls_in_its_own_box_on_a_narrow_screen(page, live_server):
    admin = live_server.make_account("tenant_admin")
    page.set_viewport_size(PHONE)
    log_in(page, admin)
    page.goto(f"/t/{admin.tenant_slug}/stats/")
    box = page.get_by_role("region", name="Aggregate figures per tenant")
    expect(box).to_be_visible()
    expect(box.get_by_role("table")).to_be_visible()

    widths = _scroll_widths(page, ".table-scroll")
    assert widths["page"] <= widths["window"], widths  # the page does not scroll sideways
    assert widths["box"] > widths["shown"], widths  # the table is wider than its box, which scrolls

    # A keyboard user reaches the box with Tab and scrolls it with the arrow keys.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('table-scroll')"):
            break
    expect(box).to_be_focused()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    # Polled from here: wait_for_function's string predicate needs eval, which the page's CSP refuses.
    for _ in range(50):
        if box.evaluate("element => element.scrollLeft") > 0:
            break
        page.wait_for_timeout(100)
    assert box.evaluate("element => element.scrollLeft") > 0
    assert _scroll_widths(page, ".table-scroll")["page"] <= PHONE["width"]
    assert_accessible(page)
