"""Health data encrypted at rest: questionnaire answers and flags, clinicians' notes, messages."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core import serializers
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from clinic.services.review import approve_order
from core.encryption import UndecryptableValue, decrypt, encrypt
from orders.checks import health_data_keys
from orders.models import Message, Order, QuestionnaireResponse, Thread
from tests.support.clinic import ANSWERS, FLAGS, considered, order_to_review
from tests.support.staff import staff

pytestmark = pytest.mark.django_db

OLD, NEW, OTHER = (Fernet.generate_key().decode() for _ in range(3))


def raw(table, column, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def raw_answers(response):
    return raw("orders_questionnaireresponse", "answers", response.pk)


def test_answers_flags_and_notes_round_trip_and_are_not_plaintext_in_the_database():
    order = order_to_review()
    approve_order(
        order,
        considered=considered(order),
        by=staff("clinician"),
        note="Take it with dinner.",
        attested=True,
    )
    response = QuestionnaireResponse.objects.get(order=order)
    assert (response.answers, response.flags) == (ANSWERS, FLAGS)
    assert Order.objects.get(pk=order.pk).review_note == "Take it with dinner."
    stored = [
        raw_answers(response),
        raw("orders_questionnaireresponse", "flags", response.pk),
        raw("orders_order", "review_note", order.pk),
    ]
    for token in stored:
        assert token.startswith("gAAAAA")  # a Fernet token
    assert "Penicillin" not in stored[0] and "Lisinopril" not in stored[0]
    assert "potassium" not in stored[1]
    assert "dinner" not in stored[2]
    thread = Thread.objects.create(order=order, topic="medical")
    message = Message.objects.create(thread=thread, from_patient=True, body="Spotting since May")
    assert Message.objects.get(pk=message.pk).body == "Spotting since May"
    assert "Spotting" not in raw("orders_message", "body", message.pk)
    # The same value encrypts differently every time: nothing to compare or guess.
    assert encrypt("No") != encrypt("No")


def test_the_red_flags_column_follows_the_flags_on_every_path():
    order = order_to_review()  # answers set with a bulk update()
    response = QuestionnaireResponse.objects.get(order=order)
    assert response.has_red_flags
    response.flags = []
    response.save()
    assert not QuestionnaireResponse.objects.get(pk=response.pk).has_red_flags
    QuestionnaireResponse.objects.update_or_create(order=order, defaults={"flags": FLAGS})
    assert QuestionnaireResponse.objects.get(pk=response.pk).has_red_flags
    response.refresh_from_db()
    response.answers = {}
    response.save(update_fields=["answers"])
    assert QuestionnaireResponse.objects.get(pk=response.pk).has_red_flags
    QuestionnaireResponse.objects.filter(pk=response.pk).update(answers={"a": 1})
    assert QuestionnaireResponse.objects.get(pk=response.pk).has_red_flags


def test_encrypted_columns_cannot_be_searched_only_asked_whether_set():
    order_to_review()
    with pytest.raises(FieldError):
        list(QuestionnaireResponse.objects.filter(answers__icontains="Penicillin"))
    with pytest.raises(FieldError):
        list(Order.objects.filter(review_note="x"))
    assert QuestionnaireResponse.objects.filter(answers__isnull=False).count() == 1


def test_a_null_stays_null():
    from core.encryption import EncryptedTextField

    field = EncryptedTextField(null=True)
    assert field.get_prep_value(None) is None
    assert field.from_db_value(None, None, connection) is None


def test_serialized_rows_carry_plain_values_and_load_back():
    order = order_to_review()
    response = QuestionnaireResponse.objects.get(order=order)
    text = serializers.serialize("json", [response])
    (loaded,) = serializers.deserialize("json", text)
    assert loaded.object.answers == ANSWERS and loaded.object.flags == FLAGS


def test_keys_rotate_old_rows_stay_readable_and_reencrypt_moves_them(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    order = order_to_review()
    approve_order(
        order,
        considered=considered(order),
        by=staff("clinician"),
        note="Recheck potassium in 3 months.",
        attested=True,
    )
    response = QuestionnaireResponse.objects.get(order=order)
    before = raw_answers(response)

    # 1. A new key goes first; the old one stays: every row is still readable.
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    assert QuestionnaireResponse.objects.get(pk=response.pk).answers == ANSWERS
    assert Order.objects.get(pk=order.pk).review_note == "Recheck potassium in 3 months."

    # 2. Re-encrypt: every row moves to the new key.
    out = io.StringIO()
    call_command("reencrypt_health_data", stdout=out)
    assert "orders.QuestionnaireResponse: 1 rows re-encrypted (answers, flags)" in out.getvalue()
    assert "orders.Order: 1 rows re-encrypted (review_note)" in out.getvalue()
    assert raw_answers(response) != before

    # 3. The old key removed: everything still reads.
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    assert QuestionnaireResponse.objects.get(pk=response.pk).answers == ANSWERS
    assert QuestionnaireResponse.objects.get(pk=response.pk).flags == FLAGS
    assert Order.objects.get(pk=order.pk).review_note == "Recheck potassium in 3 months."

    # Without the right key, nothing is shown as empty: it fails loudly.
    settings.FIELD_ENCRYPTION_KEYS = [OTHER]
    with pytest.raises(UndecryptableValue, match="was a key removed"):
        QuestionnaireResponse.objects.get(pk=response.pk)


def test_a_value_that_is_not_a_token_is_refused():
    with pytest.raises(UndecryptableValue):
        decrypt("{'plain': 'text'}")
    with pytest.raises(UndecryptableValue):
        decrypt("grossesse ä")


def test_no_keys_means_no_health_data(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS is empty"):
        encrypt("x")


def test_the_checks_refuse_missing_bad_or_development_keys(settings):
    settings.DEBUG = False
    settings.FIELD_ENCRYPTION_KEYS = []
    assert [e.id for e in health_data_keys(None)] == ["oana.E002"]
    settings.FIELD_ENCRYPTION_KEYS = [NEW, "not-a-key"]
    assert [e.id for e in health_data_keys(None)] == ["oana.E003"]
    settings.FIELD_ENCRYPTION_KEYS = [NEW, settings.DEVELOPMENT_FIELD_ENCRYPTION_KEY]
    assert [e.id for e in health_data_keys(None)] == ["oana.E004"]
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    assert health_data_keys(None) == []
    # While developing, the public development key is fine.
    settings.DEBUG = True
    settings.FIELD_ENCRYPTION_KEYS = [settings.DEVELOPMENT_FIELD_ENCRYPTION_KEY]
    assert health_data_keys(None) == []


def test_production_refuses_to_start_without_keys():
    from tests.oana.test_site import PRODUCTION_ENV, run_manage

    result = run_manage("check", env={**PRODUCTION_ENV, "FIELD_ENCRYPTION_KEYS": ""})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS is not set" in result.stderr


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses an open transaction
def test_the_migration_encrypts_the_rows_of_an_existing_database():
    before, after = (
        ("orders", "0005_patient_accounts_and_messages"),
        ("orders", "0008_drop_plain_health_data"),
    )
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        old_state = executor.loader.project_state([before]).apps
        OldOrder = old_state.get_model("orders", "Order")
        OldResponse = old_state.get_model("orders", "QuestionnaireResponse")
        flagged = OldOrder.objects.create(email="a@example.com", full_name="A", review_note="Note")
        plain = OldOrder.objects.create(email="b@example.com", full_name="B")
        OldResponse.objects.create(order=flagged, answers=ANSWERS, flags=FLAGS)
        OldResponse.objects.create(order=plain, answers={"pregnancy": "No"}, flags=[])
        OldThread = old_state.get_model("orders", "Thread")
        OldMessage = old_state.get_model("orders", "Message")
        thread = OldThread.objects.create(order=flagged, topic="medical")
        message = OldMessage.objects.create(
            thread=thread, from_patient=True, body="My ankles swell since I started."
        )

        executor = MigrationExecutor(connection)
        executor.migrate([after])

        # The model as it was then: later migrations add columns this database does not have.
        NewResponse = executor.loader.project_state([after]).apps.get_model(
            "orders", "QuestionnaireResponse"
        )
        responses = {r.order_id: r for r in NewResponse.objects.all()}
        assert responses[flagged.pk].answers == ANSWERS
        assert responses[flagged.pk].has_red_flags
        assert not responses[plain.pk].has_red_flags
        notes = Order.objects.filter(pk=flagged.pk).values_list("review_note", flat=True)
        assert list(notes) == ["Note"]
        assert "Penicillin" not in raw_answers(responses[flagged.pk])
        assert raw("orders_order", "review_note", flagged.pk).startswith("gAAAAA")
        assert Message.objects.get(pk=message.pk).body == "My ankles swell since I started."
        assert "ankles" not in raw("orders_message", "body", message.pk)

        # And back: the way down decrypts.
        executor = MigrationExecutor(connection)
        executor.migrate([before])
        back = executor.loader.project_state([before]).apps
        assert back.get_model("orders", "Message").objects.get(pk=message.pk).body == (
            "My ankles swell since I started."
        )
        assert (
            back.get_model("orders", "QuestionnaireResponse")
            .objects.get(order_id=flagged.pk)
            .answers
            == ANSWERS
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_review_queue_filters_and_sorts_on_red_flags_never_on_answers(client):
    from tests.support.staff import sign_in

    calm = order_to_review(email="b@example.com")  # paid first: first in the queue
    QuestionnaireResponse.objects.filter(order=calm).update(flags=[])
    flagged = order_to_review()
    sign_in(client, staff("clinician"))
    url = "/admin/orders/reviewqueueorder/"
    page = client.get(url + "?red_flags=yes").content.decode()
    assert flagged.reference in page and calm.reference not in page
    page = client.get(url + "?red_flags=no").content.decode()
    assert calm.reference in page and flagged.reference not in page
    page = client.get(url).content.decode()
    assert "With red flags" in page  # the filter is offered
    assert page.index(calm.reference) < page.index(flagged.reference)
    # Flagged orders first when sorted by the red-flags column.
    page = client.get(url + "?o=4").content.decode()
    assert page.index(flagged.reference) < page.index(calm.reference)
    # Answers are never searched or filtered.
    assert flagged.reference not in client.get(url + "?q=Penicillin").content.decode()
    assert client.get(url + "?answers__icontains=Pen").status_code == 400


def plain_text_of_the_timeline_and_refunds(order):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT message, data FROM orders_orderevent WHERE order_id = %s", [order.pk]
        )
        rows = [f"{message} {data}" for message, data in cursor.fetchall()]
        cursor.execute("SELECT reason FROM orders_refund WHERE order_id = %s", [order.pk])
        rows += [reason for (reason,) in cursor.fetchall()]
    return "\n".join(rows)


def test_a_clinicians_words_never_reach_the_plain_timeline_or_refunds(settings):
    from clinic.services.review import decline_order
    from patients.services.messages import ask_patient
    from tests.support.factories import make_paid_order, make_plan

    settings.STRIPE_TEST_MODE = True
    clinician = staff("clinician")
    asked = order_to_review()
    ask_patient(asked, by=clinician, question="Has your potassium been checked since May?")
    declined = order_to_review(email="d@example.com")
    decline_order(declined, by=clinician, reason="Your kidney results rule it out.")
    approved = make_paid_order(
        make_plan("Oral Metformin ER", 2200), make_plan("Spironolactone", 3000), email="a@x.io"
    )
    approve_order(
        approved,
        by=clinician,
        note="Start with half a tablet.",
        declined_lines=[approved.lines.get(treatment_name="Spironolactone")],
        decline_reason="Lisinopril raises potassium.",
        attested=True,
    )
    for order, words in [
        (asked, "potassium been checked"),
        (declined, "kidney results"),
        (approved, "half a tablet"),
        (approved, "Lisinopril raises"),
    ]:
        assert words not in plain_text_of_the_timeline_and_refunds(order)
    assert Order.objects.get(pk=approved.pk).review_note == "Start with half a tablet."
    assert approved.lines.get(treatment_name="Spironolactone").decline_reason == (
        "Lisinopril raises potassium."
    )


@pytest.mark.django_db(transaction=True)
def test_the_migration_takes_a_clinicians_words_out_of_existing_timelines():
    before = ("orders", "0014_hold_state_mismatch")
    after = ("orders", "0015_health_data_out_of_the_timeline")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        old = executor.loader.project_state([before]).apps
        OldOrder = old.get_model("orders", "Order")
        OldEvent = old.get_model("orders", "OrderEvent")
        OldRefund = old.get_model("orders", "Refund")
        order = OldOrder.objects.create(email="a@example.com", full_name="A")
        approved = OldEvent.objects.create(
            order=order,
            kind="approved",
            message="A clinician approved your order. Note from your clinician: Half a tablet.",
            data={"note": "Half a tablet."},
        )
        declined = OldEvent.objects.create(
            order=order, kind="declined", data={"reason": "Kidneys.", "amount": 2200}
        )
        asked = OldEvent.objects.create(order=order, kind="asked", data={"question": "BP?"})
        requested = OldEvent.objects.create(
            order=order, kind="refund_requested", data={"reason": "Declined by clinician: Kidneys."}
        )
        goodwill = OldEvent.objects.create(
            order=order, kind="refund_requested", data={"reason": "Parcel arrived damaged"}
        )
        refund = OldRefund.objects.create(
            order=order, amount_cents=2200, reason="Declined by clinician: Kidneys."
        )

        executor = MigrationExecutor(connection)
        executor.migrate([after])
        state = MigrationExecutor(connection).loader.project_state([after]).apps
        OrderEvent = state.get_model("orders", "OrderEvent")
        Refund = state.get_model("orders", "Refund")

        def event(pk):
            found = OrderEvent.objects.get(pk=pk)
            return found.message, found.data

        assert event(approved.pk) == ("A clinician approved your order.", {"note": True})
        assert event(declined.pk) == ("", {"amount": 2200})
        assert event(asked.pk) == ("", {})
        assert event(requested.pk)[1] == {"reason": "Declined by clinician"}
        assert event(goodwill.pk)[1] == {"reason": "Parcel arrived damaged"}
        assert Refund.objects.get(pk=refund.pk).reason == "Declined by clinician"
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
