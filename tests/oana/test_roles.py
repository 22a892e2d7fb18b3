"""Staff roles: the groups, their exact permissions, the sync, and create_staff_user."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.sql import emit_post_migrate_signal

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


def test_only_clinicians_and_pharmacists_may_read_questionnaire_answers():
    holders = Group.objects.filter(permissions__codename="view_questionnaire")
    assert sorted(holders.values_list("name", flat=True)) == ["Clinicians", "Pharmacists"]


def test_role_permissions_read_as_the_issue_describes():
    assert {"articles.change_article", "articles.add_article"} <= perms("Content editors")
    assert not any(p.startswith(("orders.", "treatments.")) for p in perms("Content editors"))
    assert {
        "legal.add_legaldocument",
        "legal.change_legaldocument",
        "legal.view_legaldocument",
    } <= perms("Content editors")
    # Medicines choose the questions: clinicians change them, catalog managers only read.
    assert "treatments.change_medicine" in perms("Clinicians")
    assert "treatments.view_medicine" in perms("Catalog managers")
    assert "treatments.change_medicine" not in perms("Catalog managers")
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


def test_create_staff_user_updates_an_existing_user_keeping_what_is_not_given(capsys):
    call_command(
        "create_staff_user",
        "ann",
        role="support",
        email="ann@oana.example",
        password="a-long-staff-password-42",
    )
    call_command("create_staff_user", "ann", role="clinician", interactive=False)
    user = get_user_model().objects.get(username="ann")
    assert user.email == "ann@oana.example"
    assert user.check_password("a-long-staff-password-42")
    assert "Updated staff user 'ann' in Clinicians" in capsys.readouterr().out

    call_command(
        "create_staff_user", "ann", role="clinician", email="ann@new.example", interactive=False
    )
    user.refresh_from_db()
    assert user.email == "ann@new.example"
    assert user.check_password("a-long-staff-password-42")
    assert "No password set" not in capsys.readouterr().out


def test_create_staff_user_without_a_password_says_how_to_set_one(capsys):
    call_command("create_staff_user", "kim", role="support", interactive=False)
    assert "No password set: use `manage.py changepassword`" in capsys.readouterr().out
    assert not get_user_model().objects.get(username="kim").has_usable_password()


def prompts(monkeypatch, *answers):
    """getpass answers the prompts with ``answers`` in turn (the terminal is not ours)."""
    typed = iter(answers)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))


def test_create_staff_user_asks_again_when_the_passwords_differ(monkeypatch, capsys):
    prompts(monkeypatch, "a-long-staff-password-42", "typo", *["a-long-staff-password-42"] * 2)
    call_command("create_staff_user", "sam", role="support")
    assert "The passwords did not match; try again." in capsys.readouterr().err
    assert get_user_model().objects.get(username="sam").check_password("a-long-staff-password-42")


def test_create_staff_user_gives_up_after_three_mismatches(monkeypatch, capsys):
    prompts(monkeypatch, *["a-long-staff-password-42", "typo"] * 3)
    with pytest.raises(CommandError, match="The passwords did not match."):
        call_command("create_staff_user", "sam", role="support")
    assert capsys.readouterr().err.count("try again") == 3
    assert not get_user_model().objects.filter(username="sam").exists()


def test_create_staff_user_refuses_an_empty_password_at_the_prompt(monkeypatch):
    prompts(monkeypatch, "")
    with pytest.raises(CommandError, match="A password is required"):
        call_command("create_staff_user", "sam", role="support")
    assert not get_user_model().objects.filter(username="sam").exists()


class KeepAuthElsewhere:
    """A router that keeps the auth tables out of every database Django migrates here."""

    def allow_migrate(self, db, app_label, **hints):
        return False if app_label == "auth" else None


def test_migrate_leaves_the_groups_alone_where_a_router_keeps_auth_out(settings):
    support = Group.objects.get(name="Support")
    support.permissions.remove(Permission.objects.get(codename="refund_order"))

    settings.DATABASE_ROUTERS = [KeepAuthElsewhere()]
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert "orders.refund_order" not in perms("Support")

    settings.DATABASE_ROUTERS = []
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert "orders.refund_order" in perms("Support")
