"""Catalog admin: treatments with their plans inline, prices in dollars, price history.

Every price change made here goes through ``services.change_plan_amount`` (or
``record_new_plan`` for a new plan), so the history always says who changed what and when.
"""

import json
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.db.models import Max, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core import public_images
from core.admin import ReadOnlyModelAdmin
from core.cache import content_changed
from core.money import DollarField, cents_from_dollars, format_money

from . import images
from .models import Category, Medicine, Plan, PriceChange, Testimonial, Treatment
from .services import change_plan_amount, record_new_plan

MAX_PRICE = Decimal("2000.00")


class PlanForm(forms.ModelForm):
    """A plan with its price entered in dollars and cents, stored as integer cents."""

    amount = DollarField(
        label="Price per month (USD)",
        max_digits=7,
        decimal_places=2,
        help_text="In dollars, e.g. 69 or 69.50. Shipping is always free.",
        error_messages={
            "invalid": (
                "Enter the price as a number of dollars, e.g. 69 or 69.50 "
                "(digits and a decimal point only, no $ sign or commas)."
            ),
            "max_decimal_places": "Enter the price in dollars and cents: at most two decimals.",
            "max_digits": f"Prices are capped at {format_money(int(MAX_PRICE * 100))} a month.",
            "max_whole_digits": f"Prices are capped at {format_money(int(MAX_PRICE * 100))} a month.",
        },
    )

    class Meta:
        model = Plan
        fields = ["name", "amount", "interval", "is_active", "display_order"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.amount_cents is not None:
            dollars = (Decimal(self.instance.amount_cents) / 100).quantize(Decimal("0.01"))
            self.initial.setdefault("amount", dollars)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError("The price must be more than $0.")
        if amount > MAX_PRICE:
            raise forms.ValidationError(
                f"Prices are capped at {format_money(int(MAX_PRICE * 100))} a month; "
                "check for a typo."
            )
        return amount

    def clean(self):
        cleaned = super().clean()
        amount = cleaned.get("amount")
        if amount is not None:
            cents = cents_from_dollars(amount)
            # Set here so the model's own validation sees the real amount.
            self.instance.amount_cents = cents
            cleaned["amount_cents"] = cents
        return cleaned


class PlanInline(admin.TabularInline):
    model = Plan
    form = PlanForm
    extra = 0
    min_num = 0
    # Plans are never deleted (old orders point at them): deactivate one instead.
    can_delete = False
    show_change_link = False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order", "starting_price"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "short_description"]

    def get_queryset(self, request):
        active = Q(treatments__is_active=True, treatments__plans__is_active=True)
        return (
            super()
            .get_queryset(request)
            .annotate(
                min_cents=Min("treatments__plans__amount_cents", filter=active),
                max_cents=Max("treatments__plans__amount_cents", filter=active),
            )
        )

    @admin.display(description="Price range", ordering="min_cents")
    def starting_price(self, obj):
        if obj.min_cents is None:
            return "No active plans"
        if obj.min_cents == obj.max_cents:
            return f"{format_money(obj.min_cents)}/month"
        return f"{format_money(obj.min_cents)}-{format_money(obj.max_cents)}/month"


@admin.register(Treatment)
class TreatmentAdmin(admin.ModelAdmin):
    form = public_images.PhotoForm
    list_display = [
        "name",
        "category",
        "starting_price",
        "form",
        "display_order",
        "is_active",
    ]
    list_display_links = ["name"]
    list_editable = ["display_order", "is_active"]
    list_filter = ["category", "is_active", "form"]
    list_select_related = ["category"]
    search_fields = ["name", "slug", "tagline", "active_ingredients", "component_names"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["components"]
    readonly_fields = [
        "medicine_list",
        "pregnancy_notice",
        "current_image",
        "price_history",
        "created_at",
        "updated_at",
    ]
    inlines = [PlanInline]
    actions = ["activate", "deactivate"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "category", "tagline", "is_active", "display_order"]}),
        (
            "Patient information",
            {
                "fields": [
                    "description",
                    "how_it_works",
                    "how_to_use",
                    "side_effects",
                    "who_should_not_use",
                ]
            },
        ),
        (
            "Product image",
            {
                "fields": ["current_image", "photo_upload", "remove_photo"],
                "description": "Without a photo, the page shows the drawn illustration of "
                "its form. A photo is cropped to 4:3.",
            },
        ),
        (
            "Medicine",
            {
                "fields": [
                    "form",
                    "medicine_list",
                    "pregnancy_notice",
                    "active_ingredients",
                    "prescription_required",
                    "components",
                    "component_names",
                ]
            },
        ),
        ("Price history", {"fields": ["price_history"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(from_cents=Min("plans__amount_cents", filter=Q(plans__is_active=True)))
        )

    @admin.display(description="On its page and cards")
    def current_image(self, obj):
        image = obj.image
        return format_html('<img src="{}" alt="{}" width="160" height="120">', image.src, image.alt)

    def save_model(self, request, obj, form, change):
        public_images.save_photo(obj, form, folder=images.FOLDER, size=images.SIZE)
        super().save_model(request, obj, form, change)

    @admin.display(description="Starting price", ordering="from_cents")
    def starting_price(self, obj):
        if obj.from_cents is None:
            return "No active plan"
        return f"{format_money(obj.from_cents)}/month"

    @admin.display(description="Medicines")
    def medicine_list(self, obj):
        """Read-only here: the medicines choose the questionnaire's questions, so clinicians
        edit them (and which treatments contain them) under Medicines."""
        if obj is None or obj.pk is None:
            return "Clinicians add the medicines under Medicines once the treatment is saved."
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a>: {}</li>',
            (
                (
                    reverse("admin:treatments_medicine_change", args=[m.pk]),
                    m,
                    ", ".join(m.drug_class_labels) or "no drug class",
                )
                for m in obj.medicines.all()
            ),
        )
        if not items:
            return "No medicines yet: a clinician adds them under Medicines."
        return format_html("<ul>{}</ul>", items)

    @admin.display(description="Not for use in pregnancy")
    def pregnancy_notice(self, obj):
        """Shown on its page and a stop in the questionnaire: from its medicines."""
        if obj is None or obj.pk is None or not obj.unsafe_in_pregnancy:
            return "No (from its medicines' drug classes)"
        return "Yes: its page says so and the questionnaire stops it (from its medicines)"

    @admin.display(description="Price changes")
    def price_history(self, obj):
        if obj is None or obj.pk is None:
            return "Prices are recorded here once the treatment is saved."
        changes = (
            PriceChange.objects.filter(plan__treatment=obj)
            .select_related("plan", "changed_by")
            .order_by("-changed_at", "-id")
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    timezone.localtime(change.changed_at).strftime("%Y-%m-%d %H:%M %Z"),
                    change.plan.name,
                    format_money(change.old_amount_cents) or "(new plan)",
                    format_money(change.new_amount_cents),
                    change.changed_by or "seed / system",
                )
                for change in changes
            ),
        )
        if not rows:
            return "No price changes yet."
        return format_html(
            '<table class="price-history"><thead><tr><th>When</th><th>Plan</th><th>Old</th>'
            "<th>New</th><th>By</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    def save_formset(self, request, form, formset, change):
        # Every formset here is PlanInline's (the only inline: another one would need its own
        # save). commit=False fills new_objects/changed_objects for the admin's change message;
        # each form's clean() has already put the amount, in cents, on its instance.
        formset.save(commit=False)
        for plan in formset.new_objects:
            plan.save()
            record_new_plan(plan, by=request.user)
        amount_field = {"amount_cents"}
        other_fields = [
            f.name
            for f in Plan._meta.concrete_fields
            if not f.primary_key and f.name not in amount_field
        ]
        for plan, _changed in formset.changed_objects:
            # Everything but the amount is saved as is; the amount goes through the service.
            new_amount = plan.amount_cents
            plan.save(update_fields=other_fields)
            change_plan_amount(plan, new_amount, by=request.user)

    @admin.action(description="Activate the selected treatments")
    def activate(self, request, queryset):
        count = queryset.update(is_active=True)
        content_changed()  # update() sends no signal
        self.message_user(request, f"{count} treatment(s) activated.", messages.SUCCESS)

    @admin.action(description="Deactivate (hide from the site) the selected treatments")
    def deactivate(self, request, queryset):
        count = queryset.update(is_active=False)
        content_changed()  # update() sends no signal
        self.message_user(request, f"{count} treatment(s) hidden from the site.", messages.SUCCESS)


class MedicineForm(forms.ModelForm):
    """A medicine with the treatments that contain it. Its clinical data (drug classes and
    prescribing data) is not here: it changes only by a proposal a second clinician approves
    (``clinic.medicine_data``)."""

    treatments = forms.ModelMultipleChoiceField(
        label="Treatments that contain it",
        queryset=Treatment.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Medicine
        fields = [
            "name",
            "slug",
            "route",
            "default_strength",
            "default_directions",
            "default_quantity",
            "quantity_unit",
            "default_refills",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["treatments"] = list(self.instance.treatments.all())


@admin.register(Medicine)
class MedicineAdmin(admin.ModelAdmin):
    """Clinicians (and superusers) change medicines; catalog managers only read them. The
    drug classes and prescribing data are read only here, for everyone: a clinician proposes
    a change (**Medicine data changes**) and a second one approves it."""

    form = MedicineForm
    list_display = ["name", "route", "classes", "default_strength", "default_refills"]
    list_filter = ["route"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["treatment_list", "classes", "prescribing_data"]

    def get_fields(self, request, obj=None):
        fields = [*MedicineForm.Meta.fields, "classes", "prescribing_data", "treatments"]
        if obj is not None and not self.has_change_permission(request, obj):
            fields[-1] = "treatment_list"  # read only: the form field has no model field
        return fields

    @admin.display(description="Prescribing data")
    def prescribing_data(self, obj):
        propose = reverse("admin:orders_medicinedatachange_add")
        if obj.pk is None:
            return "Save the medicine, then propose its drug classes and prescribing data."
        return format_html(
            '<pre>{}</pre><a href="{}?medicine={}">Propose a change to its drug classes or '
            "prescribing data</a> (a second clinician approves it).",
            json.dumps(obj.dosing, indent=2, ensure_ascii=False) if obj.dosing else "(none)",
            propose,
            obj.pk,
        )

    @admin.display(description="Drug classes")
    def classes(self, obj):
        return ", ".join(obj.drug_class_labels)

    @admin.display(description="Treatments that contain it")
    def treatment_list(self, obj):
        return ", ".join(t.name for t in obj.treatments.all())

    def has_delete_permission(self, request, obj=None):
        return False  # treatments and prescriptions point at them: nobody deletes one

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.treatments.set(form.cleaned_data["treatments"])


@admin.register(PriceChange)
class PriceChangeAdmin(ReadOnlyModelAdmin):
    """The price history, read only: rows are written by the service, never by hand."""

    list_display = ["changed_at", "plan", "old_price", "new_price", "changed_by"]
    list_filter = ["plan__treatment__category", "changed_at"]
    list_select_related = ["plan__treatment", "changed_by"]
    search_fields = ["plan__treatment__name", "plan__name"]
    date_hierarchy = "changed_at"

    @admin.display(description="Old price", ordering="old_amount_cents")
    def old_price(self, obj):
        return format_money(obj.old_amount_cents) or "(new plan)"

    @admin.display(description="New price", ordering="new_amount_cents")
    def new_price(self, obj):
        return format_money(obj.new_amount_cents)


@admin.register(Testimonial)
class TestimonialAdmin(admin.ModelAdmin):
    list_display = ["patient_name", "short_quote", "treatment", "is_published", "display_order"]
    list_editable = ["is_published", "display_order"]
    list_filter = ["is_published", "treatment__category"]
    list_select_related = ["treatment"]
    search_fields = ["patient_name", "quote"]
    autocomplete_fields = ["treatment"]

    @admin.display(description="Quote")
    def short_quote(self, obj):
        return obj.quote if len(obj.quote) <= 80 else f"{obj.quote[:77]}..."
