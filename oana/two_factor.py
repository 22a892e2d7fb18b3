"""Staff sign-in with a second factor: password, then a code (django-otp).

1. The admin's own sign-in page asks for the username and password (django-axes counts the
   failures). A right password does **not** sign anyone in: the user is only remembered in
   the session as *pending* for ``PENDING_SECONDS``.
2. Someone with an authenticator app (a confirmed TOTP device) is asked for its 6-digit code,
   or one of her recovery codes. Someone without one is enrolled first: a QR code (drawn
   here as inline SVG: no outside service sees the secret), the ``otpauth://`` link and the
   secret as text, then the 6-digit code to prove it works, then ten recovery codes, shown
   once. Each sign-in gets its own secret, bound to its session (``_enrolment_device``):
   showing one deletes any earlier unconfirmed secret, so a secret read by someone who knew
   the password stops working once she enrols.
3. Only then is she signed in (``django.contrib.auth.login``), with the device recorded in
   the session (``django_otp.login``), which is what ``OTPAdminSite`` checks on every admin
   page; the staff session clocks start (``oana.middleware``).

A wrong code counts as a failed sign-in for django-axes, like a wrong password, so guessing
codes locks the username and the address too.
"""

import secrets
import time
from base64 import b32encode

import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_lockout_response
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .middleware import start_staff_session

PENDING = "oana.staff_pending"
# How long after the right password the second step may be completed.
PENDING_SECONDS = 10 * 60
FRESH_CODES = "oana.fresh_recovery_codes"
RECOVERY_DEVICE = "Recovery codes"
RECOVERY_CODE_COUNT = 10
# Letters and digits that cannot be mistaken for one another (no 0/o, 1/l/i).
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
WRONG_CODE = (
    "That code is not right. Type the code your app shows now (codes change every 30 "
    "seconds), or one of your recovery codes. After a wrong code, wait a few seconds."
)


class CodeForm(forms.Form):
    otp_token = forms.CharField(
        label="Code",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )

    def clean_otp_token(self):
        """Spaces and dashes are for reading; codes are compared without them."""
        return "".join(ch for ch in self.cleaned_data["otp_token"].lower() if ch.isalnum())


def has_authenticator(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def new_recovery_codes(user):
    """Ten fresh recovery codes for ``user`` (the old ones stop working); each works once."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def verify_code(user, code):
    """The device of ``user`` that accepts ``code``: her app for 6 digits, her recovery codes
    otherwise (so a mistyped app code does not also slow down her recovery codes)."""
    recovery = not (len(code) == 6 and code.isdigit())
    with transaction.atomic():
        for device in devices_for_user(user, for_verify=True):
            if isinstance(device, StaticDevice) == recovery and device.verify_token(code):
                return device
    return None


# --- the pending sign-in --------------------------------------------------------------------


def begin(request, user, next_url):
    """The password was right: remember ``user`` for the second step (not signed in)."""
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "backend": user.backend,
        "at": int(time.time()),
        "next": next_url,
    }


def pending_user(request):
    data = request.session.get(PENDING)
    if not isinstance(data, dict) or time.time() - data["at"] > PENDING_SECONDS:
        return None
    return get_user_model().objects.filter(pk=data["user"], is_active=True, is_staff=True).first()


def finish(request, user, device):
    """The second factor is verified: sign ``user`` in; returns where she was going."""
    data = request.session[PENDING]
    auth_login(request, user, backend=data["backend"])
    otp_login(request, device)
    request.session.pop(PENDING, None)
    start_staff_session(request)
    return data["next"]


def _locked_out(request, user):
    """The lockout page if django-axes has locked this username or address, else None."""
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_allowed(request, credentials):
        return None
    return get_lockout_response(request, None, credentials)


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout page (``AXES_LOCKOUT_CALLABLE``): 429, the same words whether the
    username exists or not, and how long the pause lasts."""
    minutes = int(get_cool_off(request).total_seconds() // 60)
    return paused_page(request, minutes * 60)


def paused_page(request, seconds):
    """The staff sign-in's 429 page: the same words for any username, and the wait."""
    minutes = max(1, -(-seconds // 60))
    context = {**admin.site.each_context(request), "title": "Sign-in paused", "minutes": minutes}
    response = TemplateResponse(request, "admin/locked_out.html", context, status=429).render()
    response["Retry-After"] = str(seconds)
    return response


def _failed(request, user, form):
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )
    form.add_error("otp_token", WRONG_CODE)


def _page(request, site, template, context):
    context = {**site.each_context(request), **context}
    request.current_app = site.name
    return TemplateResponse(request, template, context)


# --- views (wired into the admin site by oana.admin_site) -----------------------------------


class PasswordStepView(LoginView):
    """The admin's sign-in page; a right password leads to the second step, not in."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if getattr(form, "too_long", False):
            response.status_code = 400  # no account has such a name; nothing was hashed
        return response

    def form_valid(self, form):
        user = form.get_user()
        begin(self.request, user, self.get_redirect_url() or reverse("admin:index"))
        step = "admin:staff_verify" if has_authenticator(user) else "admin:staff_enrol"
        return HttpResponseRedirect(reverse(step))


def verify(request, site):
    user = pending_user(request)
    if user is None:
        return HttpResponseRedirect(reverse("admin:login"))
    if not has_authenticator(user):
        return HttpResponseRedirect(reverse("admin:staff_enrol"))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if locked := _locked_out(request, user):
            return locked
        device = verify_code(user, form.cleaned_data["otp_token"])
        if device is not None:
            next_url = finish(request, user, device)
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. Each works once: "
                    "make new ones under Recovery codes when you run low.",
                )
            return HttpResponseRedirect(next_url)
        _failed(request, user, form)
    return _page(
        request,
        site,
        "admin/two_factor/verify.html",
        {"title": "Second step: your code", "form": form, "staff_user": user},
    )


def _enrolment_device(request, user):
    """This sign-in's own enrolment secret, made when its set-up page is first shown; every
    other unconfirmed secret of hers (shown to another sign-in, perhaps someone who knew her
    password) is deleted then, so it no longer works. None when a newer sign-in replaced it."""
    data = request.session[PENDING]
    if data.get("enrol_device"):
        return TOTPDevice.objects.filter(
            pk=data["enrol_device"], user=user, confirmed=False
        ).first()
    if request.method == "POST":
        return None  # a code for a page this sign-in never showed
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    request.session[PENDING] = {**data, "enrol_device": device.pk}
    return device


def _qr_svg(uri):
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    return mark_safe(image.to_string(encoding="unicode"))  # drawn here from our own URI


def enrol(request, site):
    user = pending_user(request)
    if user is None:
        return HttpResponseRedirect(reverse("admin:login"))
    if has_authenticator(user):
        # Replacing an authenticator takes a superuser (docs/security.md: a lost phone).
        return HttpResponseRedirect(reverse("admin:staff_verify"))
    device = _enrolment_device(request, user)
    if device is None:
        messages.error(
            request,
            "That set-up page was replaced by a newer sign-in with your password. Sign in "
            "again to set up your app.",
        )
        request.session.pop(PENDING, None)
        return HttpResponseRedirect(reverse("admin:login"))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if locked := _locked_out(request, user):
            return locked
        if device.verify_token(form.cleaned_data["otp_token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = new_recovery_codes(user)
            finish(request, user, device)
            request.session[FRESH_CODES] = codes
            return HttpResponseRedirect(reverse("admin:staff_recovery_codes"))
        _failed(request, user, form)
    secret = b32encode(device.bin_key).decode()
    return _page(
        request,
        site,
        "admin/two_factor/enrol.html",
        {
            "title": "Set up your second factor",
            "form": form,
            "staff_user": user,
            "otpauth_uri": device.config_url,
            "qr_svg": _qr_svg(device.config_url),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )


def recovery_codes(request, site):
    """Fresh codes right after enrolment (shown once); POST replaces them with new ones."""
    codes = request.session.pop(FRESH_CODES, None)
    if request.method == "POST":
        codes = new_recovery_codes(request.user)
    left = StaticToken.objects.filter(device__user=request.user).count()
    return _page(
        request,
        site,
        "admin/two_factor/recovery_codes.html",
        {"title": "Recovery codes", "codes": codes, "left": left},
    )
