"""The pharmacy in the admin: the dispensing pharmacy and its licences, pharmacist profiles
and theirs (superusers edit both: the pharmacy's licences decide, with the clinicians', the
states we serve), and the pharmacists' verification queue."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from core.admin import ReadOnlyModelAdmin
from orders.admin.common import age_in_years, log_answers_viewed
from orders.admin.verification import can_verify
from orders.models import (
    Order,
    PharmacistLicence,
    PharmacistProfile,
    Pharmacy,
    PharmacyLicence,
    Prescription,
    VerificationQueueOrder,
)

EXPIRED_NOTE = "an expired licence no longer counts"


def current_states(licences):
    today = timezone.localdate()
    return ", ".join(licence.state for licence in licences if licence.expires_on >= today)


class PharmacyLicenceInline(admin.TabularInline):
    model = PharmacyLicence
    extra = 1
    fields = ["state", "number", "expires_on"]
    verbose_name_plural = (
        f"licences ({EXPIRED_NOTE}: a state is served only where the pharmacy and a "
        "clinician both hold a current licence)"
    )


@admin.register(Pharmacy)
class PharmacyAdmin(admin.ModelAdmin):
    fields = ["name", "line1", "line2", "city", "state", "postal_code", "phone", "is_active"]
    inlines = [PharmacyLicenceInline]
    list_display = ["name", "address", "states", "is_active"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("licences")

    @admin.display(description="Current licences")
    def states(self, pharmacy):
        return current_states(pharmacy.licences.all())


class PharmacistLicenceInline(admin.TabularInline):
    model = PharmacistLicence
    extra = 1
    fields = ["state", "number", "expires_on"]
    verbose_name_plural = f"licences ({EXPIRED_NOTE}: she cannot verify boxes going there)"


@admin.register(PharmacistProfile)
class PharmacistProfileAdmin(admin.ModelAdmin):
    fields = ["user", "display_name", "npi", "is_active"]
    inlines = [PharmacistLicenceInline]
    list_display = ["display_name", "npi", "states", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["display_name", "npi", "user__username"]
    raw_id_fields = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("licences")

    @admin.display(description="Current licences")
    def states(self, profile):
        return current_states(profile.licences.all())


@admin.register(VerificationQueueOrder)
class VerificationQueueAdmin(ReadOnlyModelAdmin):
    """Approved orders with a prescription no pharmacist has verified or sent back, oldest
    decision first (``Order.objects.verification_queue()``)."""

    list_display = [
        "order_link",
        "waiting",
        "patient_and_age",
        "ships_to",
        "prescriptions",
        "verify",
    ]
    list_display_links = None
    list_per_page = 50
    actions = None
    search_fields = ["=id", "full_name", "email"]

    def get_queryset(self, request):
        return Order.objects.verification_queue().prefetch_related(
            Prefetch(
                "prescriptions",
                queryset=Prescription.objects.filter(
                    replaced_at=None, verified_at=None, sent_back_at=None
                ).select_related("medicine"),
                to_attr="waiting",
            )
        )

    def get_ordering(self, request):
        return ["reviewed_at", "id"]

    def has_view_permission(self, request, obj=None):
        return can_verify(request.user)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[object_id]))

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": "Verification queue: prescriptions waiting for a pharmacist, oldest first",
            **(extra_context or {}),
        }
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:  # prescriptions are health data: who saw them is logged
            log_answers_viewed(request, changelist.result_list, "verification queue")
        return response

    @admin.display(description="order", ordering="id")
    def order_link(self, order):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[order.pk]),
            order.reference,
        )

    @admin.display(description="waiting", ordering="reviewed_at")
    def waiting(self, order):
        since = min(rx.written_at for rx in order.waiting)
        return timesince(since).split(",")[0]

    @admin.display(description="patient")
    def patient_and_age(self, order):
        age = age_in_years(order.date_of_birth)
        return format_html(
            "{}<br><small>{}</small>", order.full_name, f"age {age}" if age is not None else ""
        )

    @admin.display(description="ships to")
    def ships_to(self, order):
        return order.ship_state or order.residence_state or "-"

    @admin.display(description="prescriptions to verify")
    def prescriptions(self, order):
        return format_html_join(
            mark_safe("<br>"),
            "{} {}{}",
            (
                (
                    rx.medicine_name,
                    rx.strength,
                    " (compounded)" if rx.medicine.compounded else "",
                )
                for rx in order.waiting
            ),
        )

    @admin.display(description="")
    def verify(self, order):
        queue = reverse("admin:orders_verificationqueueorder_changelist")
        return format_html(
            '<a class="button" href="{}?next={}">Verify or send back</a>',
            reverse("admin:orders_order_verify", args=[order.pk]),
            queue,
        )
