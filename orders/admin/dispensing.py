"""Dispensing in the admin: on a box still to ship, the pharmacist enters what she dispensed
for each medicine (``orders.services.dispensing``) and prints the patient label, a plain
printable page. Fulfillment's pick list says whether each label is attached, never the
directions."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from clinic.services.prescriptions import current
from core.admin import ReadOnlyModelAdmin
from orders.admin.common import log_answers_viewed
from orders.admin.verification import can_verify
from orders.models import DispensingRecord, Shipment
from orders.services import OrderError
from orders.services.dispensing import (
    MAX_DAYS_SUPPLY,
    Dispensed,
    dispense,
    dispensing_pharmacy,
)

COMPOUNDED_LABEL = "Patient-specific compounded preparation: made for this patient only."


class DispenseForm(forms.Form):
    """Days' supply, lot and lot expiry for each current prescription of the box."""

    def __init__(self, *args, prescriptions, **kwargs):
        super().__init__(*args, **kwargs)
        self.prescriptions = prescriptions
        for rx in prescriptions:
            name = rx.medicine_name
            self.fields[f"{rx.pk}-days_supply"] = forms.IntegerField(
                label=f"{name}: days' supply",
                min_value=1,
                max_value=MAX_DAYS_SUPPLY,
                initial=30,
            )
            self.fields[f"{rx.pk}-lot"] = forms.CharField(
                label=f"{name}: lot number", max_length=50
            )
            self.fields[f"{rx.pk}-expires_on"] = forms.DateField(
                label=f"{name}: lot expiry (YYYY-MM-DD)"
            )

    def rows(self):
        return [
            (
                rx,
                [self[f"{rx.pk}-{name}"] for name in ("days_supply", "lot", "expires_on")],
            )
            for rx in self.prescriptions
        ]

    def entries(self):
        data = self.cleaned_data
        return [
            Dispensed(
                prescription_id=rx.pk,
                days_supply=data[f"{rx.pk}-days_supply"],
                lot=data[f"{rx.pk}-lot"],
                expires_on=data[f"{rx.pk}-expires_on"],
            )
            for rx in self.prescriptions
        ]


def label_rows(shipment):
    """One patient label per dispensing record: what the label page prints."""
    records = shipment.dispensing_records.select_related(
        "prescription__medicine", "pharmacy"
    ).order_by("id")
    rows = []
    for record in records:
        rx = record.prescription
        _, _, directions, _ = rx.packed(refill=shipment.is_refill)
        # A refill uses one refill as it ships: the label counts what is left after it.
        left = rx.refills_left - (1 if shipment.is_refill and rx.refills_left else 0)
        rows.append(
            {
                "record": record,
                "patient": rx.patient_name or shipment.order.ship_name,
                "directions": directions,
                "refills_left": left,
                "prescriber": rx.prescriber_name,
                "rx_number": rx.pk,
                "compounded": COMPOUNDED_LABEL if record.compounded else "",
            }
        )
    return rows


class DispensingViews:
    """The Dispense and Label pages of ``ShipmentAdmin`` (pharmacists only)."""

    def dispensing_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/dispense/", wrap(self.dispense_view), name="orders_shipment_dispense"),
            path("<int:pk>/label/", wrap(self.label_view), name="orders_shipment_label"),
        ]

    @admin.display(description="pharmacist")
    def dispense_link(self, shipment):
        if not shipment.can_ship():  # verified, still to ship, its order may ship
            return ""
        return format_html(
            '<a class="button" href="{}">Dispense and print label</a>',
            reverse("admin:orders_shipment_dispense", args=[shipment.pk]),
        )

    def dispense_view(self, request, pk):
        if not can_verify(request.user):
            raise PermissionDenied
        shipment = get_object_or_404(Shipment.objects.select_related("order"), pk=pk)
        prescriptions = list(current(shipment.order).select_related("medicine"))
        form = DispenseForm(request.POST or None, prescriptions=prescriptions)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    dispense(shipment, by=request.user, entries=form.entries())
                except OrderError as error:
                    self.message_user(request, error.message, messages.ERROR)
                    return HttpResponseRedirect(
                        reverse("admin:orders_shipment_change", args=[shipment.pk])
                    )
                self.message_user(request, "Dispensed: print the labels and attach them.")
                return HttpResponseRedirect(
                    reverse("admin:orders_shipment_label", args=[shipment.pk])
                )
            status = 400
        else:  # the prescriptions are health data: who saw them is logged
            log_answers_viewed(request, [shipment.order], "dispensing page")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Dispense {shipment}",
            "shipment": shipment,
            "form": form,
            "pharmacy": dispensing_pharmacy(shipment.order),
        }
        return TemplateResponse(
            request, "admin/orders/shipment/dispense_form.html", context, status=status
        )

    def label_view(self, request, pk):
        if not can_verify(request.user):
            raise PermissionDenied
        shipment = get_object_or_404(Shipment.objects.select_related("order"), pk=pk)
        log_answers_viewed(request, [shipment.order], "patient label")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Patient labels for {shipment}",
            "shipment": shipment,
            "labels": label_rows(shipment),
            "printed": timezone.now(),
            "is_nav_sidebar_enabled": False,
        }
        return TemplateResponse(request, "admin/orders/shipment/label.html", context)


@admin.register(DispensingRecord)
class DispensingRecordAdmin(ReadOnlyModelAdmin):
    """What was dispensed into each box (pharmacists and superusers read it)."""

    list_display = [
        "shipment",
        "product",
        "strength",
        "quantity",
        "days_supply",
        "lot",
        "expires_on",
        "pharmacist_name",
        "dispensed_at",
    ]
    list_select_related = ["shipment__order"]
    list_filter = ["compounded"]
    search_fields = ["=shipment__order__id", "lot"]
    date_hierarchy = "dispensed_at"
