"""The clinic's admin: orders, the clinician review queue, shipments, refunds, audit log.

Who sees what comes from the groups in ``oana/roles.py``. Everything about money, Stripe
and status is read-only here: state changes happen only through the forms and actions
in these modules, which call the verb functions in ``orders/services/`` and show their
``OrderError`` message instead of failing.

Questionnaire answers are health data: they are shown only to users holding
``orders.view_questionnaire`` (Clinicians, superusers), and each time they are shown a
``QuestionnaireAccess`` row records who looked at which order, where.

The admin is split by concern, one small module each:

- ``common``: shared helpers (money, Stripe links, answers and the log of who saw them,
  tracking links) and the read-only ``ModelAdmin`` bases;
- ``forms``: the approve, decline, refund and ship forms;
- ``orders``: the order page, its read-only inlines and its approve/decline/refund views;
- ``review``: health data: the review queue, questionnaire answers and their audit log;
- ``fulfilment``: shipments and marking them shipped;
- ``payments``: payments, refunds and Stripe webhook events (read-only), and holds;
- ``messages``: the care team's inbox and replies to patients.
- ``clinicians``: clinician profiles (credentials, NPI, licensed states), superusers only.

Django's admin autodiscovery imports ``orders.admin``; importing the modules below is
what registers their ``ModelAdmin`` classes.
"""

from . import (  # noqa: F401  (registers the admins)
    clinicians,
    fulfilment,
    messages,
    orders,
    payments,
    review,
)
