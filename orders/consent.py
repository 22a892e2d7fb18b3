"""What a patient agrees to before paying: telehealth care, the monthly auto-renewal (with the
amount and how to cancel) under the terms, and the privacy notice.

Each agreement names the current published version of its document; the order keeps the
statement she ticked and that version (``OrderConsent``), so a later version never changes
what an earlier order agreed to.
"""

from django import forms

from core.money import format_money
from legal.models import LegalDocument
from orders.models import OrderConsent

CLOSED = (
    "We cannot take orders right now: our terms are being updated. Please try again later, "
    "or call us."
)

# kind of consent -> the document it refers to
DOCUMENTS = {
    OrderConsent.Kind.TELEHEALTH: LegalDocument.Kind.TELEHEALTH,
    OrderConsent.Kind.RENEWAL: LegalDocument.Kind.TERMS,
    OrderConsent.Kind.PRIVACY: LegalDocument.Kind.PRIVACY,
}


def statements(total_cents):
    """The words of each agreement, for a cart of ``total_cents`` a month."""
    amount = format_money(total_cents)
    return {
        OrderConsent.Kind.TELEHEALTH: (
            "I agree to receive care by telehealth: a licensed clinician reviews my answers "
            "online, without a visit, as the telehealth consent describes."
        ),
        OrderConsent.Kind.RENEWAL: (
            f"I agree to the terms, and that my card is charged {amount} today and {amount} "
            "every month after, automatically, until I cancel. I can cancel any time from my "
            "account or by writing to the care team; nothing more is charged after the month "
            "I paid for."
        ),
        OrderConsent.Kind.PRIVACY: (
            "I have read the privacy notice: my answers go to my clinician and, if she "
            "prescribes, to the pharmacy that fills my prescription."
        ),
    }


class ConsentForm(forms.Form):
    def __init__(self, *args, total_cents, **kwargs):
        super().__init__(*args, **kwargs)
        documents = {
            doc.kind: doc for doc in LegalDocument.objects.published().order_by("kind", "version")
        }  # the last of each kind wins: its current version
        self.documents = {kind: documents.get(doc_kind) for kind, doc_kind in DOCUMENTS.items()}
        self.statements = statements(total_cents)
        for kind, statement in self.statements.items():
            self.fields[f"consent_{kind}"] = forms.BooleanField(
                label=statement,
                error_messages={"required": "Please tick this to go on."},
            )

    @property
    def links(self):
        """(document, its page) for the template, in the order of the agreements."""
        return [doc for doc in self.documents.values() if doc is not None]

    def clean(self):
        data = super().clean()
        if any(doc is None for doc in self.documents.values()):
            raise forms.ValidationError(CLOSED)
        return data

    def agreements(self):
        """What ``place_order`` stores: [(kind, document, statement)]."""
        return [(kind, self.documents[kind], text) for kind, text in self.statements.items()]
