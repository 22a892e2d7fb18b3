"""`manage.py seed_scale`: a large made-up clinic, never in production, the same for the same
seed, its health data encrypted like real answers."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from oana.scale import BUSY_PATIENT_EMAIL, build_clinic
from orders.models import Order, QuestionnaireResponse

pytestmark = pytest.mark.django_db


def test_it_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_scale", "--orders", "5")
    assert not Order.objects.exists()


@pytest.mark.parametrize("option", ["--orders", "--patients", "--clinicians"])
def test_it_refuses_nonsense_sizes(settings, option):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="at least 1"):
        call_command("seed_scale", option, "0")


def test_a_small_clinic_in_every_state_with_answers_encrypted(settings, capsys):
    settings.DEBUG = True
    call_command("seed_scale", "--orders", "30", "--patients", "1", "--clinicians", "2")
    out = capsys.readouterr().out
    assert "orders: 30" in out and "Seeded 30 orders" in out
    # The first orders hold one of each state of the lifecycle; one patient has them all.
    assert set(Order.objects.values_list("status", flat=True)) == set(Order.Status.values)
    assert set(Order.objects.values_list("email", flat=True)) == {BUSY_PATIENT_EMAIL}
    response = QuestionnaireResponse.objects.order_by("pk").first()
    assert response.answers["pregnant"]["answer"] == "No"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT answers FROM orders_questionnaireresponse WHERE id = %s", [response.pk]
        )
        stored = cursor.fetchone()[0]
    assert "pregnant" not in stored  # a Fernet token, not her answers


def test_the_same_seed_makes_the_same_clinic():
    build_clinic(20, patients=4, clinicians=1, seed=5)
    first = list(Order.objects.order_by("pk").values_list("status", "total_cents"))
    build_clinic(20, patients=4, clinicians=1, seed=5)
    second = list(Order.objects.order_by("pk").values_list("status", "total_cents"))[20:]
    assert first == second
    # The busy patient's address was taken: the second clinic's is another one.
    assert Order.objects.filter(email=BUSY_PATIENT_EMAIL).count() == 20
