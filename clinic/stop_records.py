"""A stop is kept with the person, not the browser (issue 17, finding 7).

Whenever a stop fires at checkout, ``record_stops`` saves a ``StopRecord`` (which stop, which
answer, when; nothing else), linked to her account when she is signed in, and to
``person_key``: an HMAC-SHA256 of the email and date of birth she typed (normalised: email
trimmed and case-folded), keyed with ``settings.STOP_RECORD_HASH_KEY`` (or ``SECRET_KEY`` when
that is empty). Someone who never ordered leaves no plain identifier behind.

When a later questionnaire is answered, in any session or browser, for the same account or
the same email and date of birth, her earlier stops become red flags of the contraindication
grade (``earlier_stop_flags``): "answer changed after a stop" when the question is asked again
and she answers it otherwise, "stopped in an earlier questionnaire" when it is not asked this
time. ``earlier_stops(order)`` lists them all on the clinician's page of an order.
"""

import hashlib
import hmac

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from clinic.flags import Grade, make_flag
from orders.models import StopRecord


def person_key(email, date_of_birth):
    """The keyed hash of her email and date of birth: the same person, never her identity."""
    key = (settings.STOP_RECORD_HASH_KEY or settings.SECRET_KEY).encode()
    message = f"{email.strip().casefold()}\n{date_of_birth.isoformat()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _records_for(patient_id, identity):
    """Her stop records, newest first: by her account, or by the hash of ``identity``."""
    query = Q()
    if patient_id is not None:
        query |= Q(patient_id=patient_id)
    if identity is not None:
        query |= Q(person_key=person_key(*identity))
    if not query:
        return []
    return list(StopRecord.objects.filter(query))


def record_stops(form, patient=None):
    """Save the stops ``form`` raised (once per stop and answer); returns how many were new.

    Nothing is saved for someone who can be linked to nothing (not signed in, and no valid
    email and date of birth typed)."""
    identity = form.identity()
    if patient is None and identity is None:
        return 0
    patient_id = patient.pk if patient is not None else None
    known = {(r.answer_key, r.answer, r.stop) for r in _records_for(patient_id, identity)}
    new = []
    for stop in form.stops:
        for answer_key in stop.get("keys", ()):
            answer = form.shown_answer(answer_key, form.stop_answers.get(answer_key, ""))
            if (answer_key, answer, stop["why"]) in known:
                continue
            known.add((answer_key, answer, stop["why"]))
            new.append(
                StopRecord(
                    patient_id=patient_id,
                    person_key=person_key(*identity) if identity else "",
                    answer_key=answer_key,
                    question=str(form.fields[answer_key].label),
                    answer=answer,
                    stop=stop["why"],
                )
            )
    StopRecord.objects.bulk_create(new)
    return len(new)


def _when(record):
    return timezone.localtime(record.created_at).strftime("%b %d, %Y")


def earlier_stop_flags(form, data):
    """Red flags for the stops recorded for her before this questionnaire was sent."""
    email, born = data.get("email"), form.typed_date_of_birth
    identity = (email, born) if email and born else None
    records = _records_for(getattr(form.patient, "pk", None), identity)
    flags, seen = [], set()
    for record in reversed(records):  # oldest first
        key, before = record.answer_key, record.answer
        if (key, before) in seen:
            continue
        seen.add((key, before))
        if key in form.stopped and form.shown_answer(key, form.stopped[key]) == before:
            continue  # this session's own stop: flagged by the form already
        if key not in form.fields:
            flags.append(
                make_flag(
                    "earlier_stop",
                    f"Stopped in an earlier questionnaire ({_when(record)}): "
                    f"“{record.question}” {before}. {record.stop}",
                    Grade.CONTRAINDICATION,
                )
            )
            continue
        now = form.shown_answer(key, form.raw_answer(key))
        if now != before:
            flags.append(
                make_flag(
                    "changed_after_stop",
                    f"Answer changed after a stop in an earlier questionnaire "
                    f"({_when(record)}): “{record.question}” was {before}, now {now}.",
                    Grade.CONTRAINDICATION,
                )
            )
    return flags


def earlier_stops(order):
    """Every stop recorded for the person of ``order`` (her account, or the email and date of
    birth on the order), newest first, whenever it was: for the clinician's review."""
    identity = (order.email, order.date_of_birth) if order.date_of_birth else None
    return _records_for(order.patient_id, identity)
