"""Observa settings, read from the environment (see README, "Settings").

DATABASE_URL unset: a SQLite file beside manage.py (the embedded default).
REDIS_URL unset: Celery runs tasks eagerly in-process; set: the real broker.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str, env_url

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
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "import_export",
    "missions",
    "observers",
    "stations",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files in production; in debug runserver serves them.
    *([] if DEBUG else ["whitenoise.middleware.WhiteNoiseMiddleware"]),
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
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
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
# A cell starting with "=" must not run as a formula in the coordinator's spreadsheet.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# Celery: a real Redis broker when REDIS_URL is set, otherwise tasks run in-process.
REDIS_URL = env_url("REDIS_URL", ("redis", "rediss"))
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# A redelivered task must never arrive while the first delivery is still working:
# keep the visibility timeout well above the longest job.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
}
CELERY_TIMEZONE = TIME_ZONE
# A worker compiling a statement holds it this long; after that a redelivered task or the
# sweep may take it over. Compiling is cut short (soft limit: the version fails with a
# message; hard limit: the process is killed) before the lease runs out.
STATEMENT_LEASE_SECONDS = env_int("STATEMENT_LEASE_SECONDS", 600)
if STATEMENT_LEASE_SECONDS < 10:
    raise ImproperlyConfigured("STATEMENT_LEASE_SECONDS must be at least 10.")
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= STATEMENT_LEASE_SECONDS:
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must exceed STATEMENT_LEASE_SECONDS: Redis would hand a "
        "statement job to a second worker while the first may still be compiling it."
    )
CELERY_TASK_ANNOTATIONS = {
    "reports.tasks.statement_compile_task": {
        "soft_time_limit": STATEMENT_LEASE_SECONDS * 9 // 10,
        "time_limit": STATEMENT_LEASE_SECONDS * 19 // 20,
    }
}
# Run by `celery -A config beat`: re-send statement jobs lost to a dead worker or a Redis
# restart. A sweep still waiting after a minute is superseded by the next one.
CELERY_BEAT_SCHEDULE = {
    "statements-sweep": {
        "task": "reports.tasks.statements_sweep_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
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
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
