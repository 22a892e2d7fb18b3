"""Staff roles: the groups, their exact permissions, the sync, and create_staff_user."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError

from oana.roles import ROLES, sync_roles

pytestmark = pytest.mark.django_db


def perms(group_name):
    return {
        f"{app}.{code}"
        for app, code in Group.objects.get(name=group_name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_migration_created_every_group_with_exactly_its_permissions():
    for name, expected in ROLES.values():
        assert perms(name) == set(expected), name


def test_only_clinicians_may_read_questionnaire_answers():
    holders = Group.objects.filter(permissions__codename="view_questionnaire")
    assert list(holders.values_list("name", flat=True)) == ["Clinicians"]


def test_role_permissions_read_as_the_issue_describes():
    assert {"articles.change_article", "articles.add_article"} <= perms("Content editors")
    assert not any(p.startswith(("orders.", "treatments.")) for p in perms("Content editors"))
    assert {"treatments.change_plan", "treatments.add_testimonial"} <= perms("Catalog managers")
    assert "orders.review_order" in perms("Clinicians")
    assert "orders.ship_order" in perms("Fulfillment")
    assert "orders.refund_order" in perms("Support")
    # Nobody may edit orders, payments or refunds directly: only the verbs change them.
    for name, _ in ROLES.values():
        assert not {"orders.change_order", "orders.change_payment", "orders.add_refund"} & perms(
            name
        )


def test_sync_restores_a_removed_permission_and_removes_an_extra_one():
    group = Group.objects.get(name="Support")
    group.permissions.remove(Permission.objects.get(codename="refund_order"))
    group.permissions.add(Permission.objects.get(codename="change_order"))
    assert sync_roles() == []
    assert "orders.refund_order" in perms("Support")
    assert "orders.change_order" not in perms("Support")


def test_create_staff_user_in_a_role(capsys):
    call_command(
        "create_staff_user",
        "dr_lee",
        role="clinician",
        email="lee@oana.example",
        password="a-long-staff-password-42",
    )
    user = get_user_model().objects.get(username="dr_lee")
    assert user.is_staff and not user.is_superuser
    assert user.email == "lee@oana.example"
    assert user.check_password("a-long-staff-password-42")
    assert list(user.groups.values_list("name", flat=True)) == ["Clinicians"]
    assert user.has_perm("orders.view_questionnaire")
    assert "Created staff user 'dr_lee' in Clinicians" in capsys.readouterr().out


def test_create_staff_user_prompts_for_the_password(monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "a-long-staff-password-42")
    call_command("create_staff_user", "sam", "--role", "fulfillment")
    user = get_user_model().objects.get(username="sam")
    assert user.check_password("a-long-staff-password-42")
    assert user.has_perm("orders.ship_order") and not user.has_perm("orders.refund_order")


def test_create_staff_user_adds_a_role_to_an_existing_user_and_refuses_weak_passwords():
    call_command("create_staff_user", "pat", role="support", interactive=False)
    call_command("create_staff_user", "pat", role="fulfillment", interactive=False)
    user = get_user_model().objects.get(username="pat")
    assert set(user.groups.values_list("name", flat=True)) == {"Support", "Fulfillment"}
    assert not user.has_usable_password()
    with pytest.raises(CommandError):
        call_command("create_staff_user", "pat", role="support", password="123")
    with pytest.raises(CommandError):
        call_command("create_staff_user", "x", role="nurse", interactive=False)
