"""Staff users in each role, and the one way tests sign them in.

Every test that acts as staff signs in through ``sign_in`` (or the ``admin_client`` fixture,
which uses it), so a change to how staff authenticate changes this file only.
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

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
    return user


def sign_in(client, user):
    """Sign ``user`` in on the test ``client`` as the admin would; returns the client."""
    client.force_login(user)
    return client
