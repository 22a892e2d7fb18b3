"""Health data: the clinician review queue, questionnaire answers and their audit log."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from clinic.services.review import CANCELLED_BEFORE_REVIEW
from core.admin import ReadOnlyModelAdmin, SuperuserOnlyReadOnlyAdmin
from orders.admin.actions import ACTIONS
from orders.admin.common import (
    GLANCE_KEYS,
    age_in_years,
    can_read_answers,
    log_answers_viewed,
    render_answers,
    render_flags,
)
from orders.models import (
    AdverseEvent,
    CheckIn,
    Hold,
    Order,
    OrderEvent,
    OrderLine,
    QuestionnaireAccess,
    QuestionnaireResponse,
    ReviewQueueOrder,
)

# --- review queue ---------------------------------------------------------------------------

# Timeline entries a clinician should see in the queue before deciding.
QUEUE_NOTES = {
    "stray_payment": "A second checkout was paid and refunded automatically: she is charged once.",
    "answered": "Answered: she replied to the clinician's question (see Messages).",
}


class RedFlagsFilter(admin.SimpleListFilter):
    """On the plain ``has_red_flags`` column: the answers themselves are encrypted, so the
    queue neither searches nor filters on them."""

    title = "red flags"
    parameter_name = "red_flags"

    def lookups(self, request, model_admin):
        return [("yes", "With red flags"), ("no", "No red flags")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(questionnaire__has_red_flags=self.value() == "yes")
        return queryset


@admin.register(ReviewQueueOrder)
class ReviewQueueAdmin(ReadOnlyModelAdmin):
    """Paid orders waiting for a clinician, oldest first, with what matters at a glance.

    Also lists paid orders the patient cancelled before review whose automatic refund
    has not gone through yet (see ``services/review.py``), flagged, with only **Decline**
    (which refunds her in full).
    """

    list_display = [
        "order_link",
        "waiting",
        "patient_and_age",
        "treatments",
        "flags",
        "at_a_glance",
        "decide",
    ]
    list_display_links = None
    list_per_page = 50
    actions = None
    # Name, email and order number only: answers are encrypted and never searched.
    search_fields = ["=id", "full_name", "email"]
    list_filter = [RedFlagsFilter]

    def get_queryset(self, request):
        return (
            Order.objects.review_queue()
            .annotate(
                urgent=Exists(Hold.objects.urgent().filter(order=OuterRef("pk"))),
                serious=Exists(
                    AdverseEvent.objects.serious().to_follow_up().filter(order=OuterRef("pk"))
                ),
                checkin_to_review=Exists(
                    CheckIn.objects.awaiting_review().filter(order=OuterRef("pk"))
                ),
            )
            .select_related("questionnaire")
            .prefetch_related(
                Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
                Prefetch(
                    "events",
                    queryset=OrderEvent.objects.filter(kind__in=QUEUE_NOTES),
                    to_attr="queue_notes",
                ),
            )
        )

    def get_ordering(self, request):
        # A serious adverse event first, then a problem she reported (a check-in's too).
        return ["-serious", "-urgent", "paid_at", "id"]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.review_order") and can_read_answers(request.user)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[object_id]))

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": "Review queue: paid orders awaiting a clinician, oldest first",
            # The queue needs the window's width (it fits 1280 px): no app list beside it.
            "is_nav_sidebar_enabled": False,
            **(extra_context or {}),
        }
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            log_answers_viewed(request, changelist.result_list, "review queue")
        return response

    @admin.display(description="order", ordering="id")
    def order_link(self, order):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[order.pk]),
            order.reference,
        )

    @admin.display(description="waiting", ordering="paid_at")
    def waiting(self, order):
        since = order.paid_at or order.created_at
        hours = (timezone.now() - since).total_seconds() / 3600
        css = "clinic-late" if hours >= 24 else ""
        return format_html('<span class="{}">{}</span>', css, timesince(since).split(",")[0])

    @admin.display(description="patient")
    def patient_and_age(self, order):
        age = age_in_years(order.date_of_birth)
        return format_html(
            "{}<br><small>{}</small>", order.full_name, f"age {age}" if age is not None else ""
        )

    @admin.display(description="treatments")
    def treatments(self, order):
        return format_html_join(
            mark_safe("<br>"),
            "{} ({})",
            ((line.treatment_name, line.plan_name) for line in order.lines.all()),
        )

    @admin.display(description="red flags", ordering="-questionnaire__has_red_flags")
    def flags(self, order):
        flags = format_html(
            "{}{}",
            format_html_join(
                "",
                '<p class="clinic-cancelled">{}</p>',
                ((QUEUE_NOTES[event.kind],) for event in order.queue_notes),
            ),
            render_flags(getattr(order, "questionnaire", None)),
        )
        if order.checkin_to_review:
            flags = format_html(
                '<p class="clinic-cancelled"><strong>Check-in to review</strong> (a titration '
                "step waits for it).</p>{}",
                flags,
            )
        if order.urgent:
            flags = format_html(
                '<p class="clinic-cancelled"><strong>Urgent: she reported a problem</strong> '
                "(her boxes and billing are held; read her medical messages).</p>{}",
                flags,
            )
        if order.serious:
            flags = format_html(
                '<p class="clinic-cancelled" data-testid="serious-event"><strong>Serious '
                "adverse event</strong>: pharmacovigilance follow-up (see Adverse events)."
                "</p>{}",
                flags,
            )
        if order.cancelled_before_review:
            return format_html(
                '<p class="clinic-cancelled"><strong>{}</strong>: her refund has not gone '
                "through yet. Decline to refund her in full.</p>{}",
                CANCELLED_BEFORE_REVIEW,
                flags,
            )
        return flags

    @admin.display(description="at a glance")
    def at_a_glance(self, order):
        questionnaire = getattr(order, "questionnaire", None)
        flagged = {flag.get("key") for flag in getattr(questionnaire, "flags", None) or []}
        return render_answers(questionnaire, keys={*GLANCE_KEYS, *flagged})

    @admin.display(description="decide")
    def decide(self, order):
        """The queue's actions of ``orders.admin.actions`` that the order allows now (the queue
        is shown only to those who may review, so no second role check). Each form comes back
        here when done."""
        queue = reverse("admin:orders_reviewqueueorder_changelist")
        buttons = format_html_join(
            " ",
            '<a class="button{}" href="{}?next={}">{}</a>',
            (
                (
                    " clinic-danger" if action.danger else "",
                    reverse(f"admin:orders_order_{action.name}", args=[order.pk]),
                    queue,
                    action.button,
                )
                for action in ACTIONS
                if action.in_queue and action.allowed(order)
            ),
        )
        if order.urgent and not buttons:
            return format_html(
                '<a class="button" href="{}">Read her report</a>',
                reverse("admin:orders_order_change", args=[order.pk]),
            )
        if order.can_renew():
            return format_html(
                '<a class="button" href="{}">Read her renewal answers</a> {}',
                reverse("admin:orders_order_change", args=[order.pk]),
                buttons,
            )
        return buttons


# --- questionnaire answers and their audit log --------------------------------------------


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(ReadOnlyModelAdmin):
    list_display = ["order", "flag_count", "created_at"]
    list_select_related = ["order"]
    fields = ["order", "red_flags", "answers_list", "created_at"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return can_read_answers(request.user)

    def has_module_permission(self, request):
        return can_read_answers(request.user)

    @admin.display(description="red flags")
    def flag_count(self, response):
        return len(response.flags or [])

    @admin.display(description="red flags")
    def red_flags(self, response):
        return render_flags(response)

    @admin.display(description="answers")
    def answers_list(self, response):
        return render_answers(response)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET" and response.status_code == 200:
            log_answers_viewed(request, [obj.order], "questionnaire page")
        return response


@admin.register(QuestionnaireAccess)
class QuestionnaireAccessAdmin(SuperuserOnlyReadOnlyAdmin):
    list_display = ["viewed_at", "username", "order", "where"]
    list_filter = ["where"]
    search_fields = ["username", "=order__id"]
    list_select_related = ["order"]
    date_hierarchy = "viewed_at"
