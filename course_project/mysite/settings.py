"""Settings for the course project.

The few things that change between a laptop, a classroom and a server are read from the
environment, each with a safe default, so `python manage.py runserver` works with nothing set.
"""

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from mysite.origins import parse_origins
from mysite.secret_key import install_key, production_key

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


def env_list(name, default):
    """A comma-separated list; blanks around and between the commas are ignored."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

# Never a key from the repository (mysite/secret_key.py says why). With DEBUG off, the key must
# come from the environment and pass Django's deployment check; otherwise this install makes its
# own once and keeps it in a file git ignores, unless DJANGO_SECRET_KEY is set.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip()
if not DEBUG:
    SECRET_KEY = production_key(SECRET_KEY)
elif not SECRET_KEY:
    SECRET_KEY = install_key(os.environ.get("DJANGO_SECRET_KEY_FILE", BASE_DIR / ".secret_key"))

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")

# Served over HTTPS, behind a proxy that terminates TLS (deploy/nginx.conf): secure cookies,
# HTTP redirected to HTTPS, and HSTS, which tells browsers to use nothing but HTTPS here for
# DJANGO_HSTS_SECONDS (a year; subdomains included, ready for browsers' preload lists).
if env_bool("DJANGO_HTTPS", False):
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 60 * 60)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
# Believe X-Forwarded-Proto: only behind a proxy that always sets it, as deploy/nginx.conf does,
# on a port nobody else can reach; anyone else could claim that a plain request was HTTPS.
if env_bool("DJANGO_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    # First, so that `manage.py runserver` serves ASGI (HTTP and WebSockets) through daphne.
    "daphne",
    # Counts failed logins and locks out a user name tried too often from one address.
    "axes",
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
    # Last, as django-axes asks: it answers a locked-out login with HTTP 429.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so it refuses a locked-out login before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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

# The rate limits (mysite/limits.py) count in the cache: with Redis, every process counts
# together; without it, each process counts its own.
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }

# Chat limits. A message longer than this, or sent faster than this, gets an error reply.
CHAT_MAX_MESSAGE_LENGTH = env_int("CHAT_MAX_MESSAGE_LENGTH", 2000)
CHAT_RATE_LIMIT = env_int("CHAT_RATE_LIMIT", 5)  # messages per second per socket; 0 disables
CHAT_RATE_BURST = env_int("CHAT_RATE_BURST", 10)  # messages a socket may send at once
CHAT_HISTORY = env_int("CHAT_HISTORY", 50)  # messages replayed to a socket that joins a room


def env_limit(name, default):
    """A limit from the environment; "off" (or "none") turns it off (None)."""
    if os.environ.get(name, "").strip().lower() in {"off", "none"}:
        return None
    return env_int(name, default)


# Abuse limits (mysite/limits.py). Per user, and per client address: a classroom of 40 behind
# one router shares an address, so the per-address figures leave room for a whole class.
WEBSOCKETS_PER_USER = env_limit("WEBSOCKETS_PER_USER", 20)  # sockets open at once
WEBSOCKETS_PER_ADDRESS = env_limit("WEBSOCKETS_PER_ADDRESS", 300)
# A client whose socket has not taken a frame for this long (it reads nothing) is dropped.
WEBSOCKET_SEND_TIMEOUT = env_int("WEBSOCKET_SEND_TIMEOUT", 10)
CHAT_MENTIONS_PER_MESSAGE = env_limit("CHAT_MENTIONS_PER_MESSAGE", 5)  # users notified
CHAT_GUEST_MENTIONS_PER_MESSAGE = env_limit("CHAT_GUEST_MENTIONS_PER_MESSAGE", 0)
CHAT_MENTIONS_PER_MINUTE = env_limit("CHAT_MENTIONS_PER_MINUTE", 20)  # per user
CHAT_MENTIONS_PER_MINUTE_PER_ADDRESS = env_limit("CHAT_MENTIONS_PER_MINUTE_PER_ADDRESS", 400)
TRANSCRIPT_EXPORTS_PER_HOUR = env_limit("TRANSCRIPT_EXPORTS_PER_HOUR", 10)  # per user
TRANSCRIPT_EXPORTS_PER_HOUR_PER_ADDRESS = env_limit("TRANSCRIPT_EXPORTS_PER_HOUR_PER_ADDRESS", 200)
GAME_RATE_LIMIT = env_int("GAME_RATE_LIMIT", 5)  # commands per second per socket; 0 disables
GAME_RATE_BURST = env_int("GAME_RATE_BURST", 10)
GAME_SEATS_PER_PLAYER = env_limit("GAME_SEATS_PER_PLAYER", 3)  # games one player sits in at once
GAME_JOINS_PER_MINUTE_PER_ADDRESS = env_limit("GAME_JOINS_PER_MINUTE_PER_ADDRESS", 120)
# A seat whose game has not changed for this long is free for someone else (its player left).
GAME_SEAT_TIMEOUT = env_int("GAME_SEAT_TIMEOUT", 120)

# Failed logins (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one user name from
# one address, that pair is locked out for LOGIN_COOLOFF_MINUTES. Locking the pair, not the
# address, keeps one student's typos from locking out a classroom behind the same router.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

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

# The DEBUG error page shows every setting and every frame's variables: hide URL passwords too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "mysite.errors.ExceptionReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # Django's own logging config gives "django" a console handler too: print its records once.
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # django-axes logs every login at INFO; failures and lockouts are WARNING.
        "axes": {"level": "WARNING"},
    },
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
    return parse_origins(env_list(name, ""), name)


def origin_host(origin):
    """The host of `origin`, as ALLOWED_HOSTS writes it ("[::1]" for an IPv6 address)."""
    from urllib.parse import urlsplit

    host = urlsplit(origin).hostname
    return f"[{host}]" if ":" in host else host


# Origins besides the site's own whose pages may post forms here and open sockets: the address
# the proxy gives the browser, or a site of yours served from elsewhere. The one list for both:
# Django's CSRF check reads it for forms, mysite/origins.py for sockets, which otherwise accept
# nothing but the server's own origin (scheme, host and port; lesson 12 shows why the port
# matters). Each one's host becomes an allowed host too. Exact origins only, never a wildcard:
# *.app.github.dev would let in every other codespace's pages.
CSRF_TRUSTED_ORIGINS = env_origins("DJANGO_TRUSTED_ORIGINS")
ALLOWED_HOSTS += [origin_host(origin) for origin in CSRF_TRUSTED_ORIGINS]
