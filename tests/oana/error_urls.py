"""A URLconf for tests only: the site plus views that fail on purpose."""

from django.db import DatabaseError
from django.urls import path

from oana.urls import urlpatterns as site_urlpatterns


def boom(request):
    raise RuntimeError("a bug in a view")


def database_down(request):
    raise DatabaseError("connection refused")


urlpatterns = [
    path("test-only/boom/", boom),
    path("test-only/database-down/", database_down),
    *site_urlpatterns,
]

handler500 = "oana.views.server_error"
