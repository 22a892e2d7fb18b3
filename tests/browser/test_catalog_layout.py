"""The catalog pages at 320 px, 375 px and desktop: nothing overflows, nothing is too small
to tap, headings are in order, focus is visible. Screenshots land in screenshots/."""

import pytest

from treatments.seed import load_catalog

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = {
    "catalog": "/treatments/",
    "category": "/treatments/unwanted-hair/",
    "treatment": "/treatments/unwanted-hair/hairless-hype/",
    "pack": "/treatments/insulin-sensitizers/oral-glp-1-metformin-pack/",
}
WIDTHS = {"320": 320, "375": 375, "desktop": 1280}

# Elements wider than the page, tap targets under 44 px, and skipped heading levels.
LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width) {
    problems.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
  }
  // Inside a container that scrolls sideways on purpose (a table, the category chips).
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll("main *")) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1 && !scrolls(el)) {
      problems.push(`overflows: ${el.tagName}.${el.className} right=${box.right}`);
    }
  }
  for (const el of document.querySelectorAll("main button, main .button")) {
    const box = el.getBoundingClientRect();
    if (box.height < 44) problems.push(`small button: ${el.textContent.trim()} ${box.height}`);
  }
  let level = 0;
  for (const h of document.querySelectorAll("main h1, main h2, main h3, main h4")) {
    const next = Number(h.tagName[1]);
    if (next > level + 1) problems.push(`heading jumps to ${h.tagName}: ${h.textContent.trim()}`);
    level = next;
  }
  if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one h1");
  return problems;
}"""


# WCAG AA contrast of every piece of text in <main> against the background behind it
# (a gradient counts as its darker end, the blush; the palette is in docs/design.md).
CONTRAST_PROBLEMS = """() => {
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let p = el; p; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (style.backgroundImage.includes("gradient")) return [251, 241, 238];
      const c = rgb(style.backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const problems = [];
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !el.checkVisibility()) continue;
    if (el.closest(".visually-hidden")) continue;
    const style = getComputedStyle(el);
    const [a, b] = [lum(rgb(style.color)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      problems.push(`${ratio.toFixed(2)}: ${walker.currentNode.textContent.trim().slice(0, 40)}`);
    }
  }
  return problems;
}"""


@pytest.fixture
def sized_page(browser, live_server):
    contexts = []

    def open_at(width):
        context = browser.new_context(
            viewport={"width": width, "height": 900},
            base_url=live_server.url,
            is_mobile=width < 800,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_at
    for context in contexts:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_catalog_pages_fit_every_screen(sized_page, screenshot, width):
    load_catalog()
    page = sized_page(WIDTHS[width])
    for name, url in PAGES.items():
        response = page.goto(url)
        assert response.status == 200, url
        assert page.evaluate(LAYOUT_PROBLEMS) == [], f"{name} at {width}"
        assert page.evaluate(CONTRAST_PROBLEMS) == [], f"{name} at {width}"
        screenshot(page, f"catalog-layout-{name}-{width}")


def test_keyboard_focus_is_visible_on_the_buy_button(sized_page):
    load_catalog()
    page = sized_page(375)
    page.goto(PAGES["treatment"])
    button = page.get_by_role("button", name="Start your visit")
    button.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focus arrives by keyboard, so :focus-visible applies
    outline = button.evaluate(
        "el => { const s = getComputedStyle(el);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth), s.boxShadow]; }"
    )
    assert outline[0] != "none" and outline[1] >= 2 or outline[2] != "none", outline
