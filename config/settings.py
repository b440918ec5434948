"""Django settings, read from the environment with safe defaults for `make run`.

Without any variables set, the app runs the embedded way: SQLite under var/, Celery tasks inline,
email written to files under var/mail/. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY,
ALLOWED_HOSTS, SITE_URL and an email transport.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

# Core
DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-debug-mode"
# Earlier keys, comma-separated, after a rotation: sessions, signed links and stored provider
# credentials made under them still open.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
# Absolute links (emails, quick links) are built from this, never from the request's Host header.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django.forms",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "axes",
    "companies",
    "customers",
    "orders",
    "quicklinks",
    "segments",
    "exports",
    "imports",
    "dashboard",
    "audit",
    "messaging",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.middleware.CleanTextMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.PrivateResponsesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "audit.context.AuditAddressMiddleware",
    "companies.middleware.CompanyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "companies.context_processors.company",
            ],
        },
    },
]

# Forms render through templates/django/forms/ so every widget gets Bootstrap's classes.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Database: PostgreSQL in production and CI, an SQLite file under var/ for `make run`.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) serve PostgreSQL's list pages; SQLite builds them without the included
# columns, which is right for `make run`, so its warning (models.W040) would only be noise there.
SILENCED_SYSTEM_CHECKS = ["models.W040"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else []

# Authentication
AUTH_USER_MODEL = "companies.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"
# Sign-in throttling (django-axes, for the staff and the admin sign-in): after this many wrong
# passwords for one email, or from one client address, that email or address waits this long.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# SMS go through this provider; the default writes each message to a file under var/sms/.
SMS_BACKEND = env_str("SMS_BACKEND", "messaging.backends.file.FileSmsBackend")
SMS_FILE_PATH = Path(env_str("SMS_FILE_PATH", str(VAR_DIR / "sms")))
SMS_MAX_PARTS = 10
# SMS_BACKEND=messaging.backends.smsru.SmsRuBackend sends through SMS.ru with these; its status
# callback URL is SITE_URL + /messages/callbacks/smsru/<SMSRU_CALLBACK_SECRET>/.
SMSRU_URL = env_str("SMSRU_URL", "https://sms.ru")
SMSRU_API_ID = env_str("SMSRU_API_ID", "")
SMSRU_SENDER = env_str("SMSRU_SENDER", "")
SMSRU_TIMEOUT = float(env_str("SMSRU_TIMEOUT", "10"))
SMSRU_CALLBACK_SECRET = env_str("SMSRU_CALLBACK_SECRET", "")
# Web push (RFC 8030/8291, VAPID): the server's key pair, as a PEM file. Without one, a key is made
# once under var/ (keep it: a new key makes every browser's subscription stale). WEBPUSH_CONTACT
# goes to the push services with each message, as the VAPID "sub" claim.
WEBPUSH_VAPID_KEY_FILE = Path(env_str("WEBPUSH_VAPID_KEY_FILE", str(VAR_DIR / "webpush-vapid.pem")))
WEBPUSH_CONTACT = env_str("WEBPUSH_CONTACT", "mailto:support@example.com")
WEBPUSH_TIMEOUT = float(env_str("WEBPUSH_TIMEOUT", "10"))
# Browsers' push services are all https; tests talk to a local one on http.
WEBPUSH_ALLOW_HTTP = DEBUG or env_bool("WEBPUSH_ALLOW_HTTP", False)

# The activity log keeps two years unless told otherwise; older entries are swept daily.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 730)

AXES_FAILURE_LIMIT = env_int("SIGN_IN_ATTEMPTS", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGN_IN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "companies.views.sign_in_email"  # case and spaces make no fresh allowance
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "companies.views.signed_in_too_often"
# REMOTE_ADDR only, as for quick links: a client-supplied X-Forwarded-For must not reset the count.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AXES_VERBOSE = False
# Password-reset emails a client address, and an email address, may ask for per hour.
PASSWORD_RESETS_PER_HOUR = env_int("PASSWORD_RESETS_PER_HOUR", 5)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: the user's own choice, else their company's, else the browser's.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# Static files, vendored under static/ (no CDN, no build step) and served by WhiteNoise.
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
    # Excel exports: not under MEDIA_URL, only the download view (signed-in admins) serves them.
    # The web and worker processes must share it (a volume, or an S3-like backend).
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "exports")},
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"  # served by runserver under DEBUG, by the proxy in production (README)
# Product images: the largest upload, the most pixels decoded, and the long side of what is stored.
PRODUCT_IMAGE_LIMITS = {
    "file_bytes": env_int("PRODUCT_IMAGE_MAX_MB", 5) * 1024 * 1024,
    "pixels": 50_000_000,
    "image_side": 1600,
    "thumbnail_side": 320,
}

# Celery: a Redis broker when REDIS_URL is set, otherwise tasks run inline in the web process.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# The queue tasks go to and workers read: two deployments sharing one Redis keep theirs apart.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "scan-duplicates-nightly": {
        "task": "customers.tasks.scan_duplicates_everywhere",
        "schedule": crontab(hour=3, minute=30),
    },
    "fail-stalled-exports": {"task": "exports.tasks.fail_stalled_exports", "schedule": 300},
    "fail-stalled-imports": {"task": "imports.tasks.fail_stalled_imports", "schedule": 300},
    "resolve-stalled-messages": {"task": "messaging.tasks.resolve_stalled_messages", "schedule": 300},
    "poll-sms-deliveries": {"task": "messaging.tasks.poll_deliveries", "schedule": 600},
    "send-due-messages": {"task": "messaging.tasks.send_due_messages", "schedule": 60},
    "resume-campaigns": {"task": "messaging.tasks.resume_campaigns", "schedule": 60},
    "birthday-greetings": {"task": "messaging.tasks.send_birthday_greetings", "schedule": crontab(minute=5)},
    "delete-expired-exports": {"task": "exports.tasks.delete_expired_exports", "schedule": crontab(minute=15)},
    "delete-expired-audit-entries": {
        "task": "audit.tasks.delete_expired_entries",
        "schedule": crontab(hour=3, minute=40),
    },
}

# Excel: data rows per worksheet of an export (the .xlsx limit is 1,048,576 rows with the header).
EXPORT_SHEET_ROWS = 1_048_575
# Excel import limits: the upload, what its zip may unpack to, its table of texts, and data rows.
IMPORT_LIMITS = {
    "file_bytes": env_int("IMPORT_MAX_MB", 20) * 1024 * 1024,
    "unpacked_bytes": 400 * 1024 * 1024,
    "shared_strings_bytes": 100 * 1024 * 1024,
    "rows": env_int("IMPORT_MAX_ROWS", 200_000),
}

# Cache: Redis when configured (shared by all web processes), local memory otherwise.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Email: SMTP from EMAIL_URL-style settings in production, files under var/mail/ otherwise.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CRM <noreply@localhost>")

# Security: strict in production; `check --deploy` is clean when DEBUG is off.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
# Label colours are inline styles; no inline scripts and nothing from other sites.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Quick order links: requests per minute from one client address before a 429.
QUICKLINK_REQUESTS_PER_MINUTE = env_int("QUICKLINK_REQUESTS_PER_MINUTE", 120)

# Tables
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"
DJANGO_TABLES2_PAGE_RANGE = 8

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_without_traceback": {"()": "config.logging.ClientErrorsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Routine 403s and 404s log one line, not a traceback; server errors keep theirs.
    "loggers": {
        "django.request": {"filters": ["client_errors_without_traceback"]},
        "axes": {"level": "WARNING"},  # every sign-in would log a line; lockouts still do
        # Tasks run inline (no REDIS_URL) would log every success into the web console.
        **({"celery.app.trace": {"level": "WARNING"}} if CELERY_TASK_ALWAYS_EAGER else {}),
    },
}
