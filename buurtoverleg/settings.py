"""Settings for buurtoverleg: one file, driven by environment variables.

Defaults give a working local app (SQLite, tasks in-process, mail to files). Production sets
DEBUG off, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
# Commands that never sign or serve anything may run without a key (editor and CI hooks).
KEYLESS_COMMANDS = {"makemigrations", "makemessages", "compilemessages"}
if not SECRET_KEY:
    keyless = len(sys.argv) > 1 and sys.argv[1] in KEYLESS_COMMANDS
    if not DEBUG and not keyless and not envbool("ALLOW_INSECURE_KEY", False):
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",  # Open data API (problems/api/views.py)
    "django_filters",
    "drf_spectacular",
    # The apps form a line: each imports only those above it here (pyproject's import-linter
    # contract). The platform first; its registries are filled by the apps' ready().
    "buurtoverleg",
    "buurtoverleg.mail",
    "residents",
    "problems",
    "meetings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "buurtoverleg.errors.RejectNulMiddleware",  # before anything reads the session
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "residents.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "residents.middleware.HtmxRedirectMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "residents.middleware.TeamSecondFactorMiddleware",
]

ROOT_URLCONF = "buurtoverleg.urls"
CSRF_FAILURE_VIEW = "buurtoverleg.errors.csrf_failure"
WSGI_APPLICATION = "buurtoverleg.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "residents.context_processors.navigation",
            ],
        },
    }
]

if not os.environ.get("DATABASE_URL"):
    (BASE_DIR / "var").mkdir(exist_ok=True)  # the default local SQLite file lives here
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Where the login-code and TOTP limits are counted while Redis is down (buurtoverleg.cache);
    # the table comes from a residents migration. A high MAX_ENTRIES: culling would drop
    # counters, and expired ones are removed first anyway.
    "limits": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "residents_limit_cache",
        "OPTIONS": {"MAX_ENTRIES": 1_000_000},
    },
}
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Shared cache so allauth's rate limits hold across gunicorn workers. When Redis is down the
    # backend fails open after at most 0.5 s (and then skips Redis for a few seconds), except
    # for the login-code and TOTP limits, which move to the "limits" cache.
    CACHES["default"] = {
        "BACKEND": "buurtoverleg.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "FALLBACK": "limits",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }


def trusted_proxy_count() -> int:
    """TRUSTED_PROXY_COUNT, or its old name API_TRUSTED_PROXIES; both set must agree."""
    given = {
        name: envint(name, 0)
        for name in ("TRUSTED_PROXY_COUNT", "API_TRUSTED_PROXIES")
        if os.environ.get(name, "") != ""
    }
    if len(set(given.values())) > 1:
        raise ImproperlyConfigured(
            "TRUSTED_PROXY_COUNT and API_TRUSTED_PROXIES (its old name) differ; "
            "set only TRUSTED_PROXY_COUNT."
        )
    count = next(iter(given.values()), 0)
    if count < 0:
        raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more, not {count}")
    return count


# The reverse proxies in front of the app that append to X-Forwarded-For. This one number
# decides the client address of every per-client limit (residents.ratelimits.client_ip):
# allauth's login limits, the API's throttle and our own. Too low and everyone behind the
# proxy shares one counter; too high and a client can choose its own address.
TRUSTED_PROXY_COUNT = trusted_proxy_count()
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

AUTH_USER_MODEL = "residents.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Passwordless login by e-mailed code (django-allauth).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_TIMEOUT = 10 * 60
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 10 * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_GET = False
# Nobody has a password: confirming it is you is by e-mailed code or the second factor.
ACCOUNT_REAUTHENTICATION_METHODS = ("code", "mfa")
ACCOUNT_ADAPTER = "residents.adapters.AccountAdapter"
ACCOUNT_FORMS = {
    "signup": "residents.forms.JoinSignupForm",
    "request_login_code": "residents.account.forms.LoginCodeRequestForm",
}
# "/ip" counts per client address (residents.ratelimits.client_ip, see TRUSTED_PROXY_COUNT).
ACCOUNT_RATE_LIMITS = {
    "request_login_code": "20/m/ip,3/10m/key",
    "login": "30/m/ip",
    "signup": "10/m/ip",
    "confirm_email": "3/m/key",
    # Wrong second-factor codes (TOTP, recovery codes; the key is the account) count per
    # account only: allauth's default also counts per IP, so one person's typos would lock out
    # everyone behind the same address. A right code clears the count.
    "login_failed": "5/5m/key,20/d/key",
    "reauthenticate": "10/m/user",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[buurtoverleg] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "buurtoverleg"
MFA_ADAPTER = "residents.adapters.MFAAdapter"

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and envbool("STATIC_MANIFEST", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Mail: files in var/mail by default; SMTP when EMAIL_HOST is set.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "buurtoverleg <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if smtp_host := os.environ.get("EMAIL_HOST", ""):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": smtp_host,
                "port": envint("EMAIL_PORT", 587),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": envbool("EMAIL_USE_TLS", True),
                "timeout": envint("EMAIL_TIMEOUT", 30),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {
                "file_path": os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
            },
        }
    }

# Celery: Redis when REDIS_URL is set, otherwise tasks run in-process.
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = TIME_ZONE
# Publishing must not hang a page when Redis is down: the mailing is in the database and the
# due-work sweep queues it again once the broker is back. One retry: with the 0.5 s socket
# timeouts below a publish to a broker that does not answer gives up after about a second.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# Like the cache, the broker client gives up within 0.5 s (a Redis command takes well under a
# millisecond); the worker's BRPOP is read when its socket is ready, so it does not hit this.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# One frequent job runs everything that is due (buurtoverleg/due.py; apps register kinds).
CELERY_BEAT_SCHEDULE = {
    "run-due-work": {"task": "meetings.tasks.run_due_work", "schedule": 60},
}

# The outgoing-mail ledger (buurtoverleg.mail).
MAIL_MESSAGE_ID_DOMAIN = os.environ.get("MAIL_MESSAGE_ID_DOMAIN") or (
    SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
)
MAIL_BATCH_SIZE = envint("MAIL_BATCH_SIZE", 50)
# A delivery "sending" for longer than this was caught by a crash: it is sent again (same
# Message-ID). Renewed before each message, so it must exceed the time one message takes
# (each SMTP step is bounded by EMAIL_TIMEOUT).
MAIL_SENDING_STALE_SECONDS = envint("MAIL_SENDING_STALE_SECONDS", 300)
# Queued deliveries older than this are queued again by the sweep (lost broker message).
MAIL_QUEUED_GRACE_SECONDS = envint("MAIL_QUEUED_GRACE_SECONDS", 60)
MAIL_SUPPRESS_AFTER_PERMANENT_FAILURES = envint("MAIL_SUPPRESS_AFTER_PERMANENT_FAILURES", 2)

# Who answers for personal data and accessibility (shown in the statements).
PRIVACY_CONTROLLER = os.environ.get("PRIVACY_CONTROLLER", "")
PRIVACY_CONTACT_EMAIL = os.environ.get("PRIVACY_CONTACT_EMAIL", "")
ACCESSIBILITY_CONTACT_EMAIL = os.environ.get("ACCESSIBILITY_CONTACT_EMAIL", "")

# Members who left lose their personal data after this many days (AVG/GDPR retention).
RETENTION_DAYS_AFTER_LEAVING = envint("RETENTION_DAYS_AFTER_LEAVING", 365)
# Sign-ups whose e-mail address was never confirmed are deleted after this many days.
UNCONFIRMED_SIGNUP_DAYS = envint("UNCONFIRMED_SIGNUP_DAYS", 14)

# The map on the report form (static/js/report-map.js): a tile server with {z}/{x}/{y} in Web
# Mercator. Default: PDOK's BRT-Achtergrondkaart, the Dutch government's free base map.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL") or (
    "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/{y}.png"
)
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION") or "Kaartgegevens © Kadaster"
_map_tiles = urlsplit(MAP_TILE_URL)
if _map_tiles.scheme not in {"https", "http"} or not _map_tiles.hostname:
    raise ImproperlyConfigured(f"MAP_TILE_URL must be an http(s) address, not {MAP_TILE_URL!r}")
# Only the tile server's origin may serve images, besides this site.
MAP_TILE_ORIGIN = f"{_map_tiles.scheme}://{_map_tiles.netloc.rpartition('@')[2]}"

# Content-Security-Policy: no inline scripts or styles anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", MAP_TILE_ORIGIN],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Open data API (problems/api/views.py): anonymous, read-only JSON under /api/, throttled per client
# IP (the same address as every other limit: NUM_PROXIES is TRUSTED_PROXY_COUNT).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_THROTTLE_RATES": {"api": os.environ.get("API_THROTTLE_RATE", "60/min")},
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "buurtoverleg open data",
    "DESCRIPTION": "Neighbourhoods, problem categories and the public problem register.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {"TimelineStatusEnum": "problems.workflow.Status"},
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint tells every step of every PDF at INFO.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}
