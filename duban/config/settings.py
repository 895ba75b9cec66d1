"""One settings module, read from environment variables.

Every knob an office may want to turn is a `DUBAN_*` variable; the defaults are
the embedded ones (SQLite in the working directory, in-process worker).
"""

import os
from pathlib import Path

import dj_database_url

from duban.core.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = env_str("DUBAN_SECRET_KEY", "")
DEBUG = env_bool("DUBAN_DEBUG", False)
if not SECRET_KEY:
    # Development and the demo: a per-checkout key is good enough; production
    # deployments set DUBAN_SECRET_KEY (docs/deploy.md).
    SECRET_KEY = "duban-insecure-development-key-set-DUBAN_SECRET_KEY"

ALLOWED_HOSTS = env_list("DUBAN_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DUBAN_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "duban.core",
    "duban.audit",
    "duban.org",
    "duban.workdays",
    "duban.supervision",
    "duban.demo",
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
]

ROOT_URLCONF = "duban.config.urls"
WSGI_APPLICATION = "duban.config.wsgi.application"

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
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", "sqlite:///" + str(Path.cwd() / "duban.sqlite3"))
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DUBAN_DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the worker share one file;
    # IMMEDIATE transactions take the write lock up front so that two writers
    # queue instead of failing half-way (see duban.core.db).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Test runs get their own database, so that several runs on one server do not collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_duban_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DUBAN_STATIC_ROOT", str(Path.cwd() / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("DUBAN_MEDIA_ROOT", str(Path.cwd() / "var" / "media")))
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("DUBAN_SESSION_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_SECURE = env_bool("DUBAN_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DUBAN_LOG_LEVEL", "INFO")},
}

# ---- The domain's rules, all configurable (DESIGN.md: Time, Lights) ----
# The hour (Asia/Shanghai) at which a deadline day ends; 24 means midnight.
DUBAN_DAY_END_HOUR = env_int("DUBAN_DAY_END_HOUR", 24)
# Working days allowed for signing an assignment (事不过夜).
DUBAN_SIGN_SLA_WORKDAYS = env_int("DUBAN_SIGN_SLA_WORKDAYS", 1)
# Default deadlines in working days by decision kind; instructions by urgency.
DUBAN_DEFAULT_DEADLINE_WORKDAYS = {
    "document": env_int("DUBAN_DEADLINE_DOCUMENT", 30),
    "meeting": env_int("DUBAN_DEADLINE_MEETING", 20),
    "instruction:urgent": env_int("DUBAN_DEADLINE_INSTRUCTION_URGENT", 5),
    "instruction:normal": env_int("DUBAN_DEADLINE_INSTRUCTION_NORMAL", 15),
    "instruction:routine": env_int("DUBAN_DEADLINE_INSTRUCTION_ROUTINE", 30),
    "other": env_int("DUBAN_DEADLINE_OTHER", 15),
}
# Lights: yellow when the deadline is this many working days away or closer.
DUBAN_LIGHT_SOON_WORKDAYS = env_int("DUBAN_LIGHT_SOON_WORKDAYS", 3)
# Schedule lights (序时进度): points behind the linear expectation.
DUBAN_LIGHT_BEHIND_YELLOW = env_int("DUBAN_LIGHT_BEHIND_YELLOW", 10)
DUBAN_LIGHT_BEHIND_RED = env_int("DUBAN_LIGHT_BEHIND_RED", 30)
# Red once a unit's work has been returned this many times.
DUBAN_LIGHT_RETURNS_RED = env_int("DUBAN_LIGHT_RETURNS_RED", 2)
# Whether a unit head must approve reports before they go out (二级审核).
DUBAN_UNIT_APPROVAL = env_bool("DUBAN_UNIT_APPROVAL", True)
# Extensions must be asked for before the deadline.
DUBAN_EXTENSION_BEFORE_DEADLINE = env_bool("DUBAN_EXTENSION_BEFORE_DEADLINE", True)
# How often the worker re-runs the lights sweep, in seconds.
DUBAN_SWEEP_INTERVAL = env_int("DUBAN_SWEEP_INTERVAL", 300)
