"""The site's URLs plus ``/bench/trivial/``, never part of the public URLs (oana/urls.py)."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_safe

from oana.urls import handler500  # noqa: F401
from oana.urls import urlpatterns as site_urlpatterns

TRIVIAL_PATH = "bench/trivial/"


@require_safe
def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path(TRIVIAL_PATH, trivial, name="bench_trivial"), *site_urlpatterns]
