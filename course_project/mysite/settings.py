"""Settings for the course project.

The few things that change between a laptop, a classroom and a server are read from the
environment, each with a safe default, so `python manage.py runserver` works with nothing set.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None


DEBUG = env_bool("DJANGO_DEBUG", True)

INSECURE_SECRET_KEY = "django-insecure-course-project-development-key-do-not-deploy"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or INSECURE_SECRET_KEY  # empty counts as unset
if not DEBUG and SECRET_KEY == INSECURE_SECRET_KEY:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY when DJANGO_DEBUG is off.")

# AllowedHostsOriginValidator checks WebSocket Origin headers against this list too.
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")

INSTALLED_APPS = [
    # First, so that `manage.py runserver` serves ASGI (HTTP and WebSockets) through daphne.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "accounts",
    "chat",
    "notifications",
    "transcripts",
    "game",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves static files under any ASGI server (daphne, uvicorn), not only runserver.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mysite.urls"

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
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

ASGI_APPLICATION = "mysite.asgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # Notebooks and tests point this at a file of their own, so parallel runs never share one.
        "NAME": os.environ.get("DJANGO_DB_PATH", BASE_DIR / "db.sqlite3"),
        # Keep the connection: Channels closes "old" connections before every consumer event,
        # and with the default of 0 that means a new SQLite connection for every chat message.
        "CONN_MAX_AGE": None,
        "OPTIONS": {
            # WAL lets a server and `manage.py notify` write at the same time without "database
            # is locked"; IMMEDIATE takes the write lock up front instead of failing half-way.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }
}

# InMemoryChannelLayer needs nothing installed, but lives inside one process: a second server,
# a worker or a management command cannot reach it. Set REDIS_URL to share one layer between them.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # The core layer comes through mysite/layers.py, which makes it wait out a Redis
            # restart instead of closing every socket. (The Pub/Sub layer reconnects by itself.)
            "BACKEND": (
                "channels_redis.pubsub.RedisPubSubChannelLayer"
                if os.environ.get("CHANNEL_LAYER", "core") == "pubsub"
                else "mysite.layers.RedisChannelLayer"
            ),
            # redis-py 8 gives up on a read after 5 s unless told otherwise, and 5 s is how long
            # channels_redis blocks waiting for a message: every idle consumer and worker would
            # crash. Let a blocking read finish, but never hang on a dead connection for ever.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Chat limits. A message longer than this, or sent faster than this, gets an error reply.
CHAT_MAX_MESSAGE_LENGTH = env_int("CHAT_MAX_MESSAGE_LENGTH", 2000)
CHAT_RATE_LIMIT = env_int("CHAT_RATE_LIMIT", 5)  # messages per second per socket; 0 disables
CHAT_RATE_BURST = env_int("CHAT_RATE_BURST", 10)  # messages a socket may send at once
CHAT_HISTORY = env_int("CHAT_HISTORY", 50)  # messages replayed to a socket that joins a room

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_REDIRECT_URL = "chat:index"
LOGOUT_REDIRECT_URL = "chat:index"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles")
# Without `collectstatic`, WhiteNoise serves straight from the apps' static folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # Django's own logging config gives "django" a console handler too: print its records once.
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

# --- Behind a proxy: a path prefix, and the address the browser really uses ------------------
# Nothing in this block applies on a plain `make serve`. In a class the browser often reaches the
# site through a proxy: JupyterHub's jupyter-server-proxy shows it under
# /user/<name>/proxy/<port>/, a codespace at https://<codespace>-<port>.app.github.dev/.
# `make serve` and the notebooks' server set these from where they run (workbook/hosting.py);
# classroom/README.md has the details.

# The path prefix the site is served under, e.g. /user/ada/proxy/8000: {% url %}, static files,
# redirects and the pages' sockets carry it (mysite/prefix.py does what Django does not).
FORCE_SCRIPT_NAME = os.environ.get("DJANGO_SCRIPT_NAME", "").rstrip("/") or None
if FORCE_SCRIPT_NAME:
    # Django adds the prefix to a relative STATIC_URL when it is first read, from the thread
    # that reads it, which is not always one that knows the prefix (runserver's is not).
    STATIC_URL = f"{FORCE_SCRIPT_NAME}/{STATIC_URL}"
MIDDLEWARE = ["mysite.prefix.ScriptNameMiddleware", *MIDDLEWARE]
# A URL name, not Django's default literal /accounts/login/, so that it carries the prefix too.
LOGIN_URL = "login"


def env_origins(name):
    """A comma-separated list of exact origins, scheme://host[:port], from the environment."""
    from urllib.parse import urlsplit  # here, to keep this block in one piece

    origins = [value.strip() for value in os.environ.get(name, "").split(",") if value.strip()]
    for origin in origins:
        parts = urlsplit(origin)
        if (
            parts.scheme not in {"http", "https"}
            or not parts.hostname
            or "*" in origin
            or parts.path
            or parts.query
            or parts.fragment
        ):
            raise ImproperlyConfigured(
                f"{name}: {origin!r} is not an origin such as https://hub.example.org "
                "(a scheme and a host, maybe a port; no path, no wildcard)"
            )
    return origins


def origin_host(origin):
    """The host of `origin`, as ALLOWED_HOSTS writes it ("[::1]" for an IPv6 address)."""
    from urllib.parse import urlsplit

    host = urlsplit(origin).hostname
    return f"[{host}]" if ":" in host else host


# Origins besides the site's own whose pages may post forms here and open sockets: the address
# the proxy gives the browser. Each one's host becomes an allowed host too. Exact origins only,
# never a wildcard: *.app.github.dev would let in every other codespace's pages.
CSRF_TRUSTED_ORIGINS = env_origins("DJANGO_TRUSTED_ORIGINS")
ALLOWED_HOSTS += [origin_host(origin) for origin in CSRF_TRUSTED_ORIGINS]
