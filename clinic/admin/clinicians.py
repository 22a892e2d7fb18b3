"""Clinician profiles: who may prescribe, with which credentials, and her licences (a state,
its number, its expiry).

Only superusers manage them (no role holds these permissions): the states of the active
clinicians' current licences are the states where checkout is open.
"""

from django.contrib import admin
from django.utils import timezone

from orders.models import ClinicianLicence, ClinicianProfile


class ClinicianLicenceInline(admin.TabularInline):
    model = ClinicianLicence
    extra = 1
    fields = ["state", "number", "expires_on"]
    verbose_name_plural = (
        "licences (an expired licence no longer counts: she cannot sign for patients there, "
        "and the state closes if no one else is licensed)"
    )


@admin.register(ClinicianProfile)
class ClinicianProfileAdmin(admin.ModelAdmin):
    fields = ["user", "display_name", "credentials", "npi", "is_active"]
    inlines = [ClinicianLicenceInline]
    list_display = ["display_name", "credentials", "npi", "states", "is_active"]
    list_filter = ["credentials", "is_active"]
    search_fields = ["display_name", "npi", "user__username"]
    raw_id_fields = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("licences")

    @admin.display(description="Current licences")
    def states(self, obj):
        today = timezone.localdate()
        return ", ".join(
            licence.state for licence in obj.licences.all() if licence.expires_on >= today
        )
