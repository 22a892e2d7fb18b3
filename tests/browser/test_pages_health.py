"""Every public page, on a 320 px phone: no console errors or CSP violations, nothing wider
than the screen, one h1 and headings in order, labelled form fields, images with alt text
and dimensions, no axe-core violation, and a skip link that is the first stop and moves focus
to <main>."""

import pytest

from articles.seed import load_articles
from legal.seed import seed_legal_documents
from tests.browser.helpers import axe_violations
from tests.support.factories import care_team_of
from treatments.models import Treatment
from treatments.seed import load_catalog

pytestmark = pytest.mark.django_db(transaction=True)

NARROW = {"width": 320, "height": 640}

# One script, run in the page, returns a list of human-readable problems.
AUDIT_JS = """() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth) {
    const wide = [...document.querySelectorAll('body *')]
      .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
      .slice(0, 3).map(el => el.tagName.toLowerCase() + '.' + el.className);
    problems.push(`horizontal overflow: scrollWidth ${doc.scrollWidth} > ${window.innerWidth} (${wide})`);
  }
  const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')];
  const h1s = headings.filter(h => h.tagName === 'H1').length;
  if (h1s !== 1) problems.push(`${h1s} h1 elements`);
  if (headings.length && headings[0].tagName !== 'H1') {
    problems.push(`first heading is ${headings[0].tagName}: ${headings[0].textContent.trim()}`);
  }
  let previous = 1;
  for (const h of headings) {
    const level = Number(h.tagName[1]);
    if (level > previous + 1) {
      problems.push(`heading skips from h${previous} to h${level}: ${h.textContent.trim()}`);
    }
    previous = level;
  }
  const fields = document.querySelectorAll(
    'input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea');
  for (const field of fields) {
    const named = field.labels.length || field.getAttribute('aria-label') ||
      field.getAttribute('aria-labelledby');
    if (!named) problems.push(`unlabelled ${field.tagName.toLowerCase()} name=${field.name}`);
  }
  for (const img of document.images) {
    if (!img.hasAttribute('alt')) problems.push(`img without alt: ${img.src}`);
    if (!img.hasAttribute('width') || !img.hasAttribute('height')) {
      problems.push(`img without width/height: ${img.src}`);
    }
  }
  return problems;
}"""


@pytest.fixture
def narrow_page(browser, live_server):
    context = browser.new_context(viewport=NARROW, base_url=live_server.url, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def watch_console(page):
    """Console errors (CSP violations are reported there too) and uncaught exceptions."""
    errors = []
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and errors.append(f"console: {message.text} ({message.location.get('url')})")
        ),
    )
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    return errors


def audit(page, path, *, status=200):
    errors = watch_console(page)
    response = page.goto(path)
    assert response.status == status, f"{path}: HTTP {response.status}"
    page.wait_for_load_state("load")
    if status == 404:
        # The browser logs the document's own 404 status as a console error.
        errors[:] = [e for e in errors if "status of 404" not in e]
    problems = [f"{path}: {problem}" for problem in errors + page.evaluate(AUDIT_JS)]
    return problems + axe_violations(page)


def public_paths():
    treatment = Treatment.objects.public().select_related("category").order_by("pk").first()
    return [
        "/",
        "/articles/",
        "/articles/magnesium-and-insulin-resistance/",
        "/articles/topic/pcos/",
        "/articles/?q=magnesium",
        "/articles/?q=nothing-matches-this",
        "/treatments/",
        "/treatments/insulin-sensitizers/",
        "/treatments/topical-treatments/",
        "/treatments/unwanted-hair/",
        "/treatments/hair-loss/",
        treatment.get_absolute_url(),
        "/cart/",
        "/care-team/",
        "/privacy/",
        "/terms/",
        "/telehealth-consent/",
    ]


def test_every_public_page_is_healthy_at_320px(narrow_page):
    load_catalog()
    load_articles()
    seed_legal_documents()  # made by a migration, emptied by a transactional test
    care_team_of(2)
    problems = []
    for path in public_paths():
        problems += audit(narrow_page, path)
    problems += audit(narrow_page, "/no-such-page/", status=404)
    problems += audit(narrow_page, "/articles/no-such-article/", status=404)
    assert not problems, "\n".join(problems)


def test_checkout_with_an_empty_cart_redirects_to_a_healthy_cart(narrow_page):
    load_catalog()
    problems = audit(narrow_page, "/checkout/")
    assert narrow_page.url.endswith("/cart/")
    assert not problems, "\n".join(problems)


def test_cart_and_questionnaire_with_a_treatment_are_healthy(narrow_page):
    load_catalog()
    treatment = Treatment.objects.public().order_by("pk").first()
    narrow_page.goto(treatment.get_absolute_url())
    narrow_page.locator("main form[action$='/cart/add/'] button[type=submit]").first.click()
    narrow_page.wait_for_url("**/checkout/")  # one item: the visit starts at once
    problems = audit(narrow_page, "/cart/")
    assert narrow_page.get_by_test_id("cart-count").inner_text() == "1"
    problems += audit(narrow_page, "/checkout/")
    assert narrow_page.locator("main form select, main form input:not([type=hidden])").count()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ["/", "/articles/magnesium-and-insulin-resistance/"])
def test_skip_link_is_the_first_stop_and_moves_focus_to_main(narrow_page, path):
    load_articles()
    narrow_page.goto(path)
    narrow_page.keyboard.press("Tab")
    focused = narrow_page.evaluate(
        "() => [document.activeElement.className, document.activeElement.textContent.trim()]"
    )
    assert focused == ["skip-link", "Skip to main content"]
    assert narrow_page.locator(".skip-link").is_visible()
    narrow_page.keyboard.press("Enter")
    assert narrow_page.evaluate("() => document.activeElement.id") == "main"
    assert narrow_page.url.endswith("#main")


def test_the_console_watcher_sees_csp_violations(narrow_page):
    """The audit above is only as good as its ears: an inline script is refused by our CSP,
    and the refusal reaches the watcher."""
    errors = watch_console(narrow_page)
    narrow_page.goto("/")
    narrow_page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = 1'; document.body.append(s); }"
    )
    narrow_page.wait_for_timeout(200)
    assert narrow_page.evaluate("() => window.injected") is None
    assert any("Content Security Policy" in error for error in errors), errors
