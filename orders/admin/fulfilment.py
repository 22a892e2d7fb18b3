"""Shipments: the list Fulfillment works from, and the mark-shipped page and action."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.admin import ReadOnlyModelAdmin
from orders.admin.common import tracking_link
from orders.admin.dispensing import DispensingViews
from orders.admin.forms import BulkShipForm, ShipForm
from orders.admin.verification import can_verify
from orders.models import Shipment
from orders.services import OrderError
from orders.services.fulfilment import mark_many_shipped, mark_shipped


class QueueFilter(admin.SimpleListFilter):
    """ "To ship" is ``Shipment.objects.to_ship()``: the rule the dashboard counts with."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("to_ship", "To ship")]

    def queryset(self, request, queryset):
        if self.value() == "to_ship":
            return queryset.to_ship()
        return queryset


@admin.register(Shipment)
class ShipmentAdmin(DispensingViews, ReadOnlyModelAdmin):
    list_display = [
        "order_link",
        "kind",
        "status",
        "ship_to",
        "ship",
        "dispense_link",
        "carrier",
        "tracking",
        "created_at",
    ]
    list_filter = [QueueFilter, "status", "kind", "carrier"]
    search_fields = ["=order__id", "tracking_number", "ship_name", "ship_postal_code"]
    list_select_related = ["order"]
    actions = ["mark_selected_shipped"]
    fields = [
        "order",
        "kind",
        "status",
        "pick_list",
        "ship_to",
        "carrier",
        "tracking",
        "shipped_at",
        "shipped_by",
        "payment",
        "created_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).for_packing()

    def get_ordering(self, request):
        return ["status", "created_at", "id"]  # "pending" sorts before "shipped"

    def changelist_view(self, request, extra_context=None):
        title = "Shipments to send" if request.GET.get("queue") == "to_ship" else "Shipments"
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def has_ship_permission(self, request, obj=None):
        return request.user.has_perm("orders.ship_order")

    @admin.display(description="order", ordering="order_id")
    def order_link(self, shipment):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[shipment.order_id]),
            shipment.order.reference,
        )

    @admin.display(description="pick list")
    def pick_list(self, shipment):
        return (
            format_html_join(mark_safe("<br>"), "{}", ((item,) for item in shipment.pick_list))
            or "No prescription on file: ask the prescribing clinician before packing."
        )

    @admin.display(description="ship to")
    def ship_to(self, shipment):
        return (
            format_html_join(mark_safe("<br>"), "{}", ((line,) for line in shipment.address_lines))
            or "-"
        )

    @admin.display(description="tracking number")
    def tracking(self, shipment):
        return tracking_link(shipment)

    @admin.display(description="")
    def ship(self, shipment):
        if not shipment.can_ship():
            return ""
        return format_html(
            '<a class="button" href="{}">Mark shipped</a>',
            reverse("admin:orders_shipment_ship", args=[shipment.pk]),
        )

    def get_list_display(self, request):
        names = list(super().get_list_display(request))
        if not self.has_ship_permission(request):
            names.remove("ship")
        if not can_verify(request.user):
            names.remove("dispense_link")
        return names

    def get_urls(self):
        return [
            *self.dispensing_urls(),
            path(
                "<int:pk>/ship/",
                self.admin_site.admin_view(self.ship_view),
                name="orders_shipment_ship",
            ),
            *super().get_urls(),
        ]

    def _ship_page(self, request, shipments, form, status=200):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Mark shipped",
            "shipments": shipments,
            "form": form,
            "bulk": isinstance(form, BulkShipForm),
            "rows": form.rows()
            if isinstance(form, BulkShipForm)
            else [(s, None) for s in shipments],
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "changelist_url": reverse("admin:orders_shipment_changelist"),
        }
        return TemplateResponse(
            request, "admin/orders/shipment/ship_form.html", context, status=status
        )

    def ship_view(self, request, pk):
        if not self.has_ship_permission(request):
            raise PermissionDenied
        shipment = get_object_or_404(Shipment.objects.for_packing(), pk=pk)
        form = ShipForm(request.POST or None)
        if request.method == "POST":
            if form.is_valid():
                try:
                    mark_shipped(shipment, by=request.user, **form.cleaned_data)
                except OrderError as error:
                    self.message_user(request, error.message, messages.ERROR)
                else:
                    self.message_user(
                        request,
                        f"{shipment} marked shipped; the patient was emailed the tracking link.",
                    )
                return HttpResponseRedirect(reverse("admin:orders_shipment_changelist"))
            return self._ship_page(request, [shipment], form, status=400)
        return self._ship_page(request, [shipment], form)

    @admin.action(description="Mark selected shipments shipped", permissions=["ship"])
    def mark_selected_shipped(self, request, queryset):
        shipments = list(queryset.order_by("created_at", "id"))  # for_packing(): get_queryset
        if "apply" not in request.POST:
            return self._ship_page(request, shipments, BulkShipForm(shipments=shipments))
        form = BulkShipForm(request.POST, shipments=shipments)
        if not form.is_valid():
            return self._ship_page(request, shipments, form, status=400)
        done, refused = mark_many_shipped(
            shipments,
            by=request.user,
            carrier=form.cleaned_data["carrier"],
            tracking_numbers=form.tracking_numbers(),
        )
        if done:
            self.message_user(
                request, f"{len(done)} shipment(s) marked shipped; patients were emailed."
            )
        for shipment, message in refused:
            self.message_user(request, f"{shipment}: {message}", messages.ERROR)
        return None
