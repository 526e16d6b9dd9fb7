"""One settings module, read from the environment.

Nothing set is production-safe: DEBUG off, so SECRET_KEY is required. The embedded default for a
laptop (`make run`, `make test`, pytest through tests/environment.py) is DEBUG=1: SQLite, Celery
eager, SMS and e-mail to the console and the outbox (/dev/outbox/, every code in clear).
Production: DATABASE_URL, REDIS_URL, SECRET_KEY, TWILIO_*, EMAIL_URL (DEBUG unset or 0).
A bad value stops start-up with a message naming the variable.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if os.environ.get("ENV_FILE") or (BASE_DIR / ".env").exists():
    environ.Env.read_env(os.environ.get("ENV_FILE") or BASE_DIR / ".env")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0/true/false/yes/no/on/off, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# Off unless asked for: an unset DEBUG must never publish /dev/outbox/ or a known SECRET_KEY.
DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("TESTING", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
elif not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters when DEBUG is off")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DEBUG is off")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Load balancers / reverse proxies in front of the app that append to X-Forwarded-For; the
# client address (for rate limits, locks and the audit) is taken from there.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The annual salary declaration is due on this day (month, day) unless the fund set the year's
# dates in the admin (DeclarationPeriod).
try:
    SALARY_DECLARATION_DUE = tuple(
        int(part) for part in os.environ.get("SALARY_DECLARATION_DUE", "1-31").split("-"))
    __import__("datetime").date(2024, *SALARY_DECLARATION_DUE)  # a leap year: 2-29 is fine
except (TypeError, ValueError) as exc:
    raise ImproperlyConfigured(
        "SALARY_DECLARATION_DUE must be MONTH-DAY, e.g. 1-31 (31 January)") from exc

# The fund as letters, PDFs and pages name it (letterhead, page titles, admin header).
FUND_NAME = os.environ.get("FUND_NAME", "Caisse de pension Alpina").strip()
FUND_ADDRESS = os.environ.get("FUND_ADDRESS", "Avenue de la Gare 10, 1003 Lausanne").strip()
FUND_PHONE = os.environ.get("FUND_PHONE", "+41 21 555 66 80").strip()
FUND_EMAIL = os.environ.get("FUND_EMAIL", "clients@alpina-pension.example").strip()
if not FUND_NAME:
    raise ImproperlyConfigured("FUND_NAME must not be empty: every letter and page shows it")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_totp",
    "two_factor",
    "two_factor.plugins.phonenumber",
    "formtools",
    "phonenumber_field",
    "axes",
    "accounts",
    "policies",
    "simulations",
    "portals",
    "portals.insured",
    "portals.employer",
    "portals.broker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "portals.middleware.NoStoreForAuthenticatedMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portals.urls"
WSGI_APPLICATION = "portals.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portals.context_processors.portal",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
try:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
except Exception as exc:  # django-environ raises several types for a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
if DATABASES["default"].get("ENGINE") not in (
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
):
    raise ImproperlyConfigured("DATABASE_URL must be a sqlite:// or postgres:// URL")
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if IS_POSTGRES:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery ---------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix://")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "portals.redis_clients.RedisCache", "LOCATION": REDIS_URL}
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Europe/Zurich"

# --- Auth ---------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailOrAhvBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# One validator: the house rule (groups, passphrase length, 128 maximum, e-mail/name/AHV), which
# runs Django's length, similarity, common and numeric checks itself, so that every password form
# shows one rule text.
AUTH_PASSWORD_VALIDATORS = [{"NAME": "accounts.password_validation.PasswordPolicyValidator"}]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal-chooser"
LOGOUT_REDIRECT_URL = "landing"

TWO_FACTOR_SMS_GATEWAY = "accounts.gateways.OutboxSmsGateway"
TWO_FACTOR_PATCH_ADMIN = False
TWO_FACTOR_REMEMBER_COOKIE_AGE = None
PHONENUMBER_DEFAULT_REGION = "CH"
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Caisse de pension")
# Device admins are unregistered (accounts/admin.py); should one come back, it shows no key or QR.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "auth-username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
# The wizard posts auth-username but Django's failure signal says username: without this callable
# axes records no username and never locks. E-mail and AHV of one person share one counter.
AXES_USERNAME_CALLABLE = "accounts.security.axes_username"
# The login page itself says "locked" (same status as any failed login; see accounts.forms).
AXES_LOCKOUT_CALLABLE = "accounts.security.axes_lockout_response"
# Unlock one hour after the lock, not one hour after the attacker's last try.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False
AXES_ENABLED = env_bool("AXES_ENABLED", True)

# Second factor: no growing delay, but 5 wrong codes per challenge, then a new code is needed.
OTP_TOTP_THROTTLE_FACTOR = 0
TWO_FACTOR_PHONE_THROTTLE_FACTOR = 0
SECOND_FACTOR_MAX_FAILURES = 5

SESSION_ENGINE = "accounts.session_store"
SESSION_COOKIE_AGE = 12 * 60 * 60  # absolute limit; idle limit in middleware
SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60  # the DB expiry moves on each write; this does not
SESSION_IDLE_SECONDS = 30 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Messages (SMS, e-mail) ---------------------------------------------------------------------
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER", "")
_twilio = [TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER]
if any(_twilio) and not all(_twilio):
    raise ImproperlyConfigured(
        "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER must be set together"
    )
SMS_BACKEND = "twilio" if all(_twilio) else "console"

EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    try:
        vars().update(env.email_url_config(EMAIL_URL))
    except Exception as exc:
        raise ImproperlyConfigured(f"EMAIL_URL is not a valid e-mail URL: {exc}") from exc
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "portail@caisse-pension.example")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
MESSAGE_CODE_TTL_SECONDS = 10 * 60

# --- i18n ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("de", "Deutsch"), ("it", "Italiano"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Zurich"
USE_I18N = True
USE_TZ = True

# --- Files --------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = BASE_DIR / "var" / "media"
# Documents live outside MEDIA_ROOT and have no URL: only a permission-checked view serves them.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", BASE_DIR / "var" / "private"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# A file uploaded to a portal (mutations, salary declaration) is skipped past 10 MB before it
# reaches memory or disk (portals/common/uploads.py).
PORTAL_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "portals.common.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Security -----------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "django.db.backends": {"level": "INFO"}},
}
LOGIN_URL_PATH = "/account/login/"
FORMAT_MODULE_PATH = ["portals.formats"]
# Lockout is per account (issue: 10 consecutive failures). Locking by IP as well would lock out a
# whole employer behind one NAT address; the per-account lock already stops guessing.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

CELERY_BEAT_SCHEDULE = {
    "housekeeping": {"task": "accounts.tasks.housekeeping", "schedule": 60.0},
    "policies-housekeeping": {"task": "policies.tasks.housekeeping", "schedule": 24 * 3600.0},
}
