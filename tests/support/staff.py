"""Staff users in each role, and the one way tests sign them in.

Every test that acts as staff signs in through ``sign_in`` (or the ``admin_client`` fixture,
which uses it), so a change to how staff authenticate changes this file only. It signs in
the real way: the password on the admin's sign-in page, then the code her authenticator app
would show (computed from the device's secret), on the second-factor page.
"""

import time
from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from oana.roles import GROUP_NAMES

PASSWORD = "a-long-staff-password-42"


@cache
def _password_hash():
    return make_password(PASSWORD)  # hashed once: the default hasher is slow on purpose


def staff(role, username=None):
    """A staff user in ``role`` (a key of oana.roles.ROLES), or a superuser for "superuser"."""
    username = username or role
    user = get_user_model().objects.create(
        username=username,
        email=f"{username}@oana.example",
        password=_password_hash(),
        is_staff=True,
        is_superuser=role == "superuser",
    )
    if role != "superuser":
        user.groups.add(Group.objects.get(name=GROUP_NAMES[role]))
    if role == "clinician":
        # A clinician in tests is licensed where the test patients live (the factories'
        # LICENSED_STATES); tests of the licensing rule change her states.
        from orders.models import ClinicianProfile
        from tests.support.factories import LICENSED_STATES, license_in

        profile = ClinicianProfile.objects.create(
            user=user,
            display_name=f"Dr. {username}",
            credentials="MD",
            npi=f"{9000000000 + user.pk}",
        )
        license_in(profile, LICENSED_STATES)
    if role == "pharmacist":
        # A pharmacist in tests has a profile licensed in every state; tests of the licensing
        # rule change her states (``tests.support.pharmacy.pharmacist``).
        from tests.support.pharmacy import license_pharmacist

        license_pharmacist(user)
    return user


def authenticator(user):
    """``user``'s authenticator app (a confirmed TOTP device), set up if she has none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True)


def app_code(device, step=None):
    """The 6-digit code ``device``'s app shows at time ``step`` (default: now, or the next
    step when this one's code was used already: the device refuses a code twice)."""
    device.refresh_from_db()
    now = int((time.time() - device.t0) // device.step)
    step = max(now, device.last_t + 1) if step is None else step
    assert step <= now + device.tolerance, "signed in three times in 30 seconds: wait"
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    generator.time = device.t0 + step * device.step
    return f"{generator.token():0{device.digits}d}"


def sign_in(client, user, password=PASSWORD):
    """Sign ``user`` in on the test ``client`` as staff do: password, then the code from her
    authenticator app (set up for her if needed). Returns the client.

    A patient (not staff) never uses the staff sign-in: she is simply signed in.
    """
    if not user.is_staff:
        client.force_login(user)
        return client
    client.logout()  # whoever used this browser before (a patient, say) signs out first
    if not user.check_password(password):  # made by the test without the suite's password
        user.set_password(password)
        user.save(update_fields=["password"])
    device = authenticator(user)
    client.get(reverse("admin:login"))  # the form sets the CSRF cookie, as in a browser
    csrf = {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    response = client.post(
        reverse("admin:login"), {"username": user.get_username(), "password": password, **csrf}
    )
    assert response.status_code == 302, "the password step failed"
    assert response.url == reverse("admin:staff_verify"), response.url
    response = client.post(reverse("admin:staff_verify"), {"otp_token": app_code(device), **csrf})
    assert response.status_code == 302, "the second factor step failed"
    return client
