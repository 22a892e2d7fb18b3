"""Public catalog pages. Each runs a fixed number of queries, however many treatments exist,
and none at all once the catalog is cached (``core.cache``): the catalog and category
pages read the cached snapshot, a treatment page its cached treatment."""

import json

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from core.cache import cached, public_page
from core.money import decimal_amount

from . import services
from .models import Treatment


@require_safe
@public_page
def catalog(request):
    return render(request, "treatments/catalog.html", {"sections": services.catalog_sections()})


@require_safe
@public_page
def category(request, category_slug):
    snapshot = services.catalog_snapshot()
    category = snapshot.category(category_slug)
    if category is None:
        raise Http404("No such category.")
    treatments = snapshot.treatments_in(category)
    return render(
        request, "treatments/category.html", {"category": category, "treatments": treatments}
    )


@require_safe
@public_page
def detail(request, category_slug, treatment_slug):
    try:
        treatment = cached(
            "treatment", lambda: services.treatment_for_page(treatment_slug), treatment_slug
        )
    except Treatment.DoesNotExist:
        raise Http404("No such treatment.") from None
    if treatment.category.slug != category_slug:
        # The treatment moved to another category (or the link was mistyped): one canonical URL.
        return redirect(treatment, permanent=True)
    return render(
        request,
        "treatments/detail.html",
        {
            "treatment": treatment,
            "category": treatment.category,
            "plans": treatment.active_plans,
            "json_ld": _json_ld(request, treatment),
        },
    )


def _json_ld(request, treatment):
    """schema.org Product with one Offer per active plan, safe inside a <script> element."""
    url = request.build_absolute_uri(treatment.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": treatment.name,
        "description": treatment.tagline or treatment.description,
        "category": treatment.category.name,
        "url": url,
        "brand": {"@type": "Brand", "name": "Oana Health"},
        "offers": [
            {
                "@type": "Offer",
                "name": plan.name,
                "price": decimal_amount(plan.amount_cents),
                "priceCurrency": plan.currency.upper(),
                "availability": "https://schema.org/InStock",
                "url": url,
                "priceSpecification": {
                    "@type": "UnitPriceSpecification",
                    "price": decimal_amount(plan.amount_cents),
                    "priceCurrency": plan.currency.upper(),
                    "referenceQuantity": {
                        "@type": "QuantitativeValue",
                        "value": 1,
                        "unitCode": "MON",
                    },
                },
                "shippingDetails": {
                    "@type": "OfferShippingDetails",
                    "shippingRate": {
                        "@type": "MonetaryAmount",
                        "value": "0",
                        "currency": plan.currency.upper(),
                    },
                },
            }
            for plan in treatment.active_plans
        ],
    }
    text = json.dumps(data, ensure_ascii=False)
    # Nothing inside may close the <script> element or open an HTML comment.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
