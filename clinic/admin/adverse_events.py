"""Adverse events, for the clinic's pharmacovigilance (``clinic.services.adverse_events``):
clinicians only (health data), each look logged. Serious events and pregnancies wait for a
follow-up, listed first; a clinician corrects the severity and outcome, writes what was done
(the MedWatch report's number) and marks the follow-up done."""

from django.contrib import admin, messages
from django.db.models import F
from django.urls import reverse
from django.utils.html import format_html

from clinic.services.adverse_events import mark_followed_up
from core.admin import OfferedFiltersOnly
from orders.admin.common import can_read_answers, log_answers_viewed
from orders.models import AdverseEvent


class FollowUpFilter(admin.SimpleListFilter):
    title = "follow-up"
    parameter_name = "follow_up"

    def lookups(self, request, model_admin):
        return [("todo", "To do"), ("done", "Done")]

    def queryset(self, request, queryset):
        if self.value() == "todo":
            return queryset.to_follow_up()
        if self.value() == "done":
            return queryset.filter(followed_up_at__isnull=False)
        return queryset


def may_see(user):
    return user.has_perm("orders.view_adverseevent") and can_read_answers(user)


@admin.register(AdverseEvent)
class AdverseEventAdmin(OfferedFiltersOnly, admin.ModelAdmin):
    list_display = [
        "reported_at",
        "order_link",
        "medicine",
        "kind",
        "severity",
        "source",
        "outcome",
        "follow_up",
    ]
    list_select_related = ["order"]
    list_filter = [FollowUpFilter, "severity", "kind"]
    list_display_links = ["reported_at"]
    search_fields = ["=order__id", "medicine"]
    actions = ["follow_up_done"]
    fields = [
        "order_link",
        "medicine",
        "kind",
        "source",
        "reported_at",
        "description",
        "onset",
        "severity",
        "outcome",
        "needs_follow_up",
        "follow_up_note",
        "followed_up_at",
        "followed_up_by",
    ]
    readonly_fields = [
        "order_link",
        "medicine",
        "kind",
        "source",
        "reported_at",
        "description",
        "onset",
        "needs_follow_up",
        "followed_up_at",
        "followed_up_by",
    ]

    def get_ordering(self, request):
        # Follow-ups to do first, then newest.
        return [F("followed_up_at").asc(nulls_first=True), "-needs_follow_up", "-reported_at"]

    def has_view_permission(self, request, obj=None):
        return may_see(request.user)

    def has_module_permission(self, request):
        return may_see(request.user)

    def has_change_permission(self, request, obj=None):
        return may_see(request.user) and request.user.has_perm("orders.change_adverseevent")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="order", ordering="order_id")
    def order_link(self, event):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[event.order_id]),
            event.order.reference,
        )

    @admin.display(description="follow-up")
    def follow_up(self, event):
        if not event.needs_follow_up:
            return "-"
        return "Done" if event.followed_up_at else format_html("<strong>{}</strong>", "To do")

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None and request.method == "GET":
            orders = {event.order for event in changelist.result_list}
            log_answers_viewed(request, orders, "adverse events")
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET" and response.status_code == 200:
            log_answers_viewed(request, [obj.order], "adverse event")
        return response

    @admin.action(
        description="Follow-up done (MedWatch reported where it applies)", permissions=["change"]
    )
    def follow_up_done(self, request, queryset):
        done = mark_followed_up(list(queryset.select_related("order")), by=request.user)
        self.message_user(request, f"{done} follow-up(s) marked done.", messages.SUCCESS)
