"""Clinician profiles: who may prescribe, with which credentials, in which states.

Only superusers manage them (no role holds these permissions): the states listed here are
the states where checkout is open.
"""

from django import forms
from django.contrib import admin

from core.us_states import US_STATES
from orders.models import ClinicianProfile


class ClinicianProfileForm(forms.ModelForm):
    licensed_states = forms.MultipleChoiceField(
        label="Licensed states",
        choices=US_STATES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Checkout is open in the states where an active clinician is licensed.",
    )

    class Meta:
        model = ClinicianProfile
        fields = ["user", "display_name", "credentials", "npi", "licensed_states", "is_active"]


@admin.register(ClinicianProfile)
class ClinicianProfileAdmin(admin.ModelAdmin):
    form = ClinicianProfileForm
    list_display = ["display_name", "credentials", "npi", "states", "is_active"]
    list_filter = ["credentials", "is_active"]
    search_fields = ["display_name", "npi", "user__username"]
    raw_id_fields = ["user"]

    @admin.display(description="Licensed states")
    def states(self, obj):
        return ", ".join(obj.licensed_states)
