"""Patient sign-in with an emailed code (django-allauth's "login by code"), and her orders
joining her account.

- There is no sign-up and no password: a patient's account is the email she gave at
  checkout. The first time she asks for a code for that email, a user without a usable
  password is made for it (``RequestPatientCodeForm``); the code she then types proves the
  email, and only then do the orders with that email join her account (``link_orders`` on
  ``user_logged_in``). An email with no order, or a staff member's, gets the same page and
  no email, so nobody learns which addresses are known.
- Staff and patients stay apart: staff sign in on the admin's own page, never with a code;
  a patient (never staff) is kept out of the admin (``orders.middleware``).
- Guessing is limited (``SignInCodeLimits``): requests for codes per address and per email,
  and wrong codes per address and per email *across* codes, after which the email's code
  sign-in is paused for ``SIGN_IN_CODE_LOCK_MINUTES``; every limit answers 429 with
  ``Retry-After`` (``core.ratelimit``).
- The code is emailed by a task (``send_sign_in_code``), never inside the request: a known and
  an unknown email cost the request the same queries and one task each, and a mail outage
  cannot show on the page. The task's only argument is a token encrypted with the health-data
  keys (email, code, expiry); the task sends nothing for an unknown email and gives up once the
  code has expired, so a retry never delivers a dead code.
"""

import json
import logging
import secrets
import time
from functools import partial

from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.account.forms import ConfirmLoginCodeForm, RequestLoginCodeForm
from allauth.account.views import ConfirmLoginCodeView, RequestLoginCodeView
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.tasks import task
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from core import ratelimit
from core.encryption import decrypt, encrypt
from core.forms import SpecificErrorsMixin
from orders.models import Order, PatientAccount, is_patient
from orders.views import PUBLIC_ID

logger = logging.getLogger(__name__)

LOGIN_CODE_EMAIL = "account/email/login_code"
LOCKED_TEMPLATE = "account/sign_in_paused.html"
# Set when the code was asked for from an order's page (the email was not typed): the code
# page then shows it masked.
FROM_ORDER_KEY = "sign_in_code_from_order"


class PatientAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        """No sign-up step: checkout records the email; the code proves it."""
        return False

    def send_mail(self, template_prefix, email, context):
        """The sign-in code goes to the task queue (``queue_sign_in_code``); allauth sends no
        other email here (sign-up, passwords and email management are not offered)."""
        if template_prefix != LOGIN_CODE_EMAIL:
            raise ValueError(f"Patients are sent no {template_prefix!r} email")
        queue_sign_in_code(email, context["code"])


def queue_sign_in_code(email, code):
    """Enqueue ``send_sign_in_code`` once the transaction commits; ``code`` None for an email
    that gets none (the same task, which sends nothing)."""
    token = encrypt(
        json.dumps(
            {
                "email": email,
                "code": code,
                "expires": time.time() + settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT,
            }
        )
    )
    transaction.on_commit(partial(send_sign_in_code.enqueue, token))


@task
def send_sign_in_code(token):
    """Email the code in ``token`` (see ``queue_sign_in_code``) while it still works."""
    data = json.loads(decrypt(token))
    if data["code"] is None:
        return "none"
    if time.time() > data["expires"]:
        logger.warning("A sign-in code expired before it could be emailed: not sent")
        return "expired"
    context = {"code": data["code"], "email": data["email"]}
    get_adapter().render_mail(LOGIN_CODE_EMAIL, data["email"], context).send()
    return "sent"


def users_with_email(email):
    """Every user with ``email`` (any letter case), each with her patient account if any."""
    return list(
        get_user_model().objects.filter(email__iexact=email).select_related("patient_account")
    )


def patient_user_for(email, users=None):
    """The patient user for ``email`` (made on first need), or None for a staff email;
    ``users`` are ``users_with_email(email)`` when the caller has them already."""
    users = users_with_email(email) if users is None else users
    if any(user.is_staff or user.is_superuser for user in users):
        return None
    user = next((user for user in users if hasattr(user, "patient_account")), None)
    if user is None:
        user = get_user_model().objects.create_user(
            username=f"patient-{secrets.token_hex(8)}", email=email.lower(), password=None
        )
        PatientAccount.objects.create(user=user)
    return user


class RequestPatientCodeForm(SpecificErrorsMixin, RequestLoginCodeForm):
    """The sign-in page's form: a code goes only to a patient email with orders. Known or not,
    the same two queries are made (the first sign-in of an email also makes her account)."""

    required_messages = {"email": "Enter the email you used at checkout, e.g. name@example.com."}

    def clean_email(self):
        email = super().clean_email()
        users = users_with_email(email)  # known or not: the same queries
        self._user = None
        if Order.objects.filter(email__iexact=email).exists():
            self._user = patient_user_for(email, users)
        return email


class ConfirmPatientCodeForm(SpecificErrorsMixin, ConfirmLoginCodeForm):
    """The code box, with a message that says what to type."""

    required_messages = {"code": "Enter the 6-digit code from the email we sent you."}


# --- limits on guessing, and the views that apply them ---------------------------------------


def _paused(request, error):
    return ratelimit.too_many_requests(request, error, template=LOCKED_TEMPLATE)


def masked_email(email):
    """ "m***@example.com": enough for her to recognise her address on a page anyone with the
    order's link can open, too little for them to learn it."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


class RequestPatientCodeView(RequestLoginCodeView):
    """Asking for a code: limited per address and per email (``RATE_LIMITS["sign_in_code"]``),
    refused while the email's code sign-in is paused; an email that gets no code still
    enqueues the same task."""

    def requested_email(self):
        return self.request.POST.get("email", "")[:254]

    def post(self, request, *args, **kwargs):
        email = self.requested_email()
        try:
            ratelimit.ensure_not_locked(request, "sign_in_code_failure", email=email)
            ratelimit.check(request, "sign_in_code", email=email)
        except ratelimit.RateLimited as error:
            return _paused(request, error)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        if form._user is None:
            queue_sign_in_code(form.cleaned_data["email"], None)
        self.request.session.pop(FROM_ORDER_KEY, None)
        return response


class OrderCodeView(RequestPatientCodeView):
    """ "Email me a sign-in code" on the thank-you and order status pages: one tap sends a code
    to the order's email, through the same form, limits and task as the sign-in page, and
    lands on the code page, which then shows the email masked (whoever holds the order's
    link sees no more of it) and leads to the order once she is in."""

    http_method_names = ["post"]

    def dispatch(self, request, public_id, *args, **kwargs):
        if not PUBLIC_ID.fullmatch(public_id):
            raise Http404("No such order.")
        self.order = get_object_or_404(Order, public_id=public_id)
        return super().dispatch(request, *args, **kwargs)

    def requested_email(self):
        return self.order.email

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "data": {"email": self.order.email}}

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session[FROM_ORDER_KEY] = True
        return response

    def get_success_url(self):
        return (
            reverse("account_confirm_login_code")
            + "?"
            + urlencode({"next": self.order.get_absolute_url()})
        )


class ConfirmPatientCodeView(ConfirmLoginCodeView):
    """Typing the code: wrong codes count per address and per email whatever code they were
    meant for; over the limit, that address or email is paused (429) for a while."""

    def post(self, request, *args, **kwargs):
        try:
            ratelimit.ensure_not_locked(request, "sign_in_code_failure", email=self._email)
        except ratelimit.RateLimited as error:
            return _paused(request, error)
        return super().post(request, *args, **kwargs)

    @property
    def _email(self):
        return self._process.state.get("email", "")

    def get_form(self, form_class=None):
        """The code box as phones need it: the digits keyboard, the code offered from the
        email (``one-time-code``), the cursor already in it."""
        form = super().get_form(form_class)
        # Always the code form: allauth's "resend" action is not offered (no resend count),
        # so a posted action=resend is verified as a code like any other.
        form.fields["code"].widget.attrs.update(
            inputmode="numeric", autocomplete="one-time-code", autofocus=True
        )
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.session.get(FROM_ORDER_KEY):
            context["email"] = masked_email(self._email)
        form = context["verify_form"]
        if form.is_bound and form.errors:
            # Tries left on this code (allauth's limit, SIGN_IN_CODE_ATTEMPTS); the limit
            # across codes still pauses sign-in when it is reached first.
            context["tries_left"] = self._process.max_attempts - self._process.state.get(
                "failed_attempts", 0
            )
        return context

    def form_invalid(self, form):
        try:
            ratelimit.record_failure(self.request, "sign_in_code_failure", email=self._email)
        except ratelimit.RateLimited as error:
            self._process.abort()  # the code she had stops working too
            return _paused(self.request, error)
        return super().form_invalid(form)


@login_required
@require_POST
def sign_out_other_sessions(request):
    """Her account page's "Sign out everywhere else": every other session of hers ends (a new
    session hash), this one stays signed in."""
    user = request.user
    if is_patient(user):
        user.set_unusable_password()  # a fresh random hash: other sessions no longer match
        user.save(update_fields=["password"])
        update_session_auth_hash(request, user)
        messages.success(request, "You are signed out everywhere else. This device stays in.")
    return redirect("orders:account")


@receiver(user_logged_in)
def link_orders(sender, request, user, **kwargs):
    """Her email is proven: her orders with it join her account, and her Stripe customer
    (the one her latest paid checkout made) becomes the one all later checkouts reuse."""
    account = PatientAccount.objects.filter(user=user).first()
    if account is None:
        return  # staff sign in through the admin
    with transaction.atomic():
        Order.objects.filter(email__iexact=user.email, patient__isnull=True).update(patient=user)
        if not account.stripe_customer_id:
            latest = (
                user.patient_orders.exclude(stripe_customer_id="")
                .exclude(is_test_mode=True)
                .order_by("-paid_at", "-id")
                .first()
            )
            if latest is not None:
                account.stripe_customer_id = latest.stripe_customer_id
                account.save(update_fields=["stripe_customer_id"])
