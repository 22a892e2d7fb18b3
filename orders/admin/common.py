"""Helpers shared by the clinic's admin modules: money, Stripe links, questionnaire
answers (and the log of who was shown them), tracking links (the read-only admin bases are in ``core.admin``).
"""

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from clinic.flags import grade_of, ranked
from clinic.services.prescriptions import RENEWAL_QUESTIONS, is_legacy_renewal, renewal_flags
from orders.models import QuestionnaireAccess

READ_ANSWERS = "orders.view_questionnaire"
# Answers a clinician wants at a glance in the queue (the full set is on the order page).
GLANCE_KEYS = (
    "date_of_birth",
    "state",
    "sex_at_birth",
    "contraception",
    "bmi",
    "blood_pressure",
    "pregnant",
    "breastfeeding",
    "trying_to_conceive",
    "kidney",
    "liver",
    "current_medicines",
    "medicine_allergies",
    # the keys of orders placed before the questionnaire of issue 11
    "pregnancy",
    "kidney_liver",
    "medicines",
    "allergies",
)


def can_read_answers(user):
    """May ``user`` read health data: questionnaire answers, and every clinical text on an
    order (the clinician's note or decline reason, prescription directions and doses, her
    reports and clinical holds)? Clinicians and superusers; a role granted
    ``orders.view_questionnaire`` later (a pharmacist) too. Each showing is logged
    (``log_answers_viewed``)."""
    return user.is_active and user.has_perm(READ_ANSWERS)


# What Support and Fulfillment read where clinical text would be.
CLINICIANS_ONLY = "Clinical: shown to clinicians only"


def shown_hold_kind(hold):
    """A hold's kind as someone who may not read health data sees it."""
    return "Clinical hold (a clinician decides)" if hold.is_clinical else hold.get_kind_display()


def shown_hold_text(hold, text):
    """A hold's reason or outcome as someone who may not read health data sees it."""
    return CLINICIANS_ONLY if hold.is_clinical and text else text


def log_answers_viewed(request, orders, where):
    """Record that ``request.user`` was shown the questionnaire answers of ``orders``."""
    user = request.user
    QuestionnaireAccess.objects.bulk_create(
        QuestionnaireAccess(order_id=order.pk, user=user, username=user.get_username(), where=where)
        for order in orders
    )


def stripe_link(kind, object_id, *, test_order=False):
    """A link to ``object_id`` in the Stripe dashboard (test-mode keys: the test dashboard)."""
    if not object_id:
        return "-"
    if test_order or object_id.startswith(("cs_test_local", "in_test_local", "re_test_")):
        return format_html('<span class="mono">{}</span> (local test mode)', object_id)
    mode = "test/" if settings.STRIPE_SECRET_KEY.startswith(("sk_test", "rk_test")) else ""
    return format_html(
        '<a href="https://dashboard.stripe.com/{}{}/{}" target="_blank" rel="noopener">{}</a>',
        mode,
        kind,
        object_id,
        object_id,
    )


def age_in_years(born):
    """Whole years since ``born`` (an order's date of birth), or None when none is on file."""
    if born is None:
        return None
    today = timezone.localdate()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def render_flags(questionnaire):
    """The flags, most serious first, and the version of the clinical rules they came from.
    "No red flags" only when there are none: a medicine not recognised is a flag."""
    flags = getattr(questionnaire, "flags", None) or []
    version = getattr(questionnaire, "rules_version", "")
    checked = (
        format_html(
            '<p class="clinic-rules"><small>Checked against clinical rules {}</small></p>', version
        )
        if version
        else ""
    )
    if not flags:
        return format_html('<span class="clinic-ok">No red flags</span>{}', checked)
    return format_html(
        '<ul class="clinic-flags">{}</ul>{}',
        format_html_join(
            "",
            '<li class="flag-{}"><strong>{}:</strong> {}</li>',
            (
                (grade_of(f), grade_of(f).label, f.get("message") or f.get("key"))
                for f in ranked(flags)
            ),
        ),
        checked,
    )


def render_answers(questionnaire, keys=None):
    """The answers as a definition list; flagged questions are highlighted.

    ``answers`` is what ``QuestionnaireForm.answers()`` stored at checkout:
    ``{key: {"question": ..., "answer": ...}}``, every answer a string.
    """
    if questionnaire is None:
        return "No questionnaire on file."
    flagged = {flag.get("key") for flag in questionnaire.flags or []}
    items = [
        (key, value)
        for key, value in (questionnaire.answers or {}).items()
        if keys is None or key in keys
    ]
    return format_html(
        '<dl class="clinic-answers">{}</dl>',
        format_html_join(
            "",
            '<div class="{}"><dt>{}</dt><dd>{}</dd></div>',
            (
                (
                    "flagged" if key in flagged else "",
                    value.get("question", key),
                    value.get("answer") or "-",
                )
                for key, value in items
            ),
        ),
    )


def tracking_link(shipment):
    if shipment.tracking_url:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            shipment.tracking_url,
            shipment.tracking_number,
        )
    return shipment.tracking_number or "-"


def render_renewal(renewal):
    """Her latest renewal answers as the clinician reads them: what is not renewable, the
    graded flags, then the answers (the short form of before, or the renewal questionnaire)."""
    if renewal is None:
        return "-"

    class Flagged:  # render_flags reads ``.flags``
        flags = renewal_flags(renewal)

    if is_legacy_renewal(renewal):
        answers = format_html(
            '<dl class="clinic-answers">{}</dl>',
            format_html_join(
                "",
                "<div><dt>{}</dt><dd>{}</dd></div>",
                (
                    (question, renewal.answers.get(key) or "-")
                    for key, question in RENEWAL_QUESTIONS.items()
                ),
            ),
        )
    else:
        answers = render_answers(renewal)
    return format_html(
        "{}{}{}<small>Sent {}</small>",
        format_html_join(
            "",
            '<p class="clinic-flag"><strong>Not renewable: {}.</strong> {}</p>',
            ((stop["treatment"], stop["why"]) for stop in renewal.stops or []),
        ),
        render_flags(Flagged),
        answers,
        date_format(renewal.submitted_at, "N j, Y"),
    )
