"""Staff lockout (django-axes) as one identity per account, short and progressive, with an
alert to superusers; and the password step's own checks before any hashing.

- **One identity per account** (``identity``, ``AXES_USERNAME_CALLABLE``): whatever is typed
  (``editor``, ``Editor``, ``Editor@OANA.example``), failures and lockouts are counted against
  the account's username; what matches no account is counted lower-cased, so a different
  spelling never buys more tries.
- **Too long to be anyone** (``StaffAuthenticationForm``): a username longer than any username
  or email can be is refused (400) before a password is hashed, and still counted as a failed
  sign-in.
- **Short and progressive** (``cool_off``, ``AXES_COOLOFF_TIME``): a lockout lasts
  ``STAFF_LOCKOUT_MINUTES`` the first time in a day, then twice as long each time after, up
  to ``STAFF_LOCKOUT_MAX_MINUTES``; the address is throttled strictly on its own
  (``RATE_LIMITS["staff_sign_in"]``, every password attempt from it, right or wrong).
- **Superusers are told** (``alert_superusers``): an email to every active superuser when a
  username or address is locked, once per lockout.
"""

import hashlib
import logging
from datetime import timedelta

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.tasks import task

from .two_factor import pending_user

logger = logging.getLogger(__name__)

# Longer than any username (150) or email address (254): nobody's, whatever it says.
LONGEST_IDENTITY = 254
LONGEST_USERNAME = 150


def lockouts_key(name):
    """The cache key counting ``name``'s lockouts today (hashed: names can be long)."""
    return f"oana.lockouts:{hashlib.sha256(name.encode()).hexdigest()[:32]}"


def _alerted_key(name, address):
    return f"oana.lockout-alerted:{hashlib.sha256(f'{name} {address}'.encode()).hexdigest()[:32]}"


def _typed(request, credentials):
    if credentials and credentials.get("username") is not None:
        return credentials["username"]
    return request.POST.get("username", "")  # empty on a GET


def identity(request, credentials=None):
    """The one name failures of this sign-in count against: the username of the staff account
    whose username or email was typed (any letter case), else what was typed, lower-cased."""
    typed = str(_typed(request, credentials) or "").strip()
    if len(typed) > LONGEST_IDENTITY:
        return typed[:LONGEST_IDENTITY].lower()
    if not typed:
        return identity_of_pending(request)
    users = list(
        get_user_model()
        .objects.filter(Q(username__iexact=typed) | Q(email__iexact=typed), is_staff=True)
        .values_list("username", flat=True)[:2]
    )
    return users[0] if len(users) == 1 else typed.lower()


def identity_of_pending(request):
    """On the code steps nothing is typed but the code: the pending staff member's username."""
    user = pending_user(request) if request is not None and hasattr(request, "session") else None
    return user.get_username() if user is not None else ""


def _lockouts_today(name):
    return cache.get(lockouts_key(name), 0)


def _minutes(lockout):
    """How long the ``lockout``-th lockout of a day lasts (1 for the first)."""
    minutes = settings.STAFF_LOCKOUT_MINUTES * 2 ** min(lockout - 1, 10)
    return min(minutes, settings.STAFF_LOCKOUT_MAX_MINUTES)


def cool_off(request=None):
    """How long a lockout lasts (``AXES_COOLOFF_TIME``, also the window in which failures add
    up): ``STAFF_LOCKOUT_MINUTES`` for this identity's first lockout in a day, doubling with
    each one after, at most ``STAFF_LOCKOUT_MAX_MINUTES``."""
    name = identity(request) if request is not None else ""
    return timedelta(minutes=_minutes(max(_lockouts_today(name), 1)))


def too_long_for_anyone(typed):
    """Longer than any email address, or than any username when it is not an email."""
    longest = LONGEST_IDENTITY if "@" in typed else LONGEST_USERNAME
    return len(typed) > longest


class StaffAuthenticationForm(AdminAuthenticationForm):
    """The admin's password step; a username too long to be anyone's is refused before its
    password is hashed (the hasher is slow on purpose) and counts as a failed sign-in."""

    too_long = False

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is not None and too_long_for_anyone(username):
            self.too_long = True
            user_login_failed.send(
                sender=__name__, credentials={"username": username}, request=self.request
            )
            raise self.get_invalid_login_error()
        return super().clean()


@receiver(user_locked_out, dispatch_uid="oana.lockout.alert_superusers")
def alert_superusers(sender, request, username=None, ip_address=None, **kwargs):
    """A username or address was just locked: count it (the next lockout lasts longer) and
    email the superusers, once per lockout (django-axes signals again on each refused try)."""
    name = str(username or "")[:LONGEST_IDENTITY]
    seconds = _minutes(_lockouts_today(name) + 1) * 60
    if not cache.add(_alerted_key(name, ip_address), 1, timeout=seconds):
        return
    key = lockouts_key(name)
    cache.add(key, 0, timeout=24 * 3600)
    cache.incr(key)
    transaction.on_commit(lambda: email_lockout_alert.enqueue(name, str(ip_address or "")))


@task
def email_lockout_alert(username, address):
    """The superusers' email about one lockout (no password, no code: only who and where)."""
    recipients = list(
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        logger.warning("A staff sign-in was locked and no superuser has an email to be told")
        return 0
    minutes = settings.STAFF_LOCKOUT_MINUTES
    body = (  # plain text: what was typed is shown as typed, never as markup
        "Staff sign-in was paused after repeated failed attempts.\n\n"
        f"Username typed: {username or '(none)'}\n"
        f"Client address: {address or '(unknown)'}\n\n"
        f"The pause lasts {minutes} minutes the first time today and doubles each time after. "
        "If this was not one of us, someone is guessing passwords: see Axes > Access attempts "
        "in the staff site, and docs/security.md (Lockout) to lift a pause early.\n"
    )
    return send_mail("Oana staff sign-in locked", body, settings.DEFAULT_FROM_EMAIL, recipients)
