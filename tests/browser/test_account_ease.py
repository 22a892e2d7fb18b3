"""Trust and ease in the browser (issue 21, items 8-12), each at 375 x 812 and 1280 x 800:
the one-tap sign-in code from the thank-you page (the code box's phone keyboard, "2 tries
left"), cancel's confirmation and its undo, the address form keeping what she typed, focus
rings that show on every background (contrast computed in the browser), footer targets, whole
category cards, and the article with no sideways scrolling on a phone."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from articles.seed import load_articles
from orders.models import Order
from tests.support.clinic import order_to_review
from tests.support.lifecycle import perform
from treatments.seed import load_catalog

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = {"phone": {"width": 375, "height": 812}, "laptop": {"width": 1280, "height": 800}}
ARTICLE = "/articles/magnesium-and-insulin-resistance/"

# WCAG 2.x relative luminance and contrast ratio, computed in the page from computed styles:
# the ring's colour against the first opaque background behind it (the ring sits outside the
# element, outline-offset, so the background is the parent's).
RING_CONTRAST = """
element => {
  const rgb = text => text.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => {
    const lin = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const style = getComputedStyle(element);
  let node = element.parentElement, background = null;
  while (node) {
    const colour = rgb(getComputedStyle(node).backgroundColor);
    if (colour.length < 4 || colour[3] > 0) { background = colour; break; }
    node = node.parentElement;
  }
  background = background || [255, 255, 255];
  const ring = rgb(style.outlineColor);
  const [a, b] = [lum(ring), lum(background)].sort((x, y) => y - x);
  return {
    visible: element.matches(':focus-visible') && style.outlineStyle !== 'none'
      && parseFloat(style.outlineWidth) >= 2,
    ratio: (a + 0.05) / (b + 0.05),
  };
}
"""


@pytest.fixture(params=SIZES, ids=list(SIZES))
def sized(request, browser, live_server, settings):
    settings.STRIPE_TEST_MODE = True
    settings.STRIPE_SECRET_KEY = ""
    context = browser.new_context(
        viewport=SIZES[request.param],
        base_url=live_server.url,
        is_mobile=request.param == "phone",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.size = request.param
    yield page
    context.close()


def focused(page):
    return page.evaluate(
        "() => [document.activeElement.tagName, document.activeElement.name || '',"
        " document.activeElement.className]"
    )


def code_from_mail():
    [message] = [m for m in mail.outbox if "sign-in code" in m.subject]
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def one_tap_sign_in(page, order):
    """From the thank-you page to her order with the emailed code, the one-tap way."""
    mail.outbox.clear()
    page.goto(f"/checkout/success/?order={order.public_id}")
    expect(page.get_by_test_id("masked-email")).to_have_text("j***@example.com")
    page.get_by_role("button", name="Email me a sign-in code").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def test_one_tap_sign_in_with_the_phone_keyboard_and_tries_left(sized, screenshot):
    order = order_to_review()
    one_tap_sign_in(sized, order)
    code = sized.get_by_label("Code")
    expect(code).to_have_attribute("inputmode", "numeric")
    expect(code).to_have_attribute("autocomplete", "one-time-code")
    expect(code).to_be_focused()
    expect(sized.locator("main")).to_contain_text("j***@example.com")
    expect(sized.locator("main")).not_to_contain_text("jane@example.com")
    for left in ("4 tries left", "3 tries left", "2 tries left"):
        sized.get_by_label("Code").fill("000000")
        sized.get_by_role("button", name="Sign in").click()
        expect(sized.get_by_test_id("tries-left")).to_contain_text(left)
    screenshot(sized, f"sign-in-code-tries-left-{sized.size}")
    sized.get_by_label("Code").fill(code_from_mail())
    sized.get_by_role("button", name="Sign in").click()
    sized.wait_for_url(
        re.compile(rf"/orders/{order.public_id}/(#errors)?$")
    )  # the code form posts to #errors
    expect(sized.get_by_role("heading", level=1)).to_have_text("Your order")


def test_cancel_asks_once_offers_a_pause_and_can_be_undone(sized, screenshot):
    order = perform(order_to_review(), "approve")
    one_tap_sign_in(sized, order)
    sized.get_by_label("Code").fill(code_from_mail())
    sized.get_by_role("button", name="Sign in").click()
    sized.wait_for_url(re.compile(rf"/orders/{order.public_id}/(#errors)?$"))

    sized.get_by_role("link", name="Cancel after this month").click()
    expect(sized.get_by_role("heading", level=1)).to_have_text("Cancel your subscription?")
    choices = sized.get_by_label("Pause for").locator("option").all_inner_texts()
    assert [choice.split(":")[0] for choice in choices] == ["One month", "Two months"]
    assert all(
        re.search(r"skip the .* refills? \(next charge \w+ \d+, \d{4}\)$", choice)
        for choice in choices
    )
    screenshot(sized, f"cancel-confirm-{sized.size}")
    assert not Order.objects.get(pk=order.pk).cancel_at_period_end

    sized.get_by_role("button", name="Yes, cancel after this month").click()
    status = sized.get_by_role("status")
    expect(status).to_contain_text("until then you can undo it")
    expect(status).to_be_focused()  # the result is read out and focused
    assert Order.objects.get(pk=order.pk).cancel_at_period_end

    sized.get_by_role("button", name="Undo cancellation").click()
    expect(sized.get_by_role("status")).to_contain_text("Your cancellation is undone")
    expect(sized.get_by_role("status")).to_be_focused()
    expect(sized.get_by_role("link", name="Cancel after this month")).to_be_visible()
    assert not Order.objects.get(pk=order.pk).cancel_at_period_end


def test_the_address_form_keeps_what_she_typed_after_a_bad_zip(sized, screenshot):
    order = perform(order_to_review(), "approve")
    one_tap_sign_in(sized, order)
    sized.get_by_label("Code").fill(code_from_mail())
    sized.get_by_role("button", name="Sign in").click()
    sized.wait_for_url(re.compile(rf"/orders/{order.public_id}/(#errors)?$"))

    form = sized.locator("#address")
    expect(form.get_by_label("ZIP code")).to_have_attribute("inputmode", "numeric")
    expect(form.get_by_label("Address", exact=True)).to_have_attribute(
        "autocomplete", "address-line1"
    )
    form.get_by_label("Full name").fill("Jane Patient")
    form.get_by_label("Address", exact=True).fill("12 Elm Street")
    form.get_by_label("Apartment, suite (optional)").fill("Apt 3")
    form.get_by_label("City").fill("Buffalo")
    form.get_by_label("State").select_option(label="New York")
    form.get_by_label("ZIP code").fill("1420")
    form.get_by_role("button", name="Send refills here").click()

    form = sized.locator("#address")
    expect(sized.locator("#errors")).to_be_focused()
    expect(form.get_by_label("Address", exact=True)).to_have_value("12 Elm Street")
    expect(form.get_by_label("Apartment, suite (optional)")).to_have_value("Apt 3")
    expect(form.get_by_label("City")).to_have_value("Buffalo")
    expect(form.get_by_label("State")).to_have_value("NY")
    expect(form.get_by_label("ZIP code")).to_have_value("1420")
    expect(sized.locator("#field-postal_code")).to_contain_text("Enter a 5-digit ZIP code.")
    screenshot(sized, f"address-kept-{sized.size}")
    assert Order.objects.get(pk=order.pk).ship_city != "Buffalo"


def ring(page, locator):
    page.keyboard.press("Shift")  # the keyboard is in use: focus shows its ring
    locator.focus()
    return locator.evaluate(RING_CONTRAST)


def test_focus_rings_show_on_every_background(sized):
    load_catalog()
    load_articles()
    sized.goto("/")
    for name, locator in (
        ("banner link", sized.locator(".banner a")),
        ("footer link", sized.locator(".site-footer a").first),
        ("footer legal link", sized.locator(".site-footer nav a").last),
        ("header link", sized.locator(".site-nav a").first),
    ):
        result = ring(sized, locator)
        assert result["visible"], name
        assert result["ratio"] >= 3, (name, result)
    sized.goto(ARTICLE)
    result = ring(sized, sized.locator(".article-cta .button"))
    assert result["visible"] and result["ratio"] >= 3, result


def test_footer_links_are_big_enough_to_tap(sized):
    sized.goto("/")
    least = 44 if sized.size == "phone" else 24
    links = sized.locator(".site-footer a")
    assert links.count() >= 8
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box["height"] >= least, (links.nth(index).inner_text(), box)


def test_a_home_category_card_is_a_link_all_over(sized):
    load_catalog()
    sized.goto("/")
    card = sized.locator(".category-card").first
    href = card.get_by_role("link").get_attribute("href")
    card.scroll_into_view_if_needed()
    box = card.locator(".price-tag").bounding_box()  # not the title: anywhere on the card
    sized.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    sized.wait_for_url(f"**{href}")


def test_the_article_fits_the_screen_and_keeps_the_contents_at_hand(sized, screenshot):
    load_catalog()
    load_articles()
    sized.goto(ARTICLE)
    width = sized.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    # Each category's price shows, inside the screen.
    prices = sized.locator(".options-table td[data-label='From']")
    assert prices.count() == 4
    for index in range(prices.count()):
        price = prices.nth(index)
        expect(price).to_be_visible()
        assert re.search(r"\$\d+", price.inner_text())
        box = price.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= sized.viewport_size["width"]
    # A treatment card right after the introduction, before the first section.
    card_top = sized.locator(".early-treatments").bounding_box()["y"]
    first_section = sized.locator(".article-body h2").first.bounding_box()["y"]
    assert card_top < first_section
    back = sized.get_by_role("link", name="Back to contents")
    if sized.size == "phone":
        sized.locator("#conclusion").scroll_into_view_if_needed()
        expect(back).to_be_in_viewport()
        screenshot(sized, "article-phone-options")
        back.click()
        assert sized.url.endswith("#toc-title")
        expect(sized.get_by_role("navigation", name="In this article")).to_be_in_viewport()
    else:  # the contents stay beside the article
        expect(back).to_be_hidden()
        expect(sized.get_by_role("navigation", name="In this article")).to_be_visible()
