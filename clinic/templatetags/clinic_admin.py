"""Numbers for the admin index panel: the day's work and the last 30 days' revenue."""

from datetime import timedelta

from django import template
from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from orders.models import Hold, Order, OrderQuerySet, Payment, Refund, Shipment, Thread

register = template.Library()


def clinic_numbers(now=None, user=None):
    """Seven queries whatever the data: awaiting review, to verify (a pharmacist) and past
    due, on hold, unanswered questions, unread messages, to ship, revenue."""
    since = (now or timezone.now()) - timedelta(days=30)
    counts = Order.objects.aggregate(
        awaiting_review=Count("pk", filter=OrderQuerySet.in_review_queue()),
        to_verify=Count("pk", filter=OrderQuerySet.in_verification_queue()),
        past_due=Count("pk", filter=Q(status__in=Order.statuses_allowing("recover_payment"))),
    )
    counts["on_hold"] = Hold.objects.open().values("order").distinct().count()
    counts["unanswered"] = Order.objects.unanswered_since(
        (now or timezone.now()) - timedelta(days=settings.QUESTION_REMINDER_DAYS)
    ).count()
    counts["unread_messages"] = (
        Thread.objects.for_staff(user).unread_by_care_team().count() if user is not None else 0
    )
    to_ship = Shipment.objects.to_ship().count()
    paid = Payment.objects.filter(paid_at__gte=since).aggregate(total=Sum("amount_cents"))["total"]
    refunded = Refund.objects.filter(created_at__gte=since).live().total_cents()
    return {
        **counts,
        "to_ship": to_ship,
        "revenue_30d_cents": (paid or 0) - refunded,
    }


@register.simple_tag(takes_context=True)
def clinic_dashboard(context):
    """The panel's numbers, or None for staff who do not work on orders."""
    request = context.get("request")
    if request is None or not request.user.has_perm("orders.view_order"):
        return None
    return clinic_numbers(user=request.user)
