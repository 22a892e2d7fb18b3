"""A patient finds the featured article on the home page, reads it, and goes back to the list."""

import pytest

from articles.seed import load_articles

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "Magnesium and Insulin Resistance: What Studies Show"


def test_home_to_article_to_list(page, screenshot):
    load_articles()
    page.goto("/")
    page.get_by_role("link", name=TITLE, exact=True).click()
    page.wait_for_url("**/articles/magnesium-and-insulin-resistance/")
    assert page.get_by_role("heading", level=1).inner_text() == TITLE
    screenshot(page, "article-desktop")

    toc = page.get_by_role("navigation", name="In this article")
    toc.get_by_role("link", name="Conclusion").click()
    assert page.url.endswith("#conclusion")

    question = page.get_by_text("What foods are good sources of magnesium", exact=False)
    question.click()
    assert page.get_by_text("Spinach and Swiss chard are great choices.").is_visible()

    assert page.locator("table").count() == 2
    assert page.get_by_role("link", name="See treatments").last.is_visible()

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Articles").click()
    page.wait_for_url("**/articles/")
    assert page.get_by_role("link", name=TITLE, exact=True).is_visible()
    screenshot(page, "articles-desktop")


def test_article_on_a_phone(phone_page, screenshot):
    load_articles()
    phone_page.goto("/articles/magnesium-and-insulin-resistance/")
    assert phone_page.get_by_role("heading", level=1).is_visible()
    # Nothing wider than the screen: wide tables scroll inside their wrapper.
    overflow = phone_page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    screenshot(phone_page, "article-phone")
    phone_page.goto("/articles/")
    assert phone_page.get_by_label("Search articles").is_visible()
    phone_page.get_by_label("Search articles").fill("gluconeogenesis")
    phone_page.get_by_role("button", name="Search").click()
    phone_page.wait_for_url("**/articles/?q=gluconeogenesis")
    assert phone_page.get_by_role("link", name=TITLE, exact=True).is_visible()
    screenshot(phone_page, "articles-phone")
