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
"""

import secrets

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import RequestLoginCodeForm
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver

from orders.models import Order, PatientAccount


class PatientAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        """No sign-up step: checkout records the email; the code proves it."""
        return False


def patient_user_for(email):
    """The patient user for ``email`` (made on first need), or None for a staff email."""
    users = get_user_model().objects.filter(email__iexact=email)
    if any(user.is_staff or user.is_superuser for user in users):
        return None
    user = users.filter(patient_account__isnull=False).first()
    if user is None:
        user = get_user_model().objects.create_user(
            username=f"patient-{secrets.token_hex(8)}", email=email.lower(), password=None
        )
        PatientAccount.objects.create(user=user)
    return user


class RequestPatientCodeForm(RequestLoginCodeForm):
    """The sign-in page's form: a code goes only to a patient email with orders."""

    def clean_email(self):
        email = super().clean_email()
        self._user = None
        if email and Order.objects.filter(email__iexact=email).exists():
            self._user = patient_user_for(email)
        return email


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
