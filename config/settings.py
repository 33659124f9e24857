"""Coverline settings: one file, every deploy-time value from the environment.

The defaults make `make run` work with no service: SQLite, the kombu filesystem broker and
local disk. DATABASE_URL, CELERY_BROKER_URL and the AWS_* variables switch to PostgreSQL,
Redis and S3. `.env.example` lists every variable.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

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
    # The admin, whose site asks staff for their password (core.admin_site).
    "config.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "storages",
    "axes",
    # The apps, bottom of the stack first (README "How the parts fit together").
    "core",
    "notifications",
    "transit",
    "photos",
    "contest",
    "moderation",
    "gallery",
    "social",
    "jury",
    "covers",
    "dashboard",
]

MIDDLEWARE = [
    # First: every response, refusals included, and every log record get the request's id.
    "core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Gzips HTML, and CSS/JS that whitenoise found uncompressed (the dev run's finders): outside
    # everything that writes a body. BREACH and why the CSRF token is safe: core/compression.py.
    "core.compression.TextGZipMiddleware",
    # Refuses oversized bodies from Content-Length alone, before anything reads them.
    "core.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A rate limit a view let through becomes the 429 page (core.ratelimit).
    "core.middleware.RateLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: turns a locked-out staff login into the 429 page, which the middleware above
    # then dresses (CSP, language) like any other response.
    "axes.middleware.AxesMiddleware",
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
    # A persistent connection the server dropped (restart, failover) is replaced before use,
    # not found broken by the request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out password attempt is refused before any password is checked.
    "core.lockout.PasswordLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
    "sesame.backends.ModelBackend",
]
LOGIN_URL = "contest:signin"

# Sign-in links (django-sesame): stateless, so the link works on whichever phone reads the
# mail. An hour (riders open the mail at once; a link left in a mailbox is a way in), and
# once: the token signs last_login (SESAME_ONE_TIME), which signing in moves, and so does
# signing out (contest.services.participant_revoke_signin_links).
SESAME_MAX_AGE = env.int("SIGNIN_LINK_MAX_AGE", default=3600)
SESAME_ONE_TIME = True
SESAME_TOKEN_NAME = "jeton"  # noqa: S105 - a query parameter name
SIGNIN_RATE_PER_HOUR = env.int("SIGNIN_RATE_PER_HOUR", default=5)
SIGNIN_RATE_PER_HOUR_PER_ADDRESS = env.int("SIGNIN_RATE_PER_HOUR_PER_ADDRESS", default=100)

# Staff: the admin's login page is the staff login, the only password login of the site.
# Staff pages (moderation, relay, admin) open only to a session signed in there
# (core.access); a sign-in link proves a mailbox, not a staff member.
ADMIN_URL = env.str("ADMIN_URL", default="gestion-admin/").strip("/") + "/"
if ADMIN_URL == "/":
    raise ImproperlyConfigured("ADMIN_URL must be a path of its own, such as gestion-admin/.")
# Brute force on that login is locked out by django-axes, counted in the cache so that every
# web process sees the same count (Redis through CACHE_URL in production). The account and
# the address are counted each on its own: one account tried from many addresses (a botnet)
# and one address trying many accounts (password spraying) are both stopped. The price: anyone
# can lock a staff account for the cool-off; an administrator can lift it (README).
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = env.int("STAFF_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("STAFF_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_CLIENT_IP_CALLABLE = "core.network.client_ip"
AXES_WHITELIST_CALLABLE = "core.lockout.lockout_exempt"
AXES_LOCKOUT_TEMPLATE = "429.html"
AXES_ENABLE_ADMIN = False  # the cache handler writes no rows: its admin lists would be empty

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
    _originals_bucket = env.str("AWS_ORIGINALS_BUCKET_NAME", default="") or AWS_STORAGE_BUCKET_NAME
    if (
        _originals_bucket == AWS_STORAGE_BUCKET_NAME
        and not DEBUG
        and not env.bool("AWS_ORIGINALS_SHARED_BUCKET_IS_PRIVATE", default=False)
    ):
        # A bucket policy or a CDN that makes the renditions public would publish the
        # riders' originals (with their GPS data) too.
        raise ImproperlyConfigured(
            "Originals would share the public bucket: set AWS_ORIGINALS_BUCKET_NAME to a "
            "private bucket, or, if only media/ is public by policy and originals/ is not, "
            "say so with AWS_ORIGINALS_SHARED_BUCKET_IS_PRIVATE=1 (README, Storage)."
        )
    _originals_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3_common,
            "bucket_name": _originals_bucket,
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
        # Empty (as .env.example has it) means the default too.
        "BACKEND": env.str("STATICFILES_BACKEND", default="")
        or (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=DEBUG and not AWS_STORAGE_BUCKET_NAME)

# Upload policy (README "Upload policy"). Formats are Pillow format names, checked by decoding.
PHOTO_ALLOWED_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF")
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=25 * 1024 * 1024)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=50_000_000)
# WebP has no scaled decode: the covers' worker holds the whole picture (20 MB per megapixel
# at its peak, bench/covers.py), so 16 MP keeps it under its 400 MB. Phones shoot JPEG or HEIC;
# a WebP is an export, rarely that large.
PHOTO_MAX_PIXELS_WEBP = env.int("PHOTO_MAX_PIXELS_WEBP", default=16_000_000)
PHOTO_MIN_SHORT_SIDE = env.int("PHOTO_MIN_SHORT_SIDE", default=320)
PHOTO_MAX_ATTEMPTS = 3
# A job lost with its worker, or with the broker's data, is found by the sweep (every 2
# minutes) once the photo has not moved for this long: processing takes at most 3 minutes
# (the task's time limit); a photo not yet started is sent again only when the renditions
# queue holds fewer messages than such photos (photos.services.photos_requeue_stuck).
PHOTO_STUCK_AFTER = timedelta(minutes=env.int("PHOTO_STUCK_AFTER_MINUTES", default=5))
# Several 25 MiB photos in one post: spool to disk rather than memory past 2.5 MiB.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 20
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    # Django's disk handler fails (500) on a sent extension too long for a file name.
    "core.uploads.TemporaryFileUploadHandler",
]
# Largest body taken (413 past it, core.middleware): as many full-size photos as Django lets
# a post carry, plus 1 MiB of fields and framing. Counted on DATA_UPLOAD_MAX_NUMBER_FILES, not
# on a contest's own limit (3 by default, changed in the admin and unknown before the view),
# so no post the upload form allows is ever refused; lower it to your contests' limit
# (3 photos: 76 MiB) to match the proxy.
REQUEST_MAX_BYTES = env.int(
    "REQUEST_MAX_BYTES", default=DATA_UPLOAD_MAX_NUMBER_FILES * PHOTO_MAX_BYTES + 1024 * 1024
)
# Rate limits (core.ratelimit), per clock hour in the shared cache, 429 past them: uploads
# here, SIGNIN_RATE_* above, REPORTS_PER_HOUR* and VOTES_PER_HOUR* below. Each counts a
# signed-in person by their account (one not signed in by the e-mail typed, or not at all
# for a report), and, much higher, a network address: a mobile carrier's CGNAT or an office
# puts many riders behind one address, whom that limit must not lock out.
UPLOADS_PER_HOUR = env.int("UPLOADS_PER_HOUR", default=20)  # posts of the form, not photos
UPLOADS_PER_HOUR_PER_ADDRESS = env.int("UPLOADS_PER_HOUR_PER_ADDRESS", default=600)
# Resumable uploads (tus, contest.resumable): their pieces wait in the private originals
# storage, uploads/, until the photo is complete; one left alone this long is swept away
# (beat "contest-tus-sweep").
TUS_UPLOAD_EXPIRY = timedelta(hours=env.int("TUS_UPLOAD_EXPIRY_HOURS", default=24))

# Moderation.
MODERATION_UNDO_SECONDS = env.int("MODERATION_UNDO_SECONDS", default=8)
MODERATION_DUPLICATE_DISTANCE = env.int("MODERATION_DUPLICATE_DISTANCE", default=10)
MODERATION_DIGEST_AFTER_HOURS = env.int("MODERATION_DIGEST_AFTER_HOURS", default=24)
REPORTS_TO_HIDE = env.int("REPORTS_TO_HIDE", default=3)
REPORTS_PER_HOUR = env.int("REPORTS_PER_HOUR", default=5)
REPORTS_PER_HOUR_PER_ADDRESS = env.int("REPORTS_PER_HOUR_PER_ADDRESS", default=30)
# The jury's rule "too small to print": a shorter side under this many pixels (the
# disqualification preview on the chair's round page).
# Covers: an output ICC profile (CMYK, e.g. the printer's FOGRA39) adds a CMYK print file to
# each package; empty: sRGB only.
COVERS_OUTPUT_ICC = env.str("COVERS_OUTPUT_ICC", default="")
JURY_PRINT_MIN_SHORT_SIDE = env.int("JURY_PRINT_MIN_SHORT_SIDE", default=1500)
VOTES_PER_HOUR = env.int("VOTES_PER_HOUR", default=60)
VOTES_PER_HOUR_PER_ADDRESS = env.int("VOTES_PER_HOUR_PER_ADDRESS", default=300)
GALLERY_CACHE_SECONDS = env.int("GALLERY_CACHE_SECONDS", default=300)

# Facebook and Instagram relay (social/). The Graph API's base URL, versioned: the tests point
# it at a stand-in on loopback. Page access tokens are stored encrypted (Fernet) with
# SOCIAL_TOKEN_KEY, or a key derived from SECRET_KEY when it is empty (then changing
# SECRET_KEY means reconnecting the accounts).
GRAPH_API_BASE_URL = env.str(
    "GRAPH_API_BASE_URL", default="https://graph.facebook.com/v21.0"
).rstrip("/")
GRAPH_API_TIMEOUT = env.float("GRAPH_API_TIMEOUT", default=20.0)
SOCIAL_TOKEN_KEY = env.str("SOCIAL_TOKEN_KEY", default="")
# Instagram makes the media container from the image asynchronously: how often and how many
# times the worker asks for its status before leaving it for the next run.
SOCIAL_IG_POLL_SECONDS = env.float("SOCIAL_IG_POLL_SECONDS", default=3.0)
SOCIAL_IG_POLL_TRIES = env.int("SOCIAL_IG_POLL_TRIES", default=10)
SOCIAL_MAX_ATTEMPTS = env.int("SOCIAL_MAX_ATTEMPTS", default=6)

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
    # Unacknowledged (acks_late) messages come back after this long if a worker vanished,
    # so a lost job is redone within minutes. It must stay above the longest countdown a
    # task is given (retry backoffs stop at 10 minutes) plus its time limit (3 minutes),
    # or Redis would hand a waiting message to a second worker.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900)
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 180
CELERY_TASK_SOFT_TIME_LIMIT = 150
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# What a task prints (the console e-mail backend of the dev run) goes out as printed, not as
# a log record prefixed "WARNING/ForkPoolWorker-1" on every e-mail.
CELERY_WORKER_REDIRECT_STDOUTS = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "requeue-stuck-photos": {
        "task": "photos.tasks.requeue_stuck_photos",
        "schedule": timedelta(minutes=2),
    },
    "moderation-digest": {
        "task": "moderation.tasks.send_moderation_digest",
        "schedule": timedelta(minutes=30),
    },
    "jury-withdrawn-entries": {
        "task": "jury.tasks.sync_withdrawn_entries",
        "schedule": timedelta(minutes=10),
    },
    "jury-starting-rounds": {
        # A round's start whose message was lost (jury.services.rounds_requeue_starting).
        "task": "jury.tasks.requeue_starting_rounds",
        "schedule": timedelta(minutes=5),
    },
    "jury-reminders": {
        # Hourly: each juror is mailed at most once a day (Juror.last_reminded_at).
        "task": "jury.tasks.remind_jurors",
        "schedule": timedelta(hours=1),
    },
    "covers-mockups": {
        "task": "covers.tasks.requeue_covers",
        "schedule": timedelta(minutes=5),
    },
    "requeue-outbox": {
        "task": "notifications.tasks.requeue_messages",
        "schedule": timedelta(minutes=5),
    },
    "contest-tus-sweep": {
        # Abandoned resumable uploads: their pieces and rows (contest.resumable).
        "task": "contest.tasks.sweep_tus_uploads",
        "schedule": timedelta(minutes=30),
    },
    "contest-retention": {
        # Daily: the retention periods are counted in days and months (contest.retention).
        "task": "contest.tasks.run_retention",
        "schedule": timedelta(days=1),
    },
    "social-hashtags": {
        # Hourly: Instagram's recent_media covers the last 24 hours (social.services).
        "task": "social.tasks.import_hashtags",
        "schedule": timedelta(hours=1),
    },
    "social-due-posts": {
        # Scheduled posts, retries after a backoff, and take-downs (social.services).
        "task": "social.tasks.publish_due_posts",
        "schedule": timedelta(minutes=1),
    },
    "dashboard-summaries": {
        # Marketing's figures lag this much at most (dashboard.services).
        "task": "dashboard.tasks.refresh_summaries",
        "schedule": timedelta(minutes=1),
    },
}
# Queues (README "Queues and workers"): each kind of work waits in a queue of its own, with
# workers of its own in production, so that an upload burst never delays a sign-in link and
# a print package never delays a rider's renditions. A worker started without -Q (make run,
# the tests) consumes them all.
QUEUE_NAMES = {
    "default": env.str("DEFAULT_QUEUE", default="celery"),
    "renditions": env.str("RENDITIONS_QUEUE", default="renditions"),
    "email": env.str("EMAIL_QUEUE", default="email"),
    # Long jobs: print packages (whole originals for minutes), GTFS imports.
    "exports": env.str("EXPORTS_QUEUE", default="exports"),
}
CELERY_TASK_DEFAULT_QUEUE = QUEUE_NAMES["default"]
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name) for name in QUEUE_NAMES.values()
]
# Exact names win over patterns. Every task of the apps must match one of these lines
# (tests/config/test_queues.py), so a new task is given its queue on purpose.
CELERY_TASK_ROUTES = {
    # The stuck-photo sweep watches the renditions queue, so it must not wait behind it.
    "photos.tasks.requeue_stuck_photos": {"queue": QUEUE_NAMES["default"]},
    "photos.tasks.*": {"queue": QUEUE_NAMES["renditions"]},
    "notifications.tasks.*": {"queue": QUEUE_NAMES["email"]},
    "covers.tasks.build_package": {"queue": QUEUE_NAMES["exports"]},
    "transit.tasks.import_feed": {"queue": QUEUE_NAMES["exports"]},
    # Short jobs: cover mock-ups, the duplicate search, the sweeps, the digest and reminders.
    "covers.tasks.*": {"queue": QUEUE_NAMES["default"]},
    "moderation.tasks.*": {"queue": QUEUE_NAMES["default"]},
    "jury.tasks.*": {"queue": QUEUE_NAMES["default"]},
    # The daily retention run, the sweep of abandoned resumable uploads.
    "contest.tasks.*": {"queue": QUEUE_NAMES["default"]},
    "dashboard.tasks.*": {"queue": QUEUE_NAMES["default"]},  # the summary, every minute
    "social.tasks.*": {"queue": QUEUE_NAMES["default"]},  # Graph API calls, seconds each
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

CACHES = {
    "default": env.cache_url("CACHE_URL", default="locmemcache://")
    if env.str("CACHE_URL", default="")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# A mail server that accepts the connection and then stalls must not hold a worker forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Coverline <concours@localhost>")
# The HTML e-mails' header band (a branded contest's mail uses the contest's instead).
EMAIL_BRAND_NAME = env.str("EMAIL_BRAND_NAME", default="Coverline")
EMAIL_BRAND_COLOUR = env.str("EMAIL_BRAND_COLOUR", default="#0b5c8a")
EMAIL_BRAND_TEXT_COLOUR = env.str("EMAIL_BRAND_TEXT_COLOUR", default="#ffffff")

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
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
# HTTPS only in production. Behind a TLS proxy, BEHIND_TLS_PROXY must be on too, or every
# request looks like plain HTTP and the redirect loops.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The image's HEALTHCHECK and the orchestrator call /healthz over plain HTTP, past the proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
# The site has a host name of its own (concours.example.org): its subdomains are ours too.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# Off by default: the preload list takes only a registrable domain as a whole, a decision for
# the operator's whole domain, not for this app on its subdomain (README "Behind a proxy").
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]  # "preload not set": the decision above
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True  # read by Django only, never by our scripts
# The address rate limits count (core.network.client_ip): REMOTE_ADDR unless our own proxies
# are named, by count (TRUSTED_PROXY_HOPS) or by address (TRUSTED_PROXIES), never both.
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)
TRUSTED_PROXIES = [p.strip() for p in env.list("TRUSTED_PROXIES", default=[]) if p.strip()]
if TRUSTED_PROXY_HOPS < 0 or (TRUSTED_PROXY_HOPS and TRUSTED_PROXIES):
    raise ImproperlyConfigured("Set TRUSTED_PROXY_HOPS (0 or more) or TRUSTED_PROXIES, not both.")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an address or network."
        ) from _error

# /healthz gives each check (database, broker, storage) this many seconds.
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=3.0)

# "json": one JSON object a line (for a log collector); "text": plain lines (make run). Every
# record of a request, and of the tasks it enqueued, carries its request id
# (core.middleware.RequestIdMiddleware, core.logging).
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
# JSON logs: the worker keeps LOGGING (formatter, request id) instead of its own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Sign-in links carry their token in the query string: the dev server's access log
    # (django.server, redefined here as Django defines it, plus the filter) and django.request
    # mask it. Gunicorn's access log leaves query strings out (config/gunicorn.py).
    "filters": {
        "redact_signin_token": {
            "()": "core.logging.RedactQueryParameter",
            "parameter": SESAME_TOKEN_NAME,
        },
        "request_id": {"()": "core.logging.RequestIdFilter"},
    },
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
        "json": {"()": "core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "django.server",
        },
    },
    "loggers": {
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["redact_signin_token"],
        },
        "django.request": {"filters": ["redact_signin_token"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
