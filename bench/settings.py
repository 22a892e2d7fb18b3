"""The project's own settings, with the bench's URL configuration (a trivial view added).

Used only by the bench's second gunicorn (DJANGO_SETTINGS_MODULE=bench.settings): the same
middleware, templates, database and cache as the site, so that the trivial view measures
what our stack costs before any page does its own work.
"""

from oana.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
