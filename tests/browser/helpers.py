"""Signing in from a browser, the one way each kind of user does it."""

import re

from django.core import mail
from playwright.sync_api import expect


def staff_sign_in(page, user, password=None, *, expect_panel=True):
    """Sign ``user`` in through the browser as staff do: the password on the admin's sign-in
    page, then the code from her authenticator app (set up for her if she has none; the code
    is computed from its secret), on the second-factor page. The one way browser tests sign
    staff in (``tests.staff.sign_in`` is the same for the test client)."""
    from tests.staff import PASSWORD, app_code, authenticator

    password = password or PASSWORD
    device = authenticator(user)
    page.context.clear_cookies()
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code from your app, or a recovery code").fill(app_code(device))
    page.get_by_role("button", name="Verify and sign in").click()
    page.wait_for_url(lambda url: "/sign-in/" not in url and "/login/" not in url)
    heading = "Today at the clinic" if expect_panel else "Run the clinic"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()


def patient_sign_in(page, email):
    """A patient: "Sign in" in the header, her email, the code from her mailbox."""
    page.context.clear_cookies()
    mail.outbox.clear()
    page.goto("/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Email me a sign-in code").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    [message] = [m for m in mail.outbox if "sign-in code" in m.subject]
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/account/")
