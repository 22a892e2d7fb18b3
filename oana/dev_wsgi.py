"""The development WSGI entry point (``WSGI_APPLICATION``, which ``manage.py runserver``
imports): settings may read ``.env`` and run with DEBUG. Production uses ``oana.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oana.settings")

application = get_wsgi_application()
