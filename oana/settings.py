"""Oana settings: one module, every value from the environment (django-environ).

Local defaults are safe and need nothing installed: SQLite, console email and the
test-mode payment gateway. Production is DEBUG off, where the secret key and allowed
hosts must be set (the site refuses to start otherwise) and Stripe keys are required
by a system check (see ``orders/checks.py``).

``.env`` is for local development only. A production start (the WSGI module gunicorn is
given, ``oana.wsgi``; ``gunicorn.conf.py``; ``make serve``) sets ``OANA_PRODUCTION=1``: the
file is then never read, and DEBUG on is refused.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# Set by gunicorn.conf.py and `make serve`, never by .env (it decides whether .env is read).
PRODUCTION_START = environ.Env().bool("OANA_PRODUCTION", default=False)


class _Env(environ.Env):
    """Settings come from a copy of the environment, which a local ``.env`` (never committed)
    completes outside production: real variables win. The file's values stay in this process,
    out of ``os.environ``, so a program it starts (the tests start gunicorn) never inherits a
    developer's local settings."""

    ENVIRON = dict(os.environ)


if not PRODUCTION_START:
    _Env.read_env(BASE_DIR / ".env", overwrite=False)
env = _Env()

DEBUG = env.bool("DEBUG", default=False)
if PRODUCTION_START and DEBUG:
    raise ImproperlyConfigured(
        "DEBUG is on, and this is a production start (OANA_PRODUCTION=1, set by "
        "gunicorn.conf.py and `make serve`). Production never runs with DEBUG: unset it or "
        "set DEBUG=false in the environment."
    )


def _url_setting(name, default):
    """A URL-valued variable; set-but-empty (as in a copied .env.example) means the default."""
    return env.str(name, default="") or default


def _required_in_production(name, value):
    if not value and not DEBUG:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is off (see .env.example).")
    return value


SECRET_KEY = _required_in_production(
    "SECRET_KEY",
    env.str("SECRET_KEY", default="") or ("insecure-local-development-key" if DEBUG else ""),
)
ALLOWED_HOSTS = _required_in_production(
    "ALLOWED_HOSTS",
    env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []),
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The staff site's path. Required with DEBUG off, and the same on every node and worker (so no
# random default); `admin/` while developing. It is never named in robots.txt.
ADMIN_URL = (
    _required_in_production(
        "ADMIN_URL", env.str("ADMIN_URL", default="").strip("/") or ("admin" if DEBUG else "")
    )
    + "/"
)
# The proxies (addresses or CIDR networks) whose X-Forwarded-For and X-Forwarded-Proto are
# believed (oana/proxies.py); gunicorn.conf.py gives gunicorn the same list. Anyone else's
# forwarded headers are ignored: the client is the address that connected.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
# Absolute base for links in emails, feeds and Stripe redirect URLs when no request is at hand.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Django's admin as the staff site, behind a second factor (oana/admin_site.py).
    "oana.apps.OanaAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "allauth",
    "allauth.account",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    # The tasks queue (a table) for production's worker; installed everywhere so the failed
    # tasks page and the schedule exist whatever TASKS_BACKEND says.
    "django_tasks_db",
    "oana.apps.OanaConfig",
    "core",
    "articles",
    "treatments",
    "legal",
    "orders",
    "payments",
    "clinic",
    "patients",
]

MIDDLEWARE = [
    # First: the client's address and scheme, from a trusted proxy's headers only.
    "oana.proxies.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "oana.middleware.SecurityHeadersMiddleware",
    "core.middleware.RefuseNulInQueryString",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "orders.middleware.PatientsStayOutOfTheAdmin",
    "django.contrib.messages.middleware.MessageMiddleware",
    "oana.middleware.StaffSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Turns a lockout found during sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses to authenticate a locked-out username or address at all.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Patients: the emailed sign-in code (see the django-allauth settings below).
    "allauth.account.auth_backends.AuthenticationBackend",
]

ROOT_URLCONF = "oana.urls"
WSGI_APPLICATION = "oana.dev_wsgi.application"  # production: oana.wsgi

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "oana.context_processors.site",
                "oana.context_processors.patient",
            ],
            # Money is shown on nearly every page: its filters (|money, |money_exact) need
            # no {% load %}.
            "builtins": ["core.templatetags.money"],
        },
    }
]

# SQLite file by default; DATABASE_URL=postgres://user@host:5432/name switches to PostgreSQL.
DATABASES = {
    "default": env.db_url_config(
        _url_setting("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation: the admin's list queries (the review queue's EXISTS columns) are
    # costed above jit_above_cost and spent 0.8 s compiling to run in 0.2 s
    # (docs/performance.md). Options in DATABASE_URL (?options=...) win.
    DATABASES["default"]["OPTIONS"] = {
        "options": "-c jit=off",
        **DATABASES["default"].get("OPTIONS", {}),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # pragma: sqlite only
    # Concurrent writers (patients paying at the same moment) wait their turn instead of
    # failing with "database is locked": IMMEDIATE takes the write lock when a transaction
    # begins (a deferred one that has read first cannot wait for it, SQLite fails it at once),
    # a writer waits up to `timeout` seconds for that lock, and in WAL mode readers go on
    # while someone writes (synchronous=NORMAL is safe with WAL: a power cut can lose the
    # last commits, never corrupt the file). Options in DATABASE_URL (?timeout=5) win.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": env.cache_url_config(_url_setting("CACHE_URL", "locmemcache://oana")),
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # The same backend, reusing its Redis client (oana/redis_cache.py says why).
    CACHES["default"]["BACKEND"] = "oana.redis_cache.RedisCache"
    # A Redis that does not answer (stopped, frozen, a lost network) costs a request at most
    # this long per cache call, connecting or reading, instead of redis-py's 5 s or for ever:
    # the callers then go on without the cache (core/cache.py, core/ratelimit.py).
    CACHE_TIMEOUT_SECONDS = env.float("CACHE_TIMEOUT_SECONDS", default=0.25)
    CACHES["default"]["OPTIONS"] = {
        "socket_connect_timeout": CACHE_TIMEOUT_SECONDS,
        "socket_timeout": CACHE_TIMEOUT_SECONDS,
        **CACHES["default"].get("OPTIONS", {}),
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Patients sign in with a code emailed to them (django-allauth's "login by code"): no
# password, no sign-up step. Staff keep the admin's own sign-in page; a code requested for a
# staff email is answered as for an unknown one (patients/accounts.py).
ACCOUNT_ADAPTER = "patients.accounts.PatientAccountAdapter"
ACCOUNT_FORMS = {
    "request_login_code": "patients.accounts.RequestPatientCodeForm",
    "confirm_login_code": "patients.accounts.ConfirmPatientCodeForm",
}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_VERIFICATION = "none"  # the code itself proves the address
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_REQUIRED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = env.int("SIGN_IN_CODE_MINUTES", default=10) * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = env.int("SIGN_IN_CODE_ATTEMPTS", default=5)
ACCOUNT_LOGIN_BY_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False  # unknown (and staff) emails: same page, no email
# allauth's own limits are off: ours (RATE_LIMITS "sign_in_code*", core/ratelimit.py) count
# requests for codes and wrong codes per address and per email, and answer 429 with Retry-After.
ACCOUNT_RATE_LIMITS = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Oana Health: "
LOGIN_URL = "account_request_login_code"
LOGIN_REDIRECT_URL = "orders:account"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# Public images staff upload (clinicians' photos, product photos), resized and re-encoded
# (core/public_images.py): nothing about a patient is ever stored here. Health data lives
# encrypted in the database, never in files. Every node must see the same folder (a shared
# volume) or the proxy must serve PUBLIC_MEDIA_URL from it (docs/operations.md).
PUBLIC_MEDIA_ROOT = env.path("PUBLIC_MEDIA_ROOT", default=BASE_DIR / "public-media")
PUBLIC_MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "public_media": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PUBLIC_MEDIA_ROOT, "base_url": PUBLIC_MEDIA_URL},
    },
    "staticfiles": {
        # Hashed, compressed names in production; plain storage while developing and
        # testing so nothing needs collectstatic first.
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
    # Lab reports and ID photos: encrypted with the health-data keys (core/health_files.py),
    # local files under HEALTH_FILES_ROOT or an S3-compatible bucket (docs/operations.md).
    "health_files": {"BACKEND": "core.health_files.EncryptedStorage"},
}
HEALTH_FILES_ROOT = env.path("HEALTH_FILES_ROOT", default=BASE_DIR / "private_media")
HEALTH_FILES_BUCKET = env.str("HEALTH_FILES_BUCKET", default="")
HEALTH_FILES_ENDPOINT_URL = env.str("HEALTH_FILES_ENDPOINT_URL", default="")
HEALTH_FILES_REGION = env.str("HEALTH_FILES_REGION", default="")
# The largest lab report or ID photo she may upload (bytes).
HEALTH_FILE_MAX_BYTES = env.int("HEALTH_FILE_MAX_BYTES", default=8 * 1024 * 1024)
# An ID photo is deleted this many days after the clinician's match / mismatch decision.
IDENTITY_PHOTO_RETENTION_DAYS = env.int("IDENTITY_PHOTO_RETENTION_DAYS", default=30)
# Who checks her ID against the name and date of birth she typed (clinic/identity.py).
IDENTITY_PROVIDER = env.str("IDENTITY_PROVIDER", default="clinic.identity.ManualReview")

# Email: console locally; EMAIL_URL=smtp+tls://user:password@host:587 in production.
# django-environ parses the URL; Django 6.1's MAILERS setting takes the result.
_email = env.email_url_config(_url_setting("EMAIL_URL", "consolemail://"))
_smtp_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": bool(_email.get("EMAIL_USE_TLS")),
    "use_ssl": bool(_email.get("EMAIL_USE_SSL")),
    "timeout": 10,
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": _smtp_options if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Oana Health <care@oanahealth.example>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="care@oanahealth.example")
SUPPORT_PHONE = env.str("SUPPORT_PHONE", default="1-800-555-0142")
# The one promise of how soon the care team answers and a clinician reviews an order, on every
# page and email that makes it (footer, messages, treatment page, cart, checkout, emails).
CARE_TEAM_REPLY = "within one business day"
# Who the legal documents name (privacy notice, terms, telehealth consent): the legal entity,
# its postal address, and where privacy requests go. Counsel checks them before go-live.
LEGAL_ENTITY_NAME = env.str("LEGAL_ENTITY_NAME", default="Oana Health, P.C.")
LEGAL_ENTITY_ADDRESS = env.str(
    "LEGAL_ENTITY_ADDRESS", default="100 Example Street, Suite 200, New York, NY 10001"
)
PRIVACY_EMAIL = env.str("PRIVACY_EMAIL", default="privacy@oanahealth.example")

# Background work (emails, refunds, subscription cancellations, the periodic jobs) through
# Django's tasks framework, always enqueued once the transaction commits. Locally and in
# tests (DEBUG on) the immediate backend then runs the task at once, in the same process. With
# DEBUG off the default is the database queue of django-tasks-db: the web request only writes
# a row, and `make worker` runs it.
TASKS_DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"
TASKS = {
    "default": {
        "BACKEND": env.str(
            "TASKS_BACKEND",
            default=(
                "django.tasks.backends.immediate.ImmediateBackend"
                if DEBUG
                else TASKS_DATABASE_BACKEND
            ),
        ),
    }
}

# A task that raises on the queue runs again (oana/retries.py) after each delay of
# TASK_RETRY_DELAYS in turn (seconds: 30 s, 2 min, 10 min, 1 h, 6 h, over seven hours in all),
# TASK_MAX_ATTEMPTS attempts in all (one more than the delays); after the last it stays failed,
# is counted on the admin's index and listed in the admin (Oana > Failed tasks) with a Retry.
TASK_RETRY_DELAYS = env.list("TASK_RETRY_DELAYS", cast=int, default=[30, 120, 600, 3600, 21600])
TASK_MAX_ATTEMPTS = env.int("TASK_MAX_ATTEMPTS", default=len(TASK_RETRY_DELAYS) + 1)
# The worker (`make worker`, oana/worker.py): it writes a heartbeat every
# WORKER_HEARTBEAT_SECONDS (read by /healthz/status, which says the worker is down after
# WORKER_STALE_SECONDS without one); a task left running by a worker silent for
# TASK_LEASE_SECONDS (killed, its machine lost) runs again; after a database error it waits
# each of WORKER_RECONNECT_SECONDS in turn (the last repeating) and tries again, never exits.
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=10)
WORKER_STALE_SECONDS = env.float("WORKER_STALE_SECONDS", default=60)
TASK_LEASE_SECONDS = env.float("TASK_LEASE_SECONDS", default=120)
WORKER_RECONNECT_SECONDS = env.list(
    "WORKER_RECONNECT_SECONDS", cast=float, default=[1, 2, 5, 10, 30]
)
# The schedule (oana/scheduler.py, `make scheduler`): (task, seconds between runs). A task is
# enqueued when that long has passed since any scheduler last enqueued it; each is also a command.
PERIODIC_TASKS = [
    # stripe_reconcile over the last STRIPE_RECONCILE_WINDOW_SECONDS.
    ("orders.tasks.reconcile_with_stripe", 60 * 60),
    # follow_up_questions: reminders to patients who have not answered, declines after that.
    ("orders.tasks.follow_up_questions", 60 * 60),
    # checkins: check-ins that are due, their reminder, the hold when still unanswered.
    ("orders.tasks.checkins", 60 * 60),
    # prune_retention: expired sessions, old webhook payloads, the old access log.
    ("oana.tasks.prune_retention", 24 * 60 * 60),
    # The queue's own finished rows (TASK_RESULT_RETENTION_DAYS, FAILED_TASK_RETENTION_DAYS),
    # by django-tasks-db's prune_db_task_results.
    ("oana.tasks.prune_task_results", 24 * 60 * 60),
]
STRIPE_RECONCILE_WINDOW_SECONDS = env.int("STRIPE_RECONCILE_WINDOW_SECONDS", default=2 * 86400)
TASK_RESULT_RETENTION_DAYS = env.int("TASK_RESULT_RETENTION_DAYS", default=14)
FAILED_TASK_RETENTION_DAYS = env.int("FAILED_TASK_RETENTION_DAYS", default=90)

# Stripe. With no secret key and DEBUG on, checkout uses the local test-mode gateway.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Only tests change this: the real stripe library then talks to a local HTTP server.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
# Seconds to wait for Stripe before telling the patient to try again.
STRIPE_TIMEOUT_SECONDS = env.int("STRIPE_TIMEOUT_SECONDS", default=20)
STRIPE_TEST_MODE = DEBUG and not STRIPE_SECRET_KEY
# Largest webhook body accepted, in bytes; Stripe's events are a few kilobytes.
STRIPE_WEBHOOK_MAX_BYTES = env.int("STRIPE_WEBHOOK_MAX_BYTES", default=256 * 1024)

# A clinician's question to a patient: a reminder after this many days without an answer,
# and the order declined (and refunded) after this many.
QUESTION_REMINDER_DAYS = env.int("QUESTION_REMINDER_DAYS", default=7)
QUESTION_DECLINE_DAYS = env.int("QUESTION_DECLINE_DAYS", default=14)

# Questionnaire answers typed at checkout stay in the browser's session at most this long
# (seconds), and only until the order is placed: they are health data.
CHECKOUT_ANSWERS_MAX_AGE = env.int("CHECKOUT_ANSWERS_MAX_AGE", default=3 * 60 * 60)

# Sessions live in the database, each row encrypted with the health-data keys (a checkout's
# answers and a pending sign-in code sit in it): core/sessions.py. Never cookie sessions.
SESSION_ENGINE = "core.sessions"

# Security: strict by default in production, relaxed only for local HTTP.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# No SECURE_PROXY_SSL_HEADER: X-Forwarded-Proto counts only from TRUSTED_PROXIES
# (oana.proxies.TrustedProxyMiddleware), never from whoever sends it.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^healthz/status$"]

# Content Security Policy: our own origin only, plus Stripe's hosted checkout as a
# form/redirect target. No inline scripts; JSON-LD blocks carry the request nonce.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "form-action": [CSP.SELF, "https://checkout.stripe.com", "https://billing.stripe.com"],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
    # Violations are reported to our own endpoint (oana.views.csp_report), which logs them.
    "report-uri": ["/csp-report/"],
    "report-to": "csp",
}
# Browser features no page of ours uses, switched off for every page (Permissions-Policy).
PERMISSIONS_POLICY = ["camera", "microphone", "geolocation", "payment"]

# Staff sign-in: password, then a second factor (django-otp: an authenticator app, or a
# recovery code). Failed attempts lock the username and the client address (django-axes).
OTP_TOTP_ISSUER = "Oana Health staff"
AXES_FAILURE_LIMIT = env.int("STAFF_LOGIN_FAILURE_LIMIT", default=5)
# A lockout lasts STAFF_LOCKOUT_MINUTES the first time in a day for that username, then twice
# as long each time after, at most STAFF_LOCKOUT_MAX_MINUTES (oana/lockout.py); superusers are
# emailed. The address is throttled on its own as well (RATE_LIMITS["staff_sign_in"]).
STAFF_LOCKOUT_MINUTES = env.int("STAFF_LOCKOUT_MINUTES", default=5)
STAFF_LOCKOUT_MAX_MINUTES = env.int("STAFF_LOCKOUT_MAX_MINUTES", default=24 * 60)
AXES_COOLOFF_TIME = "oana.lockout.cool_off"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# One identity per account, whatever letter case or email is typed (oana/lockout.py).
AXES_USERNAME_CALLABLE = "oana.lockout.identity"
AXES_CLIENT_IP_CALLABLE = "oana.proxies.client_ip"
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "oana.two_factor.locked_out"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token"]
AXES_VERBOSE = False
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Staff sessions end after this long without a request, and this long after sign-in
# whatever happens (oana.middleware.StaffSessionMiddleware).
STAFF_SESSION_IDLE_SECONDS = env.int("STAFF_SESSION_IDLE_MINUTES", default=30) * 60
STAFF_SESSION_MAX_SECONDS = env.int("STAFF_SESSION_MAX_HOURS", default=12) * 3600
# A patient's session ends after this long without a request (oana.middleware too).
PATIENT_SESSION_IDLE_SECONDS = env.int("PATIENT_SESSION_IDLE_HOURS", default=24) * 3600

# Rate limits ("count/period", per client address and per email where there is one; see
# core/ratelimit.py), counted in the cache: set CACHE_URL=redis://... in production so that
# every process shares the counts. A request over a limit gets a 429 page with Retry-After.
RATE_LIMITS = {
    # Adding to or removing from the cart.
    "cart": env.str("RATE_LIMIT_CART", default="60/10m"),
    # Every submission of the checkout questionnaire.
    "checkout": env.str("RATE_LIMIT_CHECKOUT", default="20/10m"),
    # Valid submissions, each of which opens a Stripe Checkout Session.
    "payment": env.str("RATE_LIMIT_PAYMENT", default="10/h"),
    # Stripe's webhook deliveries: generous, so its retries always get through.
    "stripe_webhook": env.str("RATE_LIMIT_STRIPE_WEBHOOK", default="1000/m"),
    # Browsers' Content-Security-Policy violation reports.
    "csp_report": env.str("RATE_LIMIT_CSP_REPORT", default="30/m"),
    # Staff password attempts (right or wrong) from one address, on top of the lockouts.
    "staff_sign_in": env.str("RATE_LIMIT_STAFF_SIGN_IN", default="20/h"),
    # Patients asking for a sign-in code, per address and per email.
    "sign_in_code": env.str("SIGN_IN_CODE_REQUESTS_PER_ADDRESS", default="20/m"),
    "sign_in_code_email": env.str("SIGN_IN_CODE_REQUESTS_PER_EMAIL", default="3/m"),
    # Wrong sign-in codes, whatever code they were meant for: per address, and per email.
    # Going over pauses that address's or email's code sign-in for LOCKOUT_SECONDS.
    "sign_in_code_failure": env.str("SIGN_IN_CODE_FAILURES_PER_ADDRESS", default="20/h"),
    "sign_in_code_failure_email": env.str("SIGN_IN_CODE_FAILURES_PER_EMAIL", default="5/d"),
}
# How long a limit on failures pauses the address or email that went over it.
LOCKOUT_SECONDS = {
    "sign_in_code_failure": env.int("SIGN_IN_CODE_LOCK_MINUTES", default=60) * 60,
}

# Health data at rest (questionnaire answers, clinician notes): Fernet keys, comma-separated,
# the first encrypts and all decrypt (core/encryption.py). Never derived from SECRET_KEY.
# With DEBUG on and none set, a fixed development key (public, in this file) is used; with
# DEBUG off a system check refuses to start without real keys or with that one.
DEVELOPMENT_FIELD_ENCRYPTION_KEY = "b2FuYS1kZXZlbG9wbWVudC1vbmx5LWtleS0wMDAwMDA="
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[]) or (
    [DEVELOPMENT_FIELD_ENCRYPTION_KEY] if DEBUG else []
)
# Keys that decrypt and never encrypt: the first phase of a key rotation puts the new key here
# on every node and worker, before any process encrypts with it (docs/security.md).
FIELD_DECRYPTION_ONLY_KEYS = env.list("FIELD_DECRYPTION_ONLY_KEYS", default=[])

# Retention (manage.py prune_retention): stored Stripe webhook payloads are blanked after this
# many days (the event id stays, so a repeated delivery is still refused), and the
# questionnaire access log (who saw whose answers) is kept this long, then deleted.
WEBHOOK_PAYLOAD_RETENTION_DAYS = env.int("WEBHOOK_PAYLOAD_RETENTION_DAYS", default=90)
QUESTIONNAIRE_ACCESS_LOG_RETENTION_DAYS = env.int(
    "QUESTIONNAIRE_ACCESS_LOG_RETENTION_DAYS", default=6 * 365 + 2
)
# A stop recorded at checkout (clinic.stop_records) is kept this long (two years: long enough
# for any order she places after it), then deleted.
STOP_RECORD_RETENTION_DAYS = env.int("STOP_RECORD_RETENTION_DAYS", default=2 * 365)
# The key of the hash that links a stop to the email and date of birth she typed (HMAC-SHA256);
# empty: SECRET_KEY. Changing it (or SECRET_KEY, when empty) unlinks the stops recorded before.
STOP_RECORD_HASH_KEY = env.str("STOP_RECORD_HASH_KEY", default="")

# Every log line passes through oana.logging.RedactFilter: no order ids, email addresses or
# query strings (staff searches) in the logs. Django's own loggers use the same handler. Every
# line, web and worker, reads "time level logger message" (UTC, ISO 8601); LOG_FORMAT=json
# writes the same fields as one JSON object a line. A cache that stops answering is logged
# once every CACHE_ERROR_LOG_SECONDS, not on every call (oana.logging.OncePerInterval).
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
CACHE_ERROR_LOG_SECONDS = env.int("CACHE_ERROR_LOG_SECONDS", default=10)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "oana.logging.RedactFilter"},
        "once_in_a_while": {
            "()": "oana.logging.OncePerInterval",
            "seconds": CACHE_ERROR_LOG_SECONDS,
        },
    },
    "formatters": {"oana": {"()": "oana.logging.formatter", "log_format": LOG_FORMAT}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"], "formatter": "oana"},
        # runserver's request lines, in the same format.
        "django.server": {
            "class": "logging.StreamHandler",
            "filters": ["redact"],
            "formatter": "oana",
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        # The stripe library logs every API call at INFO ("Stripe API response"): a line per
        # call is noise, and under load it filled a node's log pipe until the worker blocked.
        # Its warnings and errors still show; our adapter logs what matters.
        "stripe": {"level": "WARNING"},
        # The callers that say the cache did not answer (they go on without it).
        "core.cache": {"filters": ["once_in_a_while"]},
        "core.ratelimit": {"filters": ["once_in_a_while"]},
    },
}

# Error reports: Sentry when SENTRY_DSN is set, scrubbed of health data (oana/sentry.py).
from oana.sentry import init_sentry  # noqa: E402

SENTRY_ENABLED = init_sentry(
    env.str("SENTRY_DSN", default=""),
    environment=env.str("SENTRY_ENVIRONMENT", default="production"),
    release=env.str("SENTRY_RELEASE", default=""),
)
