"""Site-wide pages: home, health check, robots.txt, CSP reports, error pages."""

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.tasks import task_backends
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe
from django.views.static import serve as static_serve
from django_tasks_db.backend import DatabaseBackend

from articles.models import Article
from core.cache import cached, public_page
from core.ratelimit import rate_limit
from legal import rendering as legal_rendering
from legal.models import LegalDocument
from treatments.services import home_catalog

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

STATUS_CACHE_KEY = "healthz:status"

# A browser's violation report is well under a kilobyte; anything this big is not one.
CSP_REPORT_MAX_BYTES = 16 * 1024
# What is logged of each violation, and its names in the classic (report-uri) and the
# Reporting API (report-to) formats.
CSP_REPORT_FIELDS = {
    "directive": ("effective-directive", "violated-directive", "effectiveDirective"),
    "blocked": ("blocked-uri", "blockedURL"),
    "page": ("document-uri", "documentURL"),
}


@require_safe
@public_page
def home(request):
    # The featured article (the latest published one) and the catalog's snapshot (categories
    # with live starting prices, a few treatments, testimonials) are cached until either
    # changes (core.cache): no query at all then, and four when they are built.
    featured_article = cached(
        "featured-article",
        lambda: (
            Article.objects.published()
            .only("title", "slug", "dek", "publish_at", "word_count")
            .order_by("-publish_at", "-id")
            .first()
        ),
        until=Article.objects.next_publish_at,
    )
    context = {"featured_article": featured_article, **home_catalog()}
    return render(request, "home.html", context)


@never_cache
@require_safe
def healthz(request):
    """For load balancers: 200 when the database answers, 503 when it does not (the cheap
    liveness answer; ``healthz_status`` is the fuller one, for monitoring)."""
    if not _database_answers():
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _database_answers():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    return True


def _cache_answers():
    """A write and a read of the shared cache (each bounded by CACHE_TIMEOUT_SECONDS)."""
    try:
        cache.set(STATUS_CACHE_KEY, 1, 60)
        return cache.get(STATUS_CACHE_KEY) == 1
    except Exception:  # whatever the backend raises when it does not answer
        return False


def _worker_status():
    """ "ok" when a worker has written its heartbeat (oana/worker.py) within
    WORKER_STALE_SECONDS; "not used" when tasks run in the web process (immediate backend)."""
    if not isinstance(task_backends["default"], DatabaseBackend):
        return "not used"
    recently = timezone.now() - timedelta(seconds=settings.WORKER_STALE_SECONDS)
    if WorkerHeartbeat.objects.filter(beat_at__gte=recently).exists():
        return "ok"
    return f"no heartbeat for {settings.WORKER_STALE_SECONDS:g} s"


@never_cache
@require_safe
def healthz_status(request):
    """For monitoring, never for routing traffic (a dead worker or Redis must not take healthy
    web nodes out): the database, the cache and the worker's heartbeat, 200 when all answer,
    503 naming each part that does not. Nothing in it is secret or about a patient."""
    parts = {"database": "ok" if _database_answers() else "unavailable"}
    parts["cache"] = "ok" if _cache_answers() else "unavailable"
    parts["worker"] = _worker_status() if parts["database"] == "ok" else "unknown"
    healthy = all(value in ("ok", "not used") for value in parts.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **parts}, status=200 if healthy else 503
    )


@require_safe
def robots_txt(request):
    sitemap_url = request.build_absolute_uri(reverse("sitemap"))
    lines = [
        "User-agent: *",
        # The staff site is not named here: robots.txt is public, and ADMIN_URL is not.
        "Disallow: /cart/",
        "Disallow: /checkout/",
        "Disallow: /orders/",
        f"Sitemap: {sitemap_url}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@require_safe
def public_media(request, path):
    """The public images staff uploaded (``core.public_images``): their names carry a hash of
    their pixels, so browsers keep them for a year. In production the proxy may serve
    PUBLIC_MEDIA_URL from the same folder instead (docs/operations.md)."""
    response = static_serve(request, path, document_root=settings.PUBLIC_MEDIA_ROOT)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@require_safe
def legal_document(request, kind):
    """The current version of a legal document, or ``?version=N`` (what an earlier order
    agreed to). Drafts are never shown; anything else is a 404."""
    documents = LegalDocument.objects.published().filter(kind=kind)
    version = request.GET.get("version", "")
    if version:
        if not (version.isascii() and version.isdigit() and len(version) < 9):
            raise Http404("No such version.")
        document = documents.filter(version=int(version)).first()
    else:
        document = documents.order_by("-version").first()
    if document is None:
        raise Http404("No such document.")
    current = documents.order_by("-version").values_list("version", flat=True).first()
    return render(
        request,
        "legal_document.html",
        {
            "document": document,
            "blocks": legal_rendering.blocks(document.body),
            "is_current": document.version == current,
        },
    )


def not_offered(request, *args, **kwargs):
    """Sign-in pages patients do not use (they have no password): a plain 404."""
    raise Http404("Not offered.")


def _violations(report):
    """The violation bodies of a report: the classic ``{"csp-report": {...}}`` (report-uri)
    or the Reporting API's ``[{"type": "csp-violation", "body": {...}}]`` (report-to)."""
    if isinstance(report, dict) and isinstance(report.get("csp-report"), dict):
        return [report["csp-report"]]
    if isinstance(report, list):
        return [
            item["body"]
            for item in report
            if isinstance(item, dict)
            and item.get("type") == "csp-violation"
            and isinstance(item.get("body"), dict)
        ]
    return None


@csrf_exempt
@require_POST
@rate_limit("csp_report")
def csp_report(request):
    """Browsers report Content-Security-Policy violations here; each is logged (redacted,
    like every log line) for us to look at. Nothing else is done with it."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    body = b"" if declared > CSP_REPORT_MAX_BYTES else request.read(CSP_REPORT_MAX_BYTES + 1)
    if declared > CSP_REPORT_MAX_BYTES or len(body) > CSP_REPORT_MAX_BYTES:
        return HttpResponse("Report too large.", status=413, content_type="text/plain")
    try:
        violations = _violations(json.loads(body))
    except (ValueError, RecursionError):
        violations = None
    if not violations:
        return HttpResponse("Not a CSP report.", status=400, content_type="text/plain")
    for violation in violations:
        details = " ".join(
            f"{label}={next((str(violation[n])[:200] for n in names if n in violation), '-')}"
            for label, names in CSP_REPORT_FIELDS.items()
        )
        logger.warning("CSP violation: %s", details)
    return HttpResponse(status=204)


def server_error(request):
    """The 500 page, rendered without the request: context processors read the session and
    the database, which may be what is failing."""
    return HttpResponseServerError(loader.render_to_string("500.html"))
