"""Settings shared by every environment. Values come from the environment.

Defaults serve a first run on one machine: SQLite and a filesystem broker that needs no server.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(environ.Env().str("GRASSROOTS_DATA_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-local-only-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files, no CDN
    "cadres.apps.SignInRecordsConfig",  # django-axes
    # Domain apps, in dependency order: each may import only those above it.
    "households",
    "cadres",
    "casework",
    "visits",
    "accountability",
    # Figures, reports and exports: reads every app above, imported by none.
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cadres.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cadres.middleware.IdleSessionExpiryMiddleware",
    # Last, as django-axes requires.
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cadres.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'grassroots.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Throttles failed logins before the model backend is asked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed-login throttling: lock a username after this many failures for this long.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_COOLOFF_HOURS", default=0.5)
# A username from one address: an office behind one NAT is not locked out by one person.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind this many reverse proxies, each appending to X-Forwarded-For, a client's address is read
# from that header (0: clients connect directly, REMOTE_ADDR). Every per-address limit (sign-in
# lockouts, resident codes) reads it through one helper.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
AXES_CLIENT_IP_CALLABLE = "cadres.middleware.client_address"
AXES_VERBOSE = False

# Sessions end after this much inactivity (seconds) and when the browser closes.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(DATA_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(DATA_DIR / "media")))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# Celery. The default broker is a folder on disk, so a first run needs no server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
_broker_dir = DATA_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "data_folder_processed": str(_broker_dir / "processed"),
        # Broadcast messages (remote control); without it kombu writes to the working directory.
        "control_folder": str(_broker_dir / "control"),
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {}
)
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
# For Redis: the same short timeouts on every socket, so a dead broker costs a request seconds at most.
REDIS_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
}
if CELERY_BROKER_URL.startswith("redis"):
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Publishing gives up at once when the broker is down (enqueue() logs it): a request must not
# hang on Redis, and the periodic jobs catch up.
CELERY_TASK_PUBLISH_RETRY = False

# The overdue sweep (every SWEEP_INTERVAL_SECONDS), delivery of what it escalates (and retries of
# failed deliveries), the nightly full sweep that backs up the watermarks, the morning digest.
SWEEP_INTERVAL_SECONDS = env.int("SWEEP_INTERVAL_SECONDS", default=300)
DIGEST_HOUR = env.int("DIGEST_HOUR", default=8)
if SWEEP_INTERVAL_SECONDS < 10 or not 0 <= DIGEST_HOUR <= 23:
    raise ImproperlyConfigured("SWEEP_INTERVAL_SECONDS must be at least 10 and DIGEST_HOUR between 0 and 23.")
# The dashboard's rollups of the current and previous month and quarter and of the current year
# (the previous one too in the first quarter) are recomputed this often (the dashboard says "as of" when); every period of this year and last, nightly.
ROLLUP_INTERVAL_SECONDS = env.int("ROLLUP_INTERVAL_SECONDS", default=600)
if ROLLUP_INTERVAL_SECONDS < 60:
    raise ImproperlyConfigured("ROLLUP_INTERVAL_SECONDS must be at least 60.")
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {"task": "cadres.tasks.clear_expired_sessions", "schedule": 6 * 60 * 60},
    "sweep-overdue": {"task": "accountability.tasks.sweep_overdue", "schedule": SWEEP_INTERVAL_SECONDS},
    "send-escalations": {"task": "accountability.tasks.send_escalations", "schedule": 60},
    "sweep-overdue-full": {
        "task": "accountability.tasks.sweep_overdue",
        "schedule": crontab(hour=2, minute=30),
        "kwargs": {"full": True},
    },
    "daily-digest": {"task": "accountability.tasks.send_digest", "schedule": crontab(hour=DIGEST_HOUR, minute=0)},
    "refresh-rollups": {"task": "reports.tasks.refresh_rollups", "schedule": ROLLUP_INTERVAL_SECONDS},
    "refresh-rollups-recent": {
        "task": "reports.tasks.refresh_rollups",
        "schedule": crontab(hour=3, minute=15),
        "kwargs": {"recent": True},
    },
}

# Exports of more rows than this (CSV, XLSX or PDF) are built by a Celery task with a progress page.
EXPORT_ASYNC_ROWS = env.int("EXPORT_ASYNC_ROWS", default=50_000)
if EXPORT_ASYNC_ROWS < 1:
    raise ImproperlyConfigured("EXPORT_ASYNC_ROWS must be at least 1.")

# Links in email and group-robot messages start with this (e.g. https://grassroots.example.gov.cn).
SITE_URL = env.str("SITE_URL", default="")
ROBOT_WEBHOOK_TIMEOUT = env.float("ROBOT_WEBHOOK_TIMEOUT", default=5.0)

# The JSON API (/api/v1/). A token (made by an administrator in the admin) for integrations, the
# session (with CSRF) for the browser. Token first: an anonymous call answers 401, so a client
# can tell "sign in again" from "not allowed" (403).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.api.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Grassroots API",
    "DESCRIPTION": (
        "Cadres' grassroots visits: record a visit with the concerns it raised (idempotent by the "
        "visit's client-generated id), read visits, my households and my open commitments. "
        "Authenticate with a token (`Authorization: Token <key>`, made by an administrator) or "
        "the signed-in session (send the CSRF token on writes). Every lookup is scoped to what the "
        'caller may see: out of scope answers 404, or "not found" for an id in a request body.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI's files come from drf-spectacular-sidecar under /static/: intranets have no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No online validator badge (it would call validator.swagger.io).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    # Tags and operation ids from the path after the version: visits, households, commitments.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
}

# Integrity flags on visits: for a supervisor to review, never a penalty by themselves.
VISIT_BACKDATE_HOURS = env.int("VISIT_BACKDATE_HOURS", default=72)
VISIT_FAR_KM = env.float("VISIT_FAR_KM", default=5.0)
VISIT_BURST_COUNT = env.int("VISIT_BURST_COUNT", default=5)
VISIT_BURST_MINUTES = env.int("VISIT_BURST_MINUTES", default=30)

# Residents' confirmation codes (/r/<code>/): wrong codes one client address may try per window
# before it is told to wait. Counted in CACHES["default"], which every web process must share.
RESIDENT_CODE_ATTEMPTS = env.int("RESIDENT_CODE_ATTEMPTS", default=10)
RESIDENT_CODE_WINDOW_MINUTES = env.int("RESIDENT_CODE_WINDOW_MINUTES", default=15)
if RESIDENT_CODE_ATTEMPTS < 1 or RESIDENT_CODE_WINDOW_MINUTES < 1:
    raise ImproperlyConfigured("RESIDENT_CODE_ATTEMPTS and RESIDENT_CODE_WINDOW_MINUTES must be at least 1.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
    },
}
