"""Signing in from a browser, the one way each kind of user does it."""

import re

from django.core import mail
from playwright.sync_api import expect

from tests.staff import PASSWORD


def staff_sign_in(page, user, *, expect_panel=True):
    """A staff member on the admin's own sign-in page."""
    page.context.clear_cookies()
    page.goto("/admin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
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
