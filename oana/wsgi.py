"""The production WSGI entry point: what gunicorn is given (``gunicorn oana.wsgi``).

Importing it is a production start, however gunicorn was started (with or without
``gunicorn.conf.py``, from any directory): settings then never read ``.env`` and refuse
DEBUG. The development server uses ``oana.dev_wsgi`` (``WSGI_APPLICATION``).
"""

import os

# Before Django settings load: it decides whether .env is read and DEBUG allowed.
os.environ["OANA_PRODUCTION"] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oana.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
