"""A patient finds Hairless Hype and its price; a catalog manager changes the price in the admin."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import staff_sign_in
from treatments.seed import load_catalog

pytestmark = pytest.mark.django_db(transaction=True)

HAIRLESS_HYPE = "/treatments/unwanted-hair/hairless-hype/"


def load_seed():
    load_catalog()
    from articles.seed import load_articles

    load_articles()


def test_patient_finds_hairless_hype_from_the_article(page, screenshot):
    load_seed()
    page.goto("/")
    expect(page.get_by_text("from $14/month")).to_be_visible()
    screenshot(page, "home-catalog-desktop")
    page.goto("/articles/magnesium-and-insulin-resistance/")
    page.get_by_role("main").get_by_role("link", name="See treatments").first.click()
    page.wait_for_url("**/treatments/")
    expect(page.get_by_role("heading", level=1, name="Treatments")).to_be_visible()
    screenshot(page, "catalog-desktop")

    page.get_by_role("link", name="Hairless Hype").click()
    page.wait_for_url(f"**{HAIRLESS_HYPE}")
    expect(page.get_by_role("heading", level=1, name="Hairless Hype")).to_be_visible()
    buy_box = page.locator(".buy-box")
    expect(buy_box).to_contain_text("$69/month")
    expect(buy_box.get_by_text("Free shipping")).to_be_visible()
    expect(buy_box.get_by_role("button", name="Start your visit")).to_be_visible()
    screenshot(page, "treatment-desktop")


def test_catalog_and_treatment_on_a_phone(phone_page, screenshot):
    load_seed()
    phone_page.goto("/treatments/")
    expect(phone_page.get_by_text("$14-$69/month").first).to_be_visible()
    # Nothing wider than the screen.
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone_page, "catalog-phone")
    phone_page.goto(HAIRLESS_HYPE)
    expect(phone_page.locator(".buy-box")).to_contain_text("$69/month")
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone_page, "treatment-phone")
    phone_page.goto("/treatments/unwanted-hair/")
    screenshot(phone_page, "category-phone")


def test_staff_changes_the_price_and_the_site_follows(page, django_user_model, screenshot):
    load_seed()
    manager = django_user_model.objects.create_superuser(
        "manager", "manager@oana.example", "a-Str0ng-pass"
    )
    staff_sign_in(page, manager, "a-Str0ng-pass", expect_panel=False)
    page.get_by_role("link", name="Treatments", exact=True).first.click()
    page.get_by_role("link", name="Hairless Hype").click()
    price = page.locator('input[name="plans-0-amount"]')
    assert price.input_value() in ("69", "69.00")
    price.fill("65.00")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    page.get_by_role("link", name="Hairless Hype").first.click()
    page.wait_for_url("**/change/")
    expect(page.locator(".price-history").get_by_text("manager")).to_be_visible()
    expect(page.locator(".price-history")).to_contain_text("$65")
    screenshot(page, "admin-treatment-desktop")

    page.goto(HAIRLESS_HYPE)
    expect(page.locator(".buy-box")).to_contain_text("$65/month")
    page.goto("/treatments/")
    expect(page.get_by_text("$14-$65/month").first).to_be_visible()
