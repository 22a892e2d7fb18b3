"""The interaction rules (read only) and the two-clinician review of changes to them.

A clinician proposes a change (**Clinical data changes > Add**); it takes effect only when a
second person with ``approve_clinicaldatachange`` (another clinician, or the medical director
of a clinic with one clinician) approves it with the list's action. Nobody edits a rule
directly (``clinic.clinical_data``).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from clinic.clinical_data import (
    APPROVE,
    RULE_FIELDS,
    approve_change,
    proposed_values,
    reject_change,
)
from core.admin import OfferedFiltersOnly, ReadOnlyModelAdmin
from orders.models import ClinicalDataChange, InteractionRule


@admin.register(InteractionRule)
class InteractionRuleAdmin(ReadOnlyModelAdmin):
    list_display = ["ordered_class", "taken", "grade", "reason", "source"]
    list_filter = ["ordered_class", "grade"]


class ChangeForm(forms.ModelForm):
    class Meta:
        model = ClinicalDataChange
        fields = ["action", "rule", *RULE_FIELDS, "why"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A removal carries the rule's own fields (the read-only page has no fields at all).
        for field in set(RULE_FIELDS) & set(self.fields):
            self.fields[field].required = False

    def clean(self):
        data = super().clean()
        if not self.errors:
            data.update(proposed_values(data.get("action"), data.get("rule"), data))
        return data


@admin.register(ClinicalDataChange)
class ClinicalDataChangeAdmin(OfferedFiltersOnly, admin.ModelAdmin):
    form = ChangeForm
    list_display = ["__str__", "grade", "status", "proposed_by", "proposed_at", "decided_by"]
    list_filter = ["status"]
    actions = ["approve", "reject"]

    def has_change_permission(self, request, obj=None):
        return False  # a proposal is never edited: propose another

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request):
        return request.user.is_active and request.user.has_perm(APPROVE)

    def save_model(self, request, obj, form, change):
        obj.proposed_by = request.user
        for field in RULE_FIELDS:
            setattr(obj, field, form.cleaned_data[field])
        super().save_model(request, obj, form, change)

    def _decide(self, request, queryset, decide, done):
        for change in queryset:
            try:
                decide(change, request.user)
            except (PermissionDenied, ValidationError) as error:
                text = error.messages[0] if isinstance(error, ValidationError) else str(error)
                self.message_user(request, f"{change}: {text}", messages.ERROR)
            else:
                self.message_user(request, f"{change}: {done}.", messages.SUCCESS)

    @admin.action(description="Approve (second review): takes effect now", permissions=["approve"])
    def approve(self, request, queryset):
        self._decide(request, queryset, approve_change, "approved, in effect")

    @admin.action(description="Reject", permissions=["approve"])
    def reject(self, request, queryset):
        self._decide(request, queryset, reject_change, "rejected")
