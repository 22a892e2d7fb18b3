"""Site-wide pages: home, health check, robots.txt, error pages."""

from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from articles.models import Article
from treatments.services import home_catalog


@require_safe
def home(request):
    # One query for the featured article (the latest published one), however many exist.
    featured_article = (
        Article.objects.published()
        .only("title", "slug", "dek", "publish_at", "word_count")
        .order_by("-publish_at", "-id")
        .first()
    )
    # Categories with live starting prices, a few treatments, testimonials: three queries.
    context = {"featured_article": featured_article, **home_catalog()}
    return render(request, "home.html", context)


@never_cache
@require_safe
def healthz(request):
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_safe
def robots_txt(request):
    sitemap_url = request.build_absolute_uri(reverse("sitemap"))
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /cart/",
        "Disallow: /checkout/",
        "Disallow: /orders/",
        f"Sitemap: {sitemap_url}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def not_offered(request, *args, **kwargs):
    """Sign-in pages patients do not use (they have no password): a plain 404."""
    raise Http404("Not offered.")


def server_error(request):
    """The 500 page, rendered without the request: context processors read the session and
    the database, which may be what is failing."""
    return HttpResponseServerError(loader.render_to_string("500.html"))
