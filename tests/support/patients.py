"""Patients signed in, the way her code sign-in leaves her: the order's email proven, her
orders in her account. (The sign-in itself is tested in tests/patients/test_account_sign_in.py.)"""

from django.utils import timezone

from patients.accounts import patient_user_for


def sign_in_patient(client, order):
    """Sign in the patient who placed ``order``; returns her user."""
    user = patient_user_for(order.email)
    type(order).objects.filter(email__iexact=order.email).update(patient=user)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return user


def prove_email(email):
    """Her address proven: she signed in once with a code sent to it (emails about her care
    then carry her clinician's words; see ``orders.emails``). Returns her user."""
    user = patient_user_for(email)
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    return user
