"""The admin looks like Oana on every page, and its colours keep WCAG AA contrast."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from tests.support.clinic import order_to_review
from tests.support.staff import sign_in, staff

pytestmark = pytest.mark.django_db
CSS = Path(settings.BASE_DIR) / "static" / "css" / "clinic-admin.css"
STYLESHEET = '<link rel="stylesheet" href="/static/css/clinic-admin.css">'


def block(selector):
    """The custom properties set in the first rule for ``selector``."""
    css = CSS.read_text()
    start = css.index(selector + " {")
    body = css[start : css.index("}", start)]
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9A-Fa-f]{3,6})\b", body))


def luminance(hex_colour):
    hex_colour = hex_colour.lstrip("#")
    if len(hex_colour) == 3:
        hex_colour = "".join(c * 2 for c in hex_colour)
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# (text, background) pairs the admin draws.
PAIRS = [
    ("body-fg", "body-bg"),
    ("body-quiet-color", "body-bg"),
    ("body-quiet-color", "darkened-bg"),
    ("body-fg", "darkened-bg"),
    ("body-fg", "selected-row"),
    ("link-fg", "body-bg"),
    ("link-fg", "darkened-bg"),
    ("link-hover-color", "body-bg"),
    ("primary-fg", "primary"),
    ("header-link-color", "header-bg"),
    ("header-branding-color", "header-bg"),
    ("breadcrumbs-fg", "breadcrumbs-bg"),
    ("breadcrumbs-link-fg", "breadcrumbs-bg"),
    ("button-fg", "button-bg"),
    ("button-fg", "button-hover-bg"),
    ("button-fg", "default-button-bg"),
    ("button-fg", "object-tools-bg"),
    ("error-fg", "body-bg"),
    ("body-fg", "message-success-bg"),
    ("body-fg", "message-error-bg"),
]


@pytest.mark.parametrize("selector", [':root:not([data-theme="dark"])', 'html[data-theme="dark"]'])
def test_palette_is_oana_plum_and_every_pair_passes_aa(selector):
    colours = block(selector)
    if "dark" not in selector:
        assert colours["primary"] == "#6B2D5C" and colours["header-bg"] == "#4A1F40"
        assert colours["darkened-bg"] == "#FBF1EE" and colours["body-fg"] == "#2B2233"
    else:
        colours.setdefault("button-fg", "#fff")
    failing = {
        f"{fg} on {bg}": round(contrast(colours[fg], colours[bg]), 2)
        for fg, bg in PAIRS
        if contrast(colours[fg], colours[bg]) < 4.5
    }
    assert failing == {}


def test_dark_mode_rules_match_in_both_places():
    css = CSS.read_text()
    media = css[
        css.index('@media (prefers-color-scheme: dark) {\n  :root:not([data-theme="light"])') :
    ]
    assert block('html[data-theme="dark"]') == dict(
        re.findall(r"--([\w-]+):\s*(#[0-9A-Fa-f]{3,6})\b", media[: media.index("}")])
    )


@pytest.mark.parametrize("role", ["clinician", "fulfillment", "support", "content-editor"])
def test_every_admin_page_loads_the_stylesheet_and_the_staff_header(client, role):
    order = order_to_review()
    sign_in(client, staff(role))
    urls = ["/admin/", "/admin/password_change/"]
    if role == "clinician":
        urls += [
            "/admin/orders/reviewqueueorder/",
            f"/admin/orders/order/{order.pk}/change/",
            f"/admin/orders/order/{order.pk}/approve/",
        ]
    if role == "content-editor":
        urls += ["/admin/articles/article/", "/admin/articles/article/add/"]
    if role == "fulfillment":
        urls += ["/admin/orders/shipment/"]
    if role == "support":
        urls += ["/admin/orders/payment/", f"/admin/orders/order/{order.pk}/refund/"]
    for url in urls:
        html = client.get(url).content.decode()
        assert html.count(STYLESHEET) == 1, url
        assert '<div id="site-name"><a href="/admin/">Oana Health staff</a></div>' in html, url
        assert "<title>" in html and "| Oana Health staff</title>" in html, url


def test_the_login_page_is_branded_too(client):
    html = client.get("/admin/login/").content.decode()
    assert STYLESHEET in html and "Oana Health staff" in html
    assert finders.find("css/clinic-admin.css") == str(CSS)
