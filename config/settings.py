"""Observa settings, read from the environment (see README, "Settings").

DATABASE_URL unset: a SQLite file beside manage.py (the embedded default).
REDIS_URL unset: Celery runs tasks eagerly in-process; set: the real broker.
"""

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str, env_url
from config.storage import media_storage_from_env

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Before the admin: content in each language (translation.py in each app).
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "import_export",
    # The observer API's documentation page, with Swagger UI from the package (no CDN).
    "ninja",
    "missions",
    "observers",
    "stations",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files in production; in debug runserver serves them.
    *([] if DEBUG else ["whitenoise.middleware.WhiteNoiseMiddleware"]),
    # A released statement's file, like a static one, before sessions and accounts.
    "reports.statements.press.ReleasedDownloadMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's own language wins over their browser's.
    "missions.languages.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Production fails closed (security) ---------------------------------------------------
# With DEBUG off the embedded SQLite file and in-process jobs would lose data and statements
# silently; production must name its PostgreSQL and Redis. EMBEDDED_SERVICES=true is the
# explicit opt-out (the test suite uses it to run on SQLite).
EMBEDDED_SERVICES = env_bool("EMBEDDED_SERVICES", default=DEBUG)
if not EMBEDDED_SERVICES:
    _missing = [name for name in ("DATABASE_URL", "REDIS_URL") if env_str(name) is None]
    if _missing:
        raise ImproperlyConfigured(
            f"{' and '.join(_missing)} must be set when DEBUG is off: production runs on "
            "PostgreSQL (DATABASE_URL=postgres://…) and Redis (REDIS_URL=redis://…). "
            "Set EMBEDDED_SERVICES=true to run on SQLite with in-process jobs anyway."
        )
# --- end production fails closed -----------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        env_url("DATABASE_URL", ("postgres", "postgresql", "sqlite"))
        or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# English first; Russian and Chinese are the mission's other languages.
LANGUAGE_CODE = "en"
# Users type en, ru and zh (missions.languages); Django knows Simplified Chinese as zh-hans and
# its catalogue lives in locale/zh_Hans. Dates and numbers follow config/formats/<language>.
LANGUAGES = [("en", _("English")), ("ru", _("Russian")), ("zh-hans", _("Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
# Content in each language (names, places, checklists, authored texts): one column per
# language, read in the active language. A field left empty in a language reads the English
# one, except where a model's translation options say otherwise (docs/languages.md); the
# statement pages list what is missing before a coordinator compiles.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = tuple(code for code, _name in LANGUAGES)
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    # Visit attachments and statement documents: MEDIA_ROOT, or an S3-compatible bucket
    # when MEDIA_S3_BUCKET is set (config/storage.py).
    "default": media_storage_from_env(),
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Statement downloads: who sends the file's bytes. "" (default) — the Django worker;
# "x-accel-redirect" — nginx, from an `internal` location mapped at DOWNLOAD_OFFLOAD_PREFIX onto
# MEDIA_ROOT; "x-sendfile" — Apache mod_xsendfile or lighttpd, given the file's path.
DOWNLOAD_OFFLOAD = (env_str("DOWNLOAD_OFFLOAD", "") or "").lower()
if DOWNLOAD_OFFLOAD not in ("", "x-accel-redirect", "x-sendfile"):
    raise ImproperlyConfigured(
        f"DOWNLOAD_OFFLOAD={DOWNLOAD_OFFLOAD!r}: use x-accel-redirect, x-sendfile or nothing."
    )
DOWNLOAD_OFFLOAD_PREFIX = env_str("DOWNLOAD_OFFLOAD_PREFIX", "/protected-media/")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Uploads of observer rosters and station lists; 10,101 stations fit well below this.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
# A cell that a spreadsheet would run as a formula (= + - @ tab CR) is neutralised by the
# exports' own formats (missions.imports.SafeCSV / SafeXLSX), which keep the value whole.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False

# Celery: a real Redis broker when REDIS_URL is set, otherwise tasks run in-process.
REDIS_URL = env_url("REDIS_URL", ("redis", "rediss"))
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# A web request that sends a job must not hang on a broker that is down: give up within a
# few seconds (the job stays queued and the sweep sends it).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A statement being compiled when the broker goes away is finished: its result goes to the
# database, not to the broker (a later redelivery finds it ready).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TIMEZONE = TIME_ZONE
# A worker compiling a statement holds it under a lease this long, renewed by a heartbeat
# every STATEMENT_HEARTBEAT_SECONDS while the job runs: a killed child or worker, or a dead
# database connection, frees the statement within the lease.
STATEMENT_LEASE_SECONDS = env_int("STATEMENT_LEASE_SECONDS", 30)
if STATEMENT_LEASE_SECONDS < 10:
    raise ImproperlyConfigured("STATEMENT_LEASE_SECONDS must be at least 10.")
STATEMENT_HEARTBEAT_SECONDS = env_int("STATEMENT_HEARTBEAT_SECONDS", STATEMENT_LEASE_SECONDS // 3)
if not 1 <= STATEMENT_HEARTBEAT_SECONDS <= STATEMENT_LEASE_SECONDS // 2:
    raise ImproperlyConfigured(
        "STATEMENT_HEARTBEAT_SECONDS must be between 1 and half of STATEMENT_LEASE_SECONDS: "
        "one late heartbeat must not lose the lease."
    )
# The sweep (celery beat) runs this often: it re-sends the jobs of expired leases, of
# versions queued while the broker was down or lost in a Redis restart, and removes files
# no document points to.
STATEMENT_SWEEP_SECONDS = env_int("STATEMENT_SWEEP_SECONDS", max(5, STATEMENT_LEASE_SECONDS // 3))
if STATEMENT_SWEEP_SECONDS < 1:
    raise ImproperlyConfigured("STATEMENT_SWEEP_SECONDS must be at least 1.")
# A queued version no worker has started after this long is sent again (its message may be
# lost); an extra message is harmless, the claim lets one worker compile.
STATEMENT_RESEND_AFTER_SECONDS = env_int(
    "STATEMENT_RESEND_AFTER_SECONDS", 2 * STATEMENT_LEASE_SECONDS
)
if STATEMENT_RESEND_AFTER_SECONDS < STATEMENT_LEASE_SECONDS:
    raise ImproperlyConfigured(
        "STATEMENT_RESEND_AFTER_SECONDS must be at least STATEMENT_LEASE_SECONDS."
    )
# Compiling is cut short after this long (soft limit: the version fails with a message;
# hard limit: the process is killed, the lease expires and the sweep sends the job again).
STATEMENT_TIME_LIMIT_SECONDS = env_int("STATEMENT_TIME_LIMIT_SECONDS", 600)
if STATEMENT_TIME_LIMIT_SECONDS < STATEMENT_LEASE_SECONDS:
    raise ImproperlyConfigured(
        "STATEMENT_TIME_LIMIT_SECONDS must be at least STATEMENT_LEASE_SECONDS."
    )
# A redelivered task must never arrive while the first delivery is still working:
# keep the visibility timeout above the longest job.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
}
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= STATEMENT_TIME_LIMIT_SECONDS:
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must exceed STATEMENT_TIME_LIMIT_SECONDS: Redis would hand a "
        "statement job to a second worker while the first may still be compiling it."
    )
CELERY_TASK_ANNOTATIONS = {
    "reports.tasks.statement_compile_task": {
        "soft_time_limit": STATEMENT_TIME_LIMIT_SECONDS * 9 // 10,
        "time_limit": STATEMENT_TIME_LIMIT_SECONDS,
    }
}
# Run by `celery -A config beat`. A sweep still waiting when the next is due is superseded.
CELERY_BEAT_SCHEDULE = {
    "statements-sweep": {
        "task": "reports.tasks.statements_sweep_task",
        "schedule": float(STATEMENT_SWEEP_SECONDS),
        "options": {"expires": max(1, STATEMENT_SWEEP_SECONDS - 1)},
    },
}

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The public's press list and released files' details are cached at most this long (the list
# never past the next embargo lift). Off without Redis: a cache of each process's own would not
# hear of a statement published or withdrawn in another.
PRESS_CACHE_SECONDS = env_int("PRESS_CACHE_SECONDS", 300 if REDIS_URL else 0)

# Production hardening; `manage.py check --deploy` reports nothing with DEBUG off.
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # The PDF renderer narrates every layout step at INFO.
    "loggers": {
        "weasyprint.progress": {"level": "WARNING"},
        # Every login and lockout is in the database (admin: Axes); the log keeps warnings.
        "axes": {"level": "WARNING"},
    },
}
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)


# --- Security: login throttling, MFA, CSP, sessions, audit (README "Security") -------------
import datetime  # noqa: E402

INSTALLED_APPS += [
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "auditlog",
    "accounts",
    "audit",
]
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out user or address is refused before the password is checked.
    "accounts.backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Per-mission permissions (missions/permissions.py): user.has_perm(MANAGE, mission).
    "rules.permissions.ObjectPermissionBackend",
]
MIDDLEWARE += [
    # Content-Security-Policy on every response (policy below).
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.PermissionsPolicyMiddleware",
    # After authentication and messages: the idle timeout and the second factor.
    "accounts.middleware.AccountSecurityMiddleware",
    # Who made a change, for the audit trail (django-auditlog).
    "auditlog.middleware.AuditlogMiddleware",
    "audit.middleware.AuditActorMiddleware",
    # Last, as django-axes requires: turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]
# The audit trail stores changes as JSON; the mission of each entry is in additional_data.
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_DISABLE_ON_RAW_SAVE = True
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", default=False)
# Locked out per account and, separately, per address: guessing one user's password from
# many addresses, or many users' from one, both stop after LOGIN_FAILURE_LIMIT tries.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "accounts.backends.client_ip"
AXES_VERBOSE = False

# Sessions: logged out after SESSION_IDLE_MINUTES without a request, and after
# SESSION_MAX_HOURS in any case (an election day is long; two weeks was too long).
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_MINUTES", 60) * 60
SESSION_COOKIE_AGE = env_int("SESSION_MAX_HOURS", 16) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
if SESSION_IDLE_TIMEOUT < 60:
    raise ImproperlyConfigured("SESSION_IDLE_MINUTES must be at least 1.")

# Two-factor authentication (django-otp): the issuer shown in the authenticator app.
OTP_TOTP_ISSUER = env_str("MFA_ISSUER", "Observa")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# Password reset e-mails. Without EMAIL_HOST they are printed to the log (development).
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = EMAIL_HOST or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "observa@localhost")

# Content-Security-Policy (django-csp): scripts, styles, fonts and images only from this
# site's own files; no inline script or style, no eval, no framing, no plugins. A page that
# needs a script puts it in static/ and loads it with <script src>; data for it goes in
# data-* attributes or {{ value|json_script:"id" }} (a JSON block, which is not run).
# `data:` images are Bootstrap's and the admin's icons inside their CSS files.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browser features no page uses; a page that needs one (e.g. geolocation for a form) must
# list it here as ["self"] rather than drop the header.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": [],
    "usb": [],
    "interest-cohort": [],
}
# --- end security -------------------------------------------------------------------------

# The operations room: a team is flagged silent after this many minutes without filing a
# visit; the feed of serious concerns refreshes this often; the map's tiles come from here
# ({z}/{x}/{y} as Leaflet reads them; the stations still show when tiles cannot be loaded).
OPERATIONS_SILENT_MINUTES = env_int("OPERATIONS_SILENT_MINUTES", 60)
OPERATIONS_FEED_SECONDS = env_int("OPERATIONS_FEED_SECONDS", 15)
# Coverage, teams and charts read the whole mission: counted at most this often (0: always).
OPERATIONS_FIGURES_SECONDS = env_int("OPERATIONS_FIGURES_SECONDS", 30)
# An XLSX export of more rows than this is written by a worker, its progress shown to the
# coordinator (a workbook is sent only once finished); CSV exports always stream.
OPERATIONS_EXPORT_JOB_ROWS = env_int("OPERATIONS_EXPORT_JOB_ROWS", 50_000)
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors")
if OPERATIONS_SILENT_MINUTES < 1 or OPERATIONS_FEED_SECONDS < 1:
    raise ImproperlyConfigured(
        "OPERATIONS_SILENT_MINUTES and OPERATIONS_FEED_SECONDS must be at least 1."
    )
# The map's tiles are the one kind of file a page loads from elsewhere: their server, and
# nothing more, joins the policy's images.
_tiles = urlsplit(MAP_TILE_URL.replace("{s}.", "subdomain."))
if _tiles.scheme in ("http", "https") and _tiles.hostname:
    _tile_host = _tiles.netloc.replace("subdomain.", "*.")
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_tiles.scheme}://{_tile_host}")
