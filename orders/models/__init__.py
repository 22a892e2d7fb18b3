"""Orders: what a patient bought, what she paid, what a clinician decided and what shipped.

Every change of ``Order.status`` goes through a verb function of the services, which also
writes an ``OrderEvent`` (the timeline). Money is always an integer number of cents; order
lines keep a snapshot of the price charged, so later catalog edits never change an existing
order.

One module per concern (as pretix splits ``base/models/``); every table belongs to the
``orders`` app label, so the apps that own the code (``payments``, ``clinic``, ``patients``)
share one migration history:

- ``order``: Order and its lifecycle; ``lines``: OrderLine; ``timeline``: OrderEvent, OrderConsent;
- ``payments``: Payment, Refund, StripeCommand (a subscription command's intent row),
  WebhookEvent, and ``intent_key`` (every idempotency key);
- ``holds``: Hold; ``shipments``: Shipment; ``address``: the address fields they share;
- ``clinic``: QuestionnaireResponse, ClinicianProfile, Prescription, RenewalResponse, the
  review queue's proxy, QuestionnaireAccess, ClinicianLicence, FlagReview;
- ``clinical_data``: InteractionRule, ClinicalDataChange and MedicineDataChange
  (two-clinician review);
- ``patients``: PatientAccount, Thread, Message;
- ``stops``: StopRecord (a stop kept with the person, not the browser);
- ``followups``: CheckIn, AdverseEvent (after the first box);
- ``pharmacy``: PharmacistProfile, PharmacistLicence, Pharmacy, PharmacyLicence,
  DispensingRecord, the verification queue's proxy;
- ``labs``: HealthFile (encrypted uploads), LabRequest, LabResult, IdentityCheck.
"""

from orders.models.address import AddressFields
from orders.models.clinic import (
    ClinicianProfile,
    ClinicianProfileQuerySet,
    Prescription,
    QuestionnaireAccess,
    QuestionnaireResponse,
    QuestionnaireResponseQuerySet,
    RenewalResponse,
    ReviewQueueOrder,
)
from orders.models.clinical_data import (
    ClinicalDataChange,
    InteractionRule,
    MedicineDataChange,
    RuleGrade,
)
from orders.models.followups import AdverseEvent, AdverseEventQuerySet, CheckIn, CheckInQuerySet
from orders.models.holds import Hold, HoldQuerySet
from orders.models.labs import HealthFile, IdentityCheck, LabRequest, LabResult
from orders.models.lines import OrderLine
from orders.models.order import (
    Order,
    OrderQuerySet,
    lifecycle_targets,
    new_public_id,
)
from orders.models.patients import (
    Message,
    PatientAccount,
    Thread,
    ThreadQuerySet,
    has_proven_email,
    is_patient,
)
from orders.models.payments import (
    Payment,
    PaymentQuerySet,
    Refund,
    RefundQuerySet,
    StripeCommand,
    StripeCommandQuerySet,
    WebhookEvent,
    intent_key,
)
from orders.models.pharmacy import (
    DispensingRecord,
    PharmacistLicence,
    PharmacistProfile,
    Pharmacy,
    PharmacyLicence,
    VerificationQueueOrder,
)
from orders.models.shipments import Shipment, ShipmentQuerySet
from orders.models.signoff import (
    ClinicianLicence,
    ClinicianLicenceQuerySet,
    FlagReview,
    npi_check_digit_ok,
    validate_npi,
)
from orders.models.stops import StopRecord
from orders.models.timeline import OrderConsent, OrderEvent

__all__ = [
    "AddressFields",
    "AdverseEvent",
    "AdverseEventQuerySet",
    "CheckIn",
    "CheckInQuerySet",
    "ClinicalDataChange",
    "ClinicianLicence",
    "ClinicianLicenceQuerySet",
    "ClinicianProfile",
    "ClinicianProfileQuerySet",
    "DispensingRecord",
    "FlagReview",
    "HealthFile",
    "Hold",
    "HoldQuerySet",
    "IdentityCheck",
    "InteractionRule",
    "LabRequest",
    "LabResult",
    "MedicineDataChange",
    "Message",
    "Order",
    "OrderConsent",
    "OrderEvent",
    "OrderLine",
    "OrderQuerySet",
    "PatientAccount",
    "Payment",
    "PaymentQuerySet",
    "PharmacistLicence",
    "PharmacistProfile",
    "Pharmacy",
    "PharmacyLicence",
    "Prescription",
    "QuestionnaireAccess",
    "QuestionnaireResponse",
    "QuestionnaireResponseQuerySet",
    "Refund",
    "RefundQuerySet",
    "StripeCommand",
    "StripeCommandQuerySet",
    "RenewalResponse",
    "ReviewQueueOrder",
    "RuleGrade",
    "Shipment",
    "ShipmentQuerySet",
    "StopRecord",
    "Thread",
    "VerificationQueueOrder",
    "ThreadQuerySet",
    "has_proven_email",
    "is_patient",
    "WebhookEvent",
    "intent_key",
    "lifecycle_targets",
    "new_public_id",
    "npi_check_digit_ok",
    "validate_npi",
]
