"""The catalog: what Oana prescribes and what it costs.

Money is always an integer number of cents. Public pages only ever see
``Treatment.objects.public()`` and ``Plan.objects.active()``; inactive rows stay for the
admin and for old orders, which keep their own price snapshot.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from treatments.dosing import Dosing, DosingError

from .images import product_image

MAX_REFILLS = 11  # a prescription lasts at most a year: the first fill and 11 refills


class DrugClass(models.TextChoices):
    """The drug classes the questionnaire screens for (``clinic/questions.py``).

    Questions, stops and the interaction table are keyed by these values, never by names:
    adding a class here does nothing until a clinician adds its questions there.
    """

    BIGUANIDE = "biguanide", "Biguanide (metformin)"
    ANTIANDROGEN = "potassium_sparing_antiandrogen", "Potassium-sparing anti-androgen"
    GLP1 = "glp1_agonist", "GLP-1 receptor agonist"
    VASODILATOR = "vasodilator", "Vasodilator"
    ODC_INHIBITOR = "odc_inhibitor", "Ornithine-decarboxylase inhibitor"
    AZELAIC_ACID = "dicarboxylic_acid", "Dicarboxylic acid (azelaic acid)"


# Not during pregnancy, breastfeeding or trying to conceive: drug class -> the routes it
# applies to. The one rule behind the product page's notice (``Treatment.unsafe_in_pregnancy``)
# and the questionnaire's pregnancy stop (clinic/stops.py), so they cannot disagree.
# A clinical rule: a clinician reviews any change.
PREGNANCY_UNSAFE = {
    DrugClass.ANTIANDROGEN: ("oral", "topical"),  # spironolactone, tablets or scalp solution
    DrugClass.GLP1: ("oral", "topical"),
    DrugClass.VASODILATOR: ("oral",),  # oral minoxidil
    DrugClass.ODC_INHIBITOR: ("oral", "topical"),  # eflornithine: safety not established
}


class Medicine(models.Model):
    """One medicine we prescribe, as a clinician prescribes it: route, drug classes and the
    defaults a prescription starts from. Clinicians own these rows (``oana/roles.py``)."""

    class Route(models.TextChoices):
        ORAL = "oral", "Oral"
        TOPICAL = "topical", "Topical"

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=150, help_text="e.g. Metformin ER (extended release).")
    route = models.CharField(max_length=10, choices=Route.choices)
    drug_classes = models.JSONField(
        default=list,
        blank=True,
        help_text="The classes that choose the questionnaire's questions for this medicine.",
    )
    default_strength = models.CharField(max_length=100, blank=True, help_text="e.g. 500 mg.")
    default_directions = models.TextField(
        "default directions (sig)", blank=True, help_text="How to take it, as on the label."
    )
    default_quantity = models.PositiveSmallIntegerField(
        "default quantity per month", default=30, validators=[MinValueValidator(1)]
    )
    quantity_unit = models.CharField(
        max_length=30, default="tablets", help_text="e.g. tablets, tube."
    )
    default_refills = models.PositiveSmallIntegerField(
        default=5, validators=[MaxValueValidator(MAX_REFILLS)], help_text="At most 11 (a year)."
    )
    dosing = models.JSONField(
        "prescribing data",
        default=dict,
        blank=True,
        help_text="Dose form, stocked strengths, doses, frequencies, maximum daily dose and "
        "titration schedule (treatments/dosing.py; a clinical rule: see docs/clinicians.md). "
        "Without it the medicine cannot be prescribed.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(default_refills__lte=MAX_REFILLS),
                name="medicine_refills_at_most_a_year",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_route_display().lower()})"

    def clean(self):
        classes = self.drug_classes
        if not isinstance(classes, list) or any(c not in DrugClass.values for c in classes):
            raise ValidationError({"drug_classes": "Choose drug classes from the list."})
        if self.dosing:
            try:
                Dosing.parse(self.dosing)
            except DosingError as error:
                raise ValidationError({"dosing": str(error)}) from error

    @property
    def unsafe_in_pregnancy(self):
        return any(self.route in PREGNANCY_UNSAFE.get(c, ()) for c in self.drug_classes)

    @property
    def drug_class_labels(self):
        return [DrugClass(c).label for c in self.drug_classes if c in DrugClass.values]


class Category(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers come first.")
    short_description = models.CharField(max_length=255, blank=True)
    helps_with = models.TextField(blank=True, help_text="What the treatments in it help with.")

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("treatments:category", kwargs={"category_slug": self.slug})


class TreatmentQuerySet(models.QuerySet):
    def public(self):
        """What patients may see and buy: active, with at least one active plan.

        The one visibility rule for treatments: every public page, the sitemap, the
        article's related treatments, the cart and the home page use it. Anything else is
        a 404 to the public (it stays in the admin and in old orders).
        """
        return self.filter(
            is_active=True,
            pk__in=Plan.objects.active().values("treatment_id"),
        )


class Treatment(models.Model):
    class Form(models.TextChoices):
        ORAL = "oral", "Oral"
        TOPICAL = "topical", "Topical"
        PACK = "pack", "Pack"

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="treatments")
    name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=150, unique=True)
    tagline = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    how_it_works = models.TextField(blank=True)
    how_to_use = models.TextField(blank=True)
    side_effects = models.TextField("common side effects", blank=True)
    who_should_not_use = models.TextField(blank=True)
    form = models.CharField(max_length=20, choices=Form.choices, default=Form.ORAL)
    active_ingredients = models.CharField(max_length=255, blank=True)
    prescription_required = models.BooleanField(default=True)
    components = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="packs",
        help_text="For packs: the treatments it contains.",
    )
    component_names = models.CharField(
        max_length=255,
        blank=True,
        help_text="For packs whose parts are not sold alone, e.g. 'Eflornithine, Metformin lotion, Azelaic Acid'.",
    )
    medicines = models.ManyToManyField(
        Medicine,
        blank=True,
        related_name="treatments",
        help_text="What it contains (a pack has several); they choose the questionnaire's questions.",
    )
    is_active = models.BooleanField("active", default=True)
    display_order = models.PositiveSmallIntegerField(default=0)
    # A product photo staff uploaded (core.public_images: the name without its format's
    # extension); blank shows the drawn illustration of its form (static/img/products/).
    photo = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TreatmentQuerySet.as_manager()

    class Meta:
        ordering = ["category__order", "display_order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse(
            "treatments:detail",
            kwargs={"category_slug": self.category.slug, "treatment_slug": self.slug},
        )

    @property
    def image(self):
        """Its photo, or the illustration of its form (``treatments.images``)."""
        return product_image(self)

    @property
    def unsafe_in_pregnancy(self):
        """Not during pregnancy, breastfeeding or trying to conceive: from its medicines'
        drug classes (``PREGNANCY_UNSAFE``), never typed by hand."""
        return any(medicine.unsafe_in_pregnancy for medicine in self.medicines.all())


class PlanQuerySet(models.QuerySet):
    def active(self):
        """Plans a patient can buy: active, of an active treatment (which is then public)."""
        return self.filter(is_active=True, treatment__is_active=True)


class Plan(models.Model):
    """A price at which a treatment can be bought, e.g. "Monthly, $69"."""

    class Interval(models.TextChoices):
        MONTH = "month", "Monthly"

    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="plans")
    name = models.CharField(max_length=100, default="Monthly")
    amount_cents = models.PositiveIntegerField(help_text="Price per interval, in cents.")
    currency = models.CharField(max_length=3, default="usd")
    interval = models.CharField(max_length=10, choices=Interval.choices, default=Interval.MONTH)
    is_active = models.BooleanField("active", default=True)
    display_order = models.PositiveSmallIntegerField(default=0)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["display_order", "amount_cents"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="plan_amount_positive"
            ),
        ]

    def __str__(self):
        return f"{self.treatment.name}: {self.name}"


class PriceChange(models.Model):
    """One change of a plan's amount; existing orders keep the price they were charged."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="price_changes")
    old_amount_cents = models.PositiveIntegerField(null=True, blank=True)
    new_amount_cents = models.PositiveIntegerField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"{self.plan}: {self.old_amount_cents} -> {self.new_amount_cents}"


class TestimonialQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)


class Testimonial(models.Model):
    quote = models.TextField()
    patient_name = models.CharField(
        max_length=60, help_text="First name and initial, e.g. 'Sarah M.'"
    )
    treatment = models.ForeignKey(
        Treatment, on_delete=models.SET_NULL, null=True, blank=True, related_name="testimonials"
    )
    is_published = models.BooleanField("published", default=True)
    display_order = models.PositiveSmallIntegerField(default=0)

    objects = TestimonialQuerySet.as_manager()

    class Meta:
        ordering = ["display_order", "id"]

    def __str__(self):
        return f"{self.patient_name}: {self.quote[:40]}"
