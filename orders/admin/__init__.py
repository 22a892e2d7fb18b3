"""The orders admin: the order page (with the clinician's and Support's actions), shipments.

Who sees what comes from the groups in ``oana/roles.py``. Everything about money, Stripe
and status is read-only here: state changes happen only through the forms and actions
in these modules, which call the verb functions of the services and show their
``OrderError`` message instead of failing.

Questionnaire answers, and every clinical text on an order (the clinician's note or decline
reason, prescription directions and doses, clinical holds and timeline entries), are health
data: they are shown only to users holding ``orders.view_questionnaire`` (Clinicians,
superusers), and each time they are shown a ``QuestionnaireAccess`` row records who looked at
which order, where.

- ``common``: shared helpers (Stripe links, answers and the log of who saw them, tracking
  links); the read-only ``ModelAdmin`` bases are in ``core.admin``;
- ``forms``: the approve, decline, refund, ask, renew, ship and reply forms;
- ``orders``: the order page and its action views;
- ``inlines``: its read-only inlines (clinical text only to those who may read health data);
- ``fulfilment``: shipments and marking them shipped.

The other apps register their own admins: ``clinic.admin`` (review queue, answers and their
audit log, clinician profiles), ``payments.admin`` (payments, refunds, Stripe events,
holds), ``patients.admin`` (the care team's inbox). Django's admin autodiscovery imports
``orders.admin``; importing the modules below is what registers their ``ModelAdmin`` classes.
"""

from orders.admin import fulfilment, orders  # noqa: F401  (registers the admins)
