"""The first versions of the privacy notice, the terms and the telehealth consent.

Templates for the clinic's lawyer (``is_template``: their pages say so): content editors
publish the reviewed text as a new version in the admin. ``seed_legal_documents`` creates
the first version of each kind that has none; the data migration ``legal/0002`` and the
``seed`` command call it, so every database has a document to agree to.
"""

from django.utils import timezone

PRIVACY = """\
Oana Health ("we") is a telehealth clinic. This notice says what we collect about you, why, \
who sees it and what you can ask of us.

What we collect: your name, email, date of birth, shipping address and state; your answers \
to our medical questionnaire (health information); your messages with the care team; and \
payment records (your card details are held by our payment processor, Stripe, never by us).

Who sees your health information: the licensed clinician who reviews your order, and the \
care team members who need it to look after you. If your clinician prescribes, your \
prescription and the details a pharmacy needs go to the pharmacy that fills it. We never \
sell your information or use it for advertising. We share it beyond this only when the law \
requires it.

How we protect it: your answers are encrypted in our database, only clinicians can read \
them, and every time staff open them it is recorded.

How long we keep it: medical records for as long as the law requires of a medical practice; \
other records only as long as we need them.

Your rights: you can ask for a copy of your information, ask us to correct it, and ask who we \
shared it with. Write to the care team at the address on our site."""

TERMS = """\
These terms govern your use of Oana Health and the treatments you order.

Care: a licensed clinician reviews every order before anything is prescribed or shipped, and \
may decline, ask you questions, or change what is prescribed. Our service is not for \
emergencies: call 911.

Subscription and auto-renewal: treatments are billed monthly. Your card is charged when you \
order and then every month, automatically, until you cancel. The amount is shown before you \
pay. You can cancel any time from your account or by writing to the care team; you are not \
charged again after the month you paid for. If a clinician declines your order, you are \
refunded in full.

Shipping is free. Prescriptions end after the number of refills your clinician sets; you are \
asked to renew before more is charged.

You agree to answer our questions truthfully and completely, and to tell us about changes in \
your health, medicines or pregnancy."""

TELEHEALTH = """\
Telehealth means your care is given at a distance: a licensed clinician reviews the answers \
you give online, and may message you, instead of seeing you in person.

What it can do: decide whether a treatment we offer is safe and suitable for you, prescribe \
it, and follow up by message.

Its limits: the clinician cannot examine you, and relies on what you tell us. Some \
conditions need an in-person visit; the clinician will tell you if yours does. It is not for \
emergencies: call 911.

Your choices: you may stop telehealth care at any time, and you can see a clinician in \
person instead. Your information is handled as our privacy notice describes.

By agreeing, you consent to receive care by telehealth from Oana Health's clinicians."""

DOCUMENTS = (
    ("privacy", "Privacy notice", PRIVACY),
    ("terms", "Terms of service", TERMS),
    ("telehealth_consent", "Telehealth consent", TELEHEALTH),
)


def seed_legal_documents(model=None):
    """Create, published, the template first version of each kind that has no version yet.

    ``model`` is the ``LegalDocument`` class (a migration passes its historical one).
    Returns how many were created."""
    if model is None:
        from .models import LegalDocument as model
    created = 0
    for kind, title, body in DOCUMENTS:
        if not model.objects.filter(kind=kind).exists():
            model.objects.create(
                kind=kind,
                version=1,
                title=title,
                body=body,
                is_template=True,
                published_at=timezone.now(),
            )
            created += 1
    return created
