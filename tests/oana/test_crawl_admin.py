"""Every admin page each role can reach opens without a server error, for orders in every
state of the lifecycle (the data holds one order per row of ``Order.LIFECYCLE``, so a new
state is crawled without editing this test), with and without red flags, paid through
Stripe or test mode.

For each role (each staff group, and a superuser) the crawl opens the admin index, every
app page, and for every model the role may see: the changelist, the add page, and each
object's change, history and delete pages and custom views (approve, decline, refund,
ship), then every action's form. A 403 or a redirect is a fine answer; a 5xx is not.

Object pages are opened for one object per distinct state (``state()``: an order's status,
test mode and red flags; a payment's, refund's or shipment's own kind and status with its
order's state...), not for every object: two objects in the same state show the same page,
and opening each of them took most of this test's time. The data is built once, and every
role crawls it in turn.
"""

import pytest
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from django.urls import reverse

from oana.roles import ROLES
from orders.models import Order, QuestionnaireResponse
from tests.support.clinic import FLAGS, order_to_review
from tests.support.lifecycle import every_transition, order_in
from tests.support.staff import sign_in, staff

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]


def orders_in_every_state():
    orders = [order for _, order in every_transition()]
    flagged = order_to_review()  # red flags and full answers
    assert QuestionnaireResponse.objects.get(order=flagged).flags == FLAGS
    orders.append(flagged)
    test_mode = order_in(Order.Status.APPROVED)
    Order.objects.filter(pk=test_mode.pk).update(is_test_mode=True)
    orders.append(test_mode)
    orders.extend(pharmacy_states())
    return orders


def pharmacy_states():
    """The pharmacist's part: an order sent back to the clinician, and one verified with its
    box dispensed (a dispensing record and its label)."""
    from clinic.services.prescriptions import current
    from clinic.services.verification import send_back
    from orders.services.dispensing import Dispensed, dispense
    from tests.support.pharmacy import pharmacist, verified

    user = pharmacist(username="crawl-data-pharmacist")
    sent_back = order_in(Order.Status.APPROVED)
    send_back(sent_back, by=user, reason="Check her potassium first.")
    dispensed = verified(order_in(Order.Status.APPROVED))
    expires = dispensed.created_at.date().replace(year=dispensed.created_at.year + 2)
    dispense(
        dispensed.shipments.get(),
        by=user,
        entries=[
            Dispensed(prescription_id=rx.pk, days_supply=30, lot="L1", expires_on=expires)
            for rx in current(dispensed)
        ],
    )
    return [Order.objects.get(pk=sent_back.pk), Order.objects.get(pk=dispensed.pk)]


def state(obj, flagged):
    """What may change how ``obj``'s admin pages look: its own choice and yes/no fields (an
    order's status and test mode, a refund's or shipment's status, a treatment's form...)
    and, for anything that belongs to an order, that order's state; for an order or what
    belongs to one, whether the order has red flags."""
    own = tuple(
        getattr(obj, field.attname)
        for field in obj._meta.concrete_fields
        if not field.primary_key and (field.choices or isinstance(field, models.BooleanField))
    )
    order = obj if isinstance(obj, Order) else getattr(obj, "order", None)
    if not isinstance(order, Order):
        return own
    return (own, order.status, order.is_test_mode, order.pk in flagged)


def flagged_orders():
    """The pks of the orders whose answers raised red flags."""
    responses = QuestionnaireResponse.objects.filter(has_red_flags=True)
    return set(responses.values_list("order", flat=True))


def one_per_state(queryset):
    """The first object of ``queryset`` in each distinct ``state()``."""
    flagged, chosen = flagged_orders(), {}
    for obj in queryset:
        chosen.setdefault(state(obj, flagged), obj)
    return list(chosen.values())


def urls_for(user):
    """Every admin URL ``user`` may be shown, with the objects it can see, each once."""
    return list(dict.fromkeys(_urls_for(user)))


def _urls_for(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    yield reverse("admin:index")
    for model, model_admin in admin.site._registry.items():
        if not (
            model_admin.has_module_permission(request)
            or model_admin.has_view_or_change_permission(request)
        ):
            continue
        yield reverse("admin:app_list", args=[model._meta.app_label])
        objects = one_per_state(model_admin.get_queryset(request))
        for pattern in model_admin.urls:
            if pattern.name is None:
                continue  # "<id>/" only redirects to "<id>/change/"
            converters = list(pattern.pattern.converters)
            if not converters:
                yield reverse(f"admin:{pattern.name}")
                continue
            # Django's own history page lists log entries, whatever the object's state (its
            # delete page lists the related rows, which do depend on it).
            for obj in objects[:3] if pattern.name.endswith("_history") else objects:
                yield reverse(f"admin:{pattern.name}", kwargs={converters[0]: obj.pk})


def action_posts_for(user):
    """(changelist URL, POST data) for each action the user may run, on a few objects."""
    request = RequestFactory().get("/admin/")
    request.user = user
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_or_change_permission(request):
            continue
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        pks = [obj.pk for obj in model_admin.get_queryset(request)[:5]]
        for name in model_admin.get_actions(request):
            if pks:
                yield changelist, {"action": name, "_selected_action": pks}


def test_every_admin_page_opens_for_every_role(client):
    from django.core.management import call_command

    call_command("seed", stdout=open("/dev/null", "w"))
    orders = orders_in_every_state()
    assert {order.status for order in orders} == set(Order.Status.values) - {
        Order.Status.PENDING_PAYMENT
    }
    # The crawl opens an order in each state the data holds: every status, with and
    # without red flags, through Stripe and in test mode.
    flagged = flagged_orders()

    def lifecycle(orders):
        return {(order.status, order.is_test_mode, order.pk in flagged) for order in orders}

    built = lifecycle(Order.objects.filter(pk__in=[order.pk for order in orders]))
    assert {(True, False), (False, True)} <= {(test, red) for _, test, red in built}
    assert built <= lifecycle(one_per_state(Order.objects.all()))
    opened = {}
    for role in [*ROLES, "superuser"]:
        user = staff(role, f"crawl-{role}")
        sign_in(client, user)
        count = 0
        for url in urls_for(user):
            response = client.get(url)
            assert response.status_code < 500, (role, url)
            count += 1
        for url, data in action_posts_for(user):
            response = client.post(url, data)
            assert response.status_code < 500, (role, url, data["action"])
            count += 1
        opened[role] = count
        client.logout()
    # Each role reached its own part of the admin (a role that sees nothing would pass).
    assert all(count > 5 for count in opened.values()), opened
    assert opened["superuser"] > max(v for k, v in opened.items() if k != "superuser")
