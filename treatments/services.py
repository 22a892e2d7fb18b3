"""Catalog reads for the public pages, and the one way a plan's price changes.

Prices shown to patients are always computed from the live plans: a treatment's monthly price
is the lowest active plan, a category's range is the min/max over the active plans of its active
treatments. Every function here runs a fixed number of queries, however big the catalog.
"""

from django.db import transaction
from django.db.models import Count, Max, Min, Prefetch, Q

from core.cache import cached, content_changed

from .models import Category, Plan, PriceChange, Testimonial, Treatment

# Testimonials on the home page (the snapshot keeps these).
HOME_TESTIMONIALS = 6

# Filters for "a plan a patient can buy", seen from a Category and from a Treatment.
_CATEGORY_PLAN_ACTIVE = Q(treatments__is_active=True, treatments__plans__is_active=True)
_TREATMENT_PLAN_ACTIVE = Q(plans__is_active=True)


def categories_with_prices():
    """Categories that have something to buy, each with ``min_cents`` and ``max_cents``."""
    return (
        Category.objects.annotate(
            min_cents=Min("treatments__plans__amount_cents", filter=_CATEGORY_PLAN_ACTIVE),
            max_cents=Max("treatments__plans__amount_cents", filter=_CATEGORY_PLAN_ACTIVE),
        )
        .filter(min_cents__isnull=False)
        .order_by("order", "name")
    )


def public_treatments():
    """Active treatments with at least one active plan, each with ``from_cents`` (lowest price).

    A treatment without a plan cannot be bought, so it is not shown (and its page is a 404).
    """
    return (
        Treatment.objects.public()
        .annotate(
            from_cents=Min("plans__amount_cents", filter=_TREATMENT_PLAN_ACTIVE),
            active_plan_count=Count("plans", filter=_TREATMENT_PLAN_ACTIVE),
        )
        .select_related("category")
        .order_by("category__order", "category__name", "display_order", "name")
    )


class CatalogSnapshot:
    """The public catalog as every visitor sees it: categories with their price ranges, the
    public treatments with their starting prices, and the published testimonials.

    Built in three queries and cached (``catalog_snapshot()``) until anything in the catalog
    changes; the pages read their parts from it without a query.
    """

    def __init__(self):
        self.categories = list(categories_with_prices())
        self.treatments = list(public_treatments())
        self.testimonials = list(published_testimonials(limit=HOME_TESTIMONIALS))

    def sections(self):
        """[(category, [treatments...]), ...] in display order."""
        by_category = {}
        for treatment in self.treatments:
            by_category.setdefault(treatment.category_id, []).append(treatment)
        return [(c, by_category.get(c.pk, [])) for c in self.categories]

    def category(self, slug):
        """The public category with this slug, or None."""
        return next((c for c in self.categories if c.slug == slug), None)

    def treatments_in(self, category):
        return [t for t in self.treatments if t.category_id == category.pk]

    def featured(self, limit=4):
        """A few treatments for the home page: the first of each category, in catalog order."""
        seen, featured = set(), []
        for treatment in self.treatments:
            if treatment.category_id not in seen:
                seen.add(treatment.category_id)
                featured.append(treatment)
        return featured[:limit]


def catalog_snapshot():
    """The cached ``CatalogSnapshot``: three queries when the catalog changed, none otherwise."""
    return cached("catalog", CatalogSnapshot)


def catalog_sections():
    """[(category, [treatments...]), ...] in display order, from the snapshot."""
    return catalog_snapshot().sections()


def treatment_for_page(treatment_slug):
    """The public treatment with its active plans, components and published testimonials.

    Raises ``Treatment.DoesNotExist`` when there is no such public treatment.
    """
    return (
        public_treatments()
        .prefetch_related(
            Prefetch("plans", queryset=Plan.objects.active(), to_attr="active_plans"),
            "medicines",  # its pregnancy notice follows them
            Prefetch(
                "components",
                queryset=public_treatments(),
                to_attr="public_components",
            ),
            Prefetch(
                "testimonials",
                queryset=Testimonial.objects.published(),
                to_attr="published_testimonials",
            ),
        )
        .get(slug=treatment_slug)
    )


def published_testimonials(limit=None):
    testimonials = Testimonial.objects.published().select_related("treatment__category")
    return testimonials[:limit] if limit else testimonials


def home_catalog():
    """What the home page shows of the catalog, from the snapshot."""
    snapshot = catalog_snapshot()
    return {
        "catalog_categories": snapshot.categories,
        "featured_treatments": snapshot.featured(),
        "testimonials": snapshot.testimonials,
    }


class PriceError(ValueError):
    """A price that cannot be set; the message is meant for the catalog manager."""


@transaction.atomic
def change_plan_amount(plan, new_amount_cents, *, by):
    """Set a plan's monthly amount and record the change (old, new, who, when).

    The one place a price changes after a plan exists. Orders keep their own price snapshot,
    so nothing already ordered or subscribed is affected. Returns the PriceChange, or None
    when the amount is unchanged.
    """
    if not isinstance(new_amount_cents, int) or new_amount_cents <= 0:
        raise PriceError("A price must be a positive whole number of cents.")
    locked = Plan.objects.select_for_update().get(pk=plan.pk)
    old_amount_cents = locked.amount_cents
    plan.amount_cents = new_amount_cents
    if old_amount_cents == new_amount_cents:
        return None
    Plan.objects.filter(pk=plan.pk).update(amount_cents=new_amount_cents)
    # update() sends no signal: the cached pages learn of the new price here.
    content_changed()
    return PriceChange.objects.create(
        plan=plan,
        old_amount_cents=old_amount_cents,
        new_amount_cents=new_amount_cents,
        changed_by=by if getattr(by, "pk", None) else None,
    )


def record_new_plan(plan, *, by):
    """A plan was just created: its first price is the start of its history."""
    return PriceChange.objects.create(
        plan=plan,
        old_amount_cents=None,
        new_amount_cents=plan.amount_cents,
        changed_by=by if getattr(by, "pk", None) else None,
    )
