"""A first journey: the home page renders and its navigation works."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_home_navigation(page, screenshot):
    page.goto("/")
    assert page.get_by_role("heading", level=1).is_visible()
    assert page.get_by_text("Free shipping on all treatments.").is_visible()
    screenshot(page, "home-desktop")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Articles").click()
    page.wait_for_url("**/articles/")


def test_header_nav_fits_one_row_on_a_320px_phone(browser, live_server, screenshot):
    context = browser.new_context(viewport={"width": 320, "height": 640}, base_url=live_server.url)
    page = context.new_page()
    page.goto("/")
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    tops = {round(box["y"]) for box in (link.bounding_box() for link in links.all())}
    assert links.count() == 4  # Articles, Treatments, Sign in, Cart
    assert len(tops) == 1, f"nav links on {len(tops)} rows"
    for link in links.all():
        assert link.bounding_box()["height"] >= 44
    screenshot(page, "home-320")
    context.close()
