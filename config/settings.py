"""Coverline settings: one file, every deploy-time value from the environment.

The defaults make `make run` work with no service: SQLite, the kombu filesystem broker and
local disk. DATABASE_URL, CELERY_BROKER_URL and the AWS_* variables switch to PostgreSQL,
Redis and S3. `.env.example` lists every variable.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Runtime state (SQLite file, broker folders, local media) lives in var/, outside git.
VAR_DIR = Path(env.str("COVERLINE_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key"  # noqa: S105 - only reachable with DEBUG on

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "storages",
    # The apps, bottom of the stack first (README "How the parts fit together").
    "core",
    "notifications",
    "photos",
    "contest",
    "moderation",
    "gallery",
    "jury",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
]

# bench/gallery.py points it at bench/bench_urls.py (the site plus a bare baseline view).
ROOT_URLCONF = env.str("ROOT_URLCONF", default="config.urls")
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'coverline.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The dev run has a web server and a worker writing at once: wait for the lock, and take
    # it at the start of a transaction so two writers never deadlock on an upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "sesame.backends.ModelBackend",
]
LOGIN_URL = "contest:signin"

# Sign-in links (django-sesame): stateless, so the link works on whichever phone reads the
# mail; valid for a day; invalidated once the participant signs out everywhere is not needed.
SESAME_MAX_AGE = env.int("SIGNIN_LINK_MAX_AGE", default=24 * 3600)
SESAME_TOKEN_NAME = "jeton"  # noqa: S105 - a query parameter name
SIGNIN_RATE_PER_HOUR = env.int("SIGNIN_RATE_PER_HOUR", default=5)

# Internationalisation: French first, English second.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
ORIGINALS_ROOT = Path(env.str("ORIGINALS_ROOT", default=str(VAR_DIR / "originals")))

# Storage. "default" holds the public renditions; "originals" holds what riders sent, and is
# never given a public URL (local: outside MEDIA_ROOT; S3: private, signed URLs for staff).
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _s3_common = {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
        "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
        "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
        "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
        "file_overwrite": False,
    }
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3_common,
            "location": "media",
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None,
            "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=False),
            # "public-read" where the bucket takes ACLs; empty where a bucket policy or a CDN
            # makes media/ public (buckets with ACLs disabled refuse any ACL).
            "default_acl": env.str("AWS_MEDIA_ACL", default="") or None,
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }
    _originals_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3_common,
            "bucket_name": env.str("AWS_ORIGINALS_BUCKET_NAME", default="")
            or AWS_STORAGE_BUCKET_NAME,
            "location": "originals",
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
        },
    }
else:
    _media_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL},
    }
    _originals_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # base_url is irrelevant: no view or URL pattern ever serves this folder.
        "OPTIONS": {"location": str(ORIGINALS_ROOT), "base_url": "/no-public-url/"},
    }
STORAGES = {
    "default": _media_storage,
    "originals": _originals_storage,
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=DEBUG and not AWS_STORAGE_BUCKET_NAME)

# Upload policy (README "Upload policy"). Formats are Pillow format names, checked by decoding.
PHOTO_ALLOWED_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF")
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=25 * 1024 * 1024)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=50_000_000)
PHOTO_MIN_SHORT_SIDE = env.int("PHOTO_MIN_SHORT_SIDE", default=320)
PHOTO_MAX_ATTEMPTS = 3
PHOTO_STUCK_AFTER = timedelta(minutes=env.int("PHOTO_STUCK_AFTER_MINUTES", default=10))
# Several 25 MiB photos in one post: spool to disk rather than memory past 2.5 MiB.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 20

# Moderation.
MODERATION_UNDO_SECONDS = env.int("MODERATION_UNDO_SECONDS", default=8)
MODERATION_DUPLICATE_DISTANCE = env.int("MODERATION_DUPLICATE_DISTANCE", default=10)
MODERATION_DIGEST_AFTER_HOURS = env.int("MODERATION_DIGEST_AFTER_HOURS", default=24)
REPORTS_TO_HIDE = env.int("REPORTS_TO_HIDE", default=3)
REPORTS_PER_HOUR = env.int("REPORTS_PER_HOUR", default=5)
VOTES_PER_HOUR = env.int("VOTES_PER_HOUR", default=60)
VOTES_PER_HOUR_PER_ADDRESS = env.int("VOTES_PER_HOUR_PER_ADDRESS", default=300)
GALLERY_CACHE_SECONDS = env.int("GALLERY_CACHE_SECONDS", default=300)

# Celery. Default: kombu's filesystem broker, so the dev run needs no service.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost/")
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
    }
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
else:
    # Unacknowledged (acks_late) messages come back after this long if a worker vanished.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 180
CELERY_TASK_SOFT_TIME_LIMIT = 150
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "requeue-stuck-photos": {
        "task": "photos.tasks.requeue_stuck_photos",
        "schedule": timedelta(minutes=5),
    },
    "requeue-decision-emails": {
        "task": "moderation.tasks.requeue_decision_emails",
        "schedule": timedelta(minutes=5),
    },
    "moderation-digest": {
        "task": "moderation.tasks.send_moderation_digest",
        "schedule": timedelta(minutes=30),
    },
    "requeue-outbox": {
        "task": "notifications.tasks.requeue_messages",
        "schedule": timedelta(minutes=5),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

CACHES = {
    "default": env.cache_url("CACHE_URL", default="locmemcache://")
    if env.str("CACHE_URL", default="")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Coverline <concours@localhost>")

# Security headers. The CSP allows only our own scripts and styles (htmx is vendored);
# previews of chosen photos use blob: URLs.
_media_origin = env.str("MEDIA_ORIGIN", default="")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *([_media_origin] if _media_origin else [])],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
