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
