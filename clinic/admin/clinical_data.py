"""The interaction rules (read only) and the two-clinician review of changes to them.

A clinician proposes a change (**Clinical data changes > Add**); it takes effect only when a
second person with ``approve_clinicaldatachange`` (another clinician, or the medical director
of a clinic with one clinician) approves it with the list's action. Nobody edits a rule
directly (``clinic.clinical_data``). A medicine's drug classes and prescribing data change
the same way (**Medicine data changes > Add**, ``clinic.medicine_data``).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from clinic.clinical_data import (
    APPROVE,
    RULE_FIELDS,
    approve_change,
    proposed_values,
    reject_change,
)
from clinic.medicine_data import approve_medicine_change, check_medicine_data, was
from core.admin import OfferedFiltersOnly, ReadOnlyModelAdmin
from orders.models import ClinicalDataChange, InteractionRule, MedicineDataChange
from treatments.models import DrugClass, Medicine


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


class SecondReviewAdmin(OfferedFiltersOnly, admin.ModelAdmin):
    """A proposal is recorded by its author, never edited nor deleted, and decided by a
    second person with the list's actions (``approve_with``)."""

    list_filter = ["status"]
    actions = ["approve", "reject"]
    approve_with = None  # (change, user): the service that puts it in effect

    def has_change_permission(self, request, obj=None):
        return False  # a proposal is never edited: propose another

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request):
        return request.user.is_active and request.user.has_perm(APPROVE)

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
        self._decide(request, queryset, type(self).approve_with, "approved, in effect")

    @admin.action(description="Reject", permissions=["approve"])
    def reject(self, request, queryset):
        self._decide(request, queryset, reject_change, "rejected")


@admin.register(ClinicalDataChange)
class ClinicalDataChangeAdmin(SecondReviewAdmin):
    form = ChangeForm
    list_display = ["__str__", "grade", "status", "proposed_by", "proposed_at", "decided_by"]
    approve_with = approve_change

    def save_model(self, request, obj, form, change):
        obj.proposed_by = request.user
        for field in RULE_FIELDS:
            setattr(obj, field, form.cleaned_data[field])
        super().save_model(request, obj, form, change)


class MedicineChangeForm(forms.ModelForm):
    """The medicine's drug classes and prescribing data as they should be, checked as the
    medicine checks them (``Medicine.clean``)."""

    drug_classes = forms.MultipleChoiceField(
        label="Drug classes",
        choices=DrugClass.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="They choose the questionnaire's questions and the interaction rules checked.",
    )
    dosing = forms.JSONField(
        label="Prescribing data",
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 80}),
        help_text="All of it, as it should be: dose form, stocked strengths, doses, "
        "frequencies, maximum daily dose, titration (treatments/dosing.py).",
    )

    class Meta:
        model = MedicineDataChange
        fields = ["medicine", "drug_classes", "dosing", "why"]

    def clean(self):
        data = super().clean()
        if not self.errors:
            data["dosing"] = data.get("dosing") or {}
            check_medicine_data(
                data["medicine"], drug_classes=data["drug_classes"], dosing=data["dosing"]
            )
        return data


@admin.register(MedicineDataChange)
class MedicineDataChangeAdmin(SecondReviewAdmin):
    form = MedicineChangeForm
    list_display = ["__str__", "status", "proposed_by", "proposed_at", "decided_by"]
    list_select_related = ["medicine", "proposed_by", "decided_by"]
    approve_with = approve_medicine_change
    readonly_fields = ["what_changes"]

    def get_fields(self, request, obj=None):
        fields = ["medicine", "drug_classes", "dosing", "why"]
        return fields if obj is None else ["what_changes", *fields]

    @admin.display(description="What it changes")
    def what_changes(self, obj):
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in obj.differences()))

    def get_changeform_initial_data(self, request):
        """Opened from a medicine (``?medicine=<id>``): starts from its data as it is."""
        initial = super().get_changeform_initial_data(request)
        pk = str(initial.get("medicine", ""))
        medicine = Medicine.objects.filter(pk=pk).first() if pk.isdigit() else None
        if medicine is not None:
            initial |= {"drug_classes": medicine.drug_classes, "dosing": medicine.dosing}
        return initial

    def save_model(self, request, obj, form, change):
        obj.proposed_by = request.user
        for field, value in was(obj.medicine).items():
            setattr(obj, field, value)
        super().save_model(request, obj, form, change)
