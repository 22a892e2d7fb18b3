"""Clinician profiles: who may prescribe, with which credentials, and her licences (a state,
its number, its expiry).

Only superusers manage them (no role holds these permissions): the states of the active
clinicians' current licences are the states where checkout is open.
"""

from django.contrib import admin
from django.utils import timezone

from clinic.care_team import PHOTO_FOLDER, PHOTO_SIZE
from core import public_images
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
    form = public_images.PhotoForm
    fields = [
        "user",
        "display_name",
        "credentials",
        "npi",
        "is_active",
        "bio",
        "current_photo",
        "photo_upload",
        "remove_photo",
    ]
    readonly_fields = ["current_photo"]
    inlines = [ClinicianLicenceInline]
    list_display = ["display_name", "credentials", "npi", "states", "is_active"]
    list_filter = ["credentials", "is_active"]
    search_fields = ["display_name", "npi", "user__username"]
    raw_id_fields = ["user"]

    @admin.display(description="Photo on the care-team page")
    def current_photo(self, obj):
        return public_images.preview(obj.photo, f"Photo of {obj.display_name}")

    def save_model(self, request, obj, form, change):
        # Saving her refreshes every cached page that shows the care team (clinic.care_team).
        public_images.save_photo(obj, form, folder=PHOTO_FOLDER, size=PHOTO_SIZE)
        super().save_model(request, obj, form, change)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("licences")

    @admin.display(description="Current licences")
    def states(self, obj):
        today = timezone.localdate()
        return ", ".join(
            licence.state for licence in obj.licences.all() if licence.expires_on >= today
        )
