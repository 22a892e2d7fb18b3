"""Playwright (sync API) driving Debian's Chromium against pytest-django's live_server.

Browsers are never downloaded: we launch /usr/bin/chromium (``CHROMIUM_PATH`` overrides).
Without it the browser tests are skipped with a visible reason, except in CI
(``OANA_REQUIRE_BROWSER=1``), where a missing browser is a failure.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Playwright's sync API runs an event loop in the test thread; Django's ORM must be
# allowed to run there too.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "screenshots"

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("OANA_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do: a busy 2-core CI box is slower than a laptop.
    expect.set_options(timeout=15_000)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under screenshots/ (git-ignored) for a human to look at.

    Every page state worth a screenshot is also checked with axe-core: no violation on any
    page of ours (the staff site is Django's admin, checked by its own project)."""
    from django.conf import settings

    from .helpers import assert_no_axe_violations

    def take(page, name, *, axe=True):
        # axe=False only where the page's JavaScript is switched off: axe-core runs inside
        # the page, and Playwright waits for ever on a script in such a page.
        SCREENSHOT_DIR.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
        if axe and f"/{settings.ADMIN_URL}" not in page.url:
            assert_no_axe_violations(page)

    return take
