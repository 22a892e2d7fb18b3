"""Signing in from a browser, the one way each kind of user does it."""

import re

from django.core import mail
from playwright.sync_api import expect


def staff_sign_in(page, user, password=None, *, expect_panel=True):
    """Sign ``user`` in through the browser as staff do: the password on the admin's sign-in
    page, then the code from her authenticator app (set up for her if she has none; the code
    is computed from its secret), on the second-factor page. The one way browser tests sign
    staff in (``tests.support.staff.sign_in`` is the same for the test client)."""
    from tests.support.staff import PASSWORD, app_code, authenticator

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
    # (The form posts to "#errors", which a redirect keeps: /account/#errors.)
    page.wait_for_url(re.compile(r"/account/(#errors)?$"))


def current_step(page):
    """The questionnaire step the page shows ("Step 2 of 5" -> 2)."""
    text = page.locator(".question-progress__count").inner_text()
    return int(re.match(r"Step (\d+) of", text).group(1))


def _answer_yes_no(page, yes):
    groups = page.locator("fieldset").filter(has=page.get_by_label("No", exact=True))
    for index in range(groups.count()):
        group = groups.nth(index)
        legend = group.locator("legend").first.inner_text()
        answer = "Yes" if any(re.search(pattern, legend) for pattern in yes) else "No"
        group.get_by_label(answer, exact=True).check()


def answer_step(page, step, *, email=None, full_name="Jane Patient", yes=(), medicines=()):
    """Answer the questions of ``step`` as a patient with no concerns (see
    ``answer_questionnaire``)."""
    if step == 1:
        if email is not None:
            page.get_by_label("Email").fill(email)
        page.get_by_label("Legal name").fill(full_name)
        page.get_by_label("Date of birth").fill("1990-04-12")
        page.get_by_label("Which state do you live in?").select_option("NY")
        page.get_by_role("group", name="Sex assigned at birth").get_by_label("Female").check()
    elif step == 2:
        _answer_yes_no(page, yes)
        page.get_by_role("group", name="Which contraception do you use?").get_by_label(
            "A copper IUD"
        ).check()
    elif step == 3:
        page.get_by_label("Height: feet").fill("5")
        page.get_by_label("Height: inches").fill("5")
        page.get_by_label("Weight in pounds").fill("160")
        _answer_yes_no(page, yes)
        kidney = page.get_by_role("group", name="Your latest kidney function result (eGFR)")
        kidney.get_by_label("60 or more").check()
        page.get_by_role("group", name="When was it measured?").get_by_label(
            "In the last 3 months"
        ).check()
    elif step == 4:
        no_medicines = page.get_by_label("I take no medicines, vitamins or supplements")
        if medicines:
            no_medicines.uncheck()
            for number, (name, dose) in enumerate(medicines, start=1):
                if number > 1:  # "Add another": one more row, which takes focus
                    page.get_by_role("button", name="Add another medicine").click()
                    expect(page.get_by_label(f"Medicine {number}: name")).to_be_focused()
                page.get_by_label(f"Medicine {number}: name").fill(name)
                page.get_by_label(f"Medicine {number}: dose and how often").fill(dose)
        else:
            no_medicines.check()
        page.get_by_label("I have no allergies to medicines").check()
    else:
        page.get_by_role("group", name="What would you like treated?").get_by_label(
            re.compile("PCOS")
        ).check()
        _answer_yes_no(page, yes)
        # A GLP-1 for her type 2 diabetes (no BMI rule to meet), when one is in the cart.
        indication = page.get_by_role(
            "group", name="What would you like the GLP-1 medicine to treat?"
        )
        if indication.count():
            indication.get_by_label("Type 2 diabetes").check()
            page.get_by_role("group", name="Do you have diabetes?").get_by_label(
                "Type 2 diabetes"
            ).check()
        page.get_by_label(re.compile("I agree to receive care by telehealth")).check()
        page.get_by_label(re.compile("I agree to the terms")).check()
        page.get_by_label(re.compile("I have read the privacy notice")).check()


def answer_questionnaire(page, *, email=None, full_name="Jane Patient", yes=(), medicines=()):
    """Answer the medical questionnaire step by step, from the step the page shows, as a
    patient with no concerns, and tick the three agreements before payment on the last step
    (the caller presses "Continue to payment"): the one place browser tests fill it, so a
    change to the questions changes this helper only.

    ``yes``: patterns of the yes/no questions (their legend) she answers "Yes"; every other
    yes/no question, the drug-class ones included, gets "No". ``medicines``: (name, dose)
    pairs she takes, entered with "Add another"; none by default. A step that stops her (or
    shows errors) ends the walk there: returns the step the page shows."""
    step = current_step(page)
    while True:
        answer_step(page, step, email=email, full_name=full_name, yes=yes, medicines=medicines)
        if step == 5:
            return step
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile("^Next")).click()
        if current_step(page) == step:
            return step
        step += 1


def consider_every_flag(page, reason="Weighed against her answers."):
    """On the sign-off page: tick each flag as considered, and give ``reason`` where a
    contraindication needs one."""
    flags = page.locator("fieldset.clinic-flag-review")
    for index in range(flags.count()):
        flag = flags.nth(index)
        flag.get_by_label("Considered").check()
        why = flag.get_by_label("Why you sign despite this contraindication")
        if why.count():
            why.fill(reason)


def axe_violations(page):
    """What axe-core (bundled with axe-playwright-python: no network at test time) finds on
    the page as it stands, every rule it has (WCAG A/AA and best practices): one line per
    violated rule, with its impact and the first elements."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{page.url}: axe {violation['id']} ({violation['impact']}): {violation['help']}: "
        + "; ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
        for violation in results.response["violations"]
    ]


def assert_no_axe_violations(page):
    """axe finds nothing on the page as it stands (``axe_violations``)."""
    problems = axe_violations(page)
    assert not problems, "\n".join(problems)
