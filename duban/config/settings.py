"""One settings module, read from environment variables.

Every knob an office may want to turn is a `DUBAN_*` variable; the defaults are
the embedded ones (SQLite in the working directory, in-process worker).
"""

import datetime as dt
import ipaddress
import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from duban.core.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = env_str("DUBAN_SECRET_KEY", "")
DEBUG = env_bool("DUBAN_DEBUG", False)
# DUBAN_HTTPS=1 says the office serves duban over HTTPS (directly or behind its proxy):
# redirects, HSTS and secure cookies follow from it (docs/security.md).
DUBAN_HTTPS = env_bool("DUBAN_HTTPS", False)
if not SECRET_KEY and DUBAN_HTTPS and not DEBUG:
    raise ImproperlyConfigured("DUBAN_SECRET_KEY must be set in production (DUBAN_HTTPS=1): see docs/security.md")
if not SECRET_KEY:
    # Development and the demo: a per-checkout key is good enough; production
    # deployments set DUBAN_SECRET_KEY (docs/deploy.md).
    SECRET_KEY = "duban-insecure-development-key-set-DUBAN_SECRET_KEY"

ALLOWED_HOSTS = env_list("DUBAN_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DUBAN_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # First, so that its `createsuperuser` (which refuses: 三员分立) wins over django.contrib.auth's.
    "duban.security",
    "duban.core.adminsite.DubanAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "duban.core",
    "duban.audit",
    "duban.org",
    "duban.workdays",
    "duban.supervision",
    "duban.escalation",
    "duban.demo",
    "duban.api",
    "duban.ledger",
    "duban.bulletins",
    "duban.scorecards",
    "duban.extract",
    "duban.quality",
    "duban.voice",
    "duban.inspection",
    "duban.web",
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
    "duban.security.middleware.SignInPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a flagged lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
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
                "duban.web.context.header",
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
    # Short indexed queries: JIT compilation costs more than it saves and can add seconds to a list page.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    # Test runs get their own database, so that several runs on one server do not collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_duban_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# django-axes refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# ---- Sign-in policy (等保2.0 三级; docs/security.md) ----
# Password: at least 8 characters, 3 of the 4 character classes, not the login name, not a common password.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "duban.security.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "duban.security.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "duban.security.passwords.UsernameValidator"},
    {"NAME": "duban.security.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "duban.security.passwords.CommonPasswordValidator"},
    {"NAME": "duban.security.passwords.NumericPasswordValidator"},
]
# Days after which a password must be changed at the next request; 0 turns expiry off.
DUBAN_PASSWORD_MAX_AGE_DAYS = env_int("DUBAN_PASSWORD_MAX_AGE_DAYS", 90)

# Reverse proxies whose X-Forwarded-For is believed (IPs or CIDRs). Empty: REMOTE_ADDR is the client.
DUBAN_TRUSTED_PROXIES = env_list("DUBAN_TRUSTED_PROXIES", [])
for _proxy in DUBAN_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"DUBAN_TRUSTED_PROXIES: {_proxy!r} is not an IP address or network") from _exc

# Lockout: 5 failures of one account from one client address lock that pair for 15 minutes.
# Keyed on the pair so that a stranger cannot lock a colleague out from elsewhere, and the
# address is the real client's (duban.security.client_ip), never a forged header.
AXES_FAILURE_LIMIT = env_int("DUBAN_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("DUBAN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "duban.security.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "duban.security.views.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
# The count is cleared when the whole sign-in succeeds, second factor included (duban.security.lockout),
# not by the password alone.
AXES_RESET_ON_SUCCESS = False
# A refused attempt during the lock does not restart the 15 minutes: the lock ends when it says.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False
# Sign-ins are recorded once, in the hash-chained audit trail (duban.security.events), not in axes's log too.
AXES_DISABLE_ACCESS_LOG = True

# Second factor (TOTP). The three administrators must enrol; everyone else may.
OTP_TOTP_ISSUER = env_str("DUBAN_OTP_ISSUER", "督办")

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

# Idle timeout: a session ends 30 minutes after its last request (the expiry moves on every request).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("DUBAN_SESSION_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_SECURE = DUBAN_HTTPS or env_bool("DUBAN_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if DUBAN_HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env_int("DUBAN_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DUBAN_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DUBAN_HSTS_PRELOAD", False)
    # /healthz answers plain HTTP too, for the load balancer's probe.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if DUBAN_TRUSTED_PROXIES:
    # Only a proxy we trust may say the request came in over HTTPS; it must overwrite the header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = []
if DUBAN_HTTPS and not SECURE_HSTS_PRELOAD:
    # Preloading is a promise to browsers about the whole domain that an office makes on purpose
    # (hstspreload.org); offices on intranet names cannot make it. DUBAN_HSTS_PRELOAD=1 opts in.
    SILENCED_SYSTEM_CHECKS.append("security.W021")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DUBAN_LOG_LEVEL", "INFO")},
    # django-axes narrates every attempt at INFO; the audit trail already holds each one.
    "loggers": {"axes": {"level": env_str("DUBAN_AXES_LOG_LEVEL", "WARNING")}},
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
# The worker makes last month's 督查通报 for every supervision office once a month.
DUBAN_MONTHLY_BULLETIN = env_bool("DUBAN_MONTHLY_BULLETIN", True)
# Seconds a LibreOffice conversion of a bulletin to PDF may take.
DUBAN_PDF_TIMEOUT = env_int("DUBAN_PDF_TIMEOUT", 120)
# Extensions must be asked for before the deadline.
DUBAN_EXTENSION_BEFORE_DEADLINE = env_bool("DUBAN_EXTENSION_BEFORE_DEADLINE", True)
# How often the worker re-runs the lights sweep, in seconds.
DUBAN_SWEEP_INTERVAL = env_int("DUBAN_SWEEP_INTERVAL", 300)

# 群众线索 (docs/voice.md). Sealed personal data: set DUBAN_FIELD_KEY in production, apart from the secret key.
DUBAN_FIELD_KEY = env_str("DUBAN_FIELD_KEY", "") or SECRET_KEY
DUBAN_FIELD_KEYS_OLD = env_list("DUBAN_FIELD_KEYS_OLD", [])
# Working days a unit has to answer a clue routed to it.
DUBAN_CLUE_ANSWER_WORKDAYS = env_int("DUBAN_CLUE_ANSWER_WORKDAYS", 10)
# Working days the sender has to rate an answer; after them the clue closes unrated.
DUBAN_CLUE_RATE_WORKDAYS = env_int("DUBAN_CLUE_RATE_WORKDAYS", 7)
# Submissions allowed per address per hour and per phone number per day; lookups by code per address per hour.
DUBAN_CLUE_LIMIT_PER_ADDRESS = env_int("DUBAN_CLUE_LIMIT_PER_ADDRESS", 5)
DUBAN_CLUE_LIMIT_PER_PHONE = env_int("DUBAN_CLUE_LIMIT_PER_PHONE", 3)
DUBAN_CLUE_LOOKUPS_PER_ADDRESS = env_int("DUBAN_CLUE_LOOKUPS_PER_ADDRESS", 60)
# Posts of the submission form per address per hour, counted before the form is read (typos included).
DUBAN_CLUE_ATTEMPTS_PER_ADDRESS = env_int("DUBAN_CLUE_ATTEMPTS_PER_ADDRESS", 30)
# Photos per clue or visit, and the largest accepted upload.
DUBAN_PHOTO_MAX_COUNT = env_int("DUBAN_PHOTO_MAX_COUNT", 6)
DUBAN_PHOTO_MAX_BYTES = env_int("DUBAN_PHOTO_MAX_MB", 10) * 1024 * 1024

# ---- Urging and delivery (DESIGN.md: Escalation ladder) ----
# Office hours for routine notices (Asia/Shanghai): outside them, and on days off, they wait
# for the next working morning; urgent ones go at once.
DUBAN_NOTICE_DAY_START = env_int("DUBAN_NOTICE_DAY_START", 8)
DUBAN_NOTICE_DAY_END = env_int("DUBAN_NOTICE_DAY_END", 20)
# Outside channels a person gets unless they choose otherwise (the in-app inbox is always on).
DUBAN_NOTICE_EMAIL_DEFAULT = env_bool("DUBAN_NOTICE_EMAIL_DEFAULT", bool(env_str("DUBAN_EMAIL_HOST", "")))
DUBAN_NOTICE_SMS_DEFAULT = env_bool("DUBAN_NOTICE_SMS_DEFAULT", False)
# Links in messages point here (e.g. https://duban.example.gov.cn); empty leaves them out.
DUBAN_BASE_URL = env_str("DUBAN_BASE_URL", "").rstrip("/")
# Delivery: a claimed message is another worker's to retry once its lease runs out; transient
# failures back off (seconds, one entry per retry) and give up after the last.
DUBAN_DELIVERY_LEASE_SECONDS = env_int("DUBAN_DELIVERY_LEASE_SECONDS", 120)
DUBAN_DELIVERY_BACKOFF = [int(s) for s in env_list("DUBAN_DELIVERY_BACKOFF", ["60", "300", "1800", "7200", "21600"])]
DUBAN_DELIVERY_BATCH = env_int("DUBAN_DELIVERY_BATCH", 50)
DUBAN_DELIVERY_TIMEOUT = env_int("DUBAN_DELIVERY_TIMEOUT", 10)
# The SMS gateway (a generic HTTP template; docs/channels.md). Empty URL: no SMS.
DUBAN_SMS_URL = env_str("DUBAN_SMS_URL", "")
DUBAN_SMS_HEADERS = json.loads(env_str("DUBAN_SMS_HEADERS", "{}"))
DUBAN_SMS_BODY = env_str("DUBAN_SMS_BODY", '{"phone": "{phone}", "text": "{text}", "key": "{key}"}')
DUBAN_SMS_MAX_CHARS = env_int("DUBAN_SMS_MAX_CHARS", 300)
DUBAN_SMS_OK_FIELD = env_str("DUBAN_SMS_OK_FIELD", "")
DUBAN_SMS_OK_VALUE = env_str("DUBAN_SMS_OK_VALUE", "")
# Mail (Django's SMTP backend); without a host, nobody gets notices by e-mail by default.
EMAIL_HOST = env_str("DUBAN_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DUBAN_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("DUBAN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("DUBAN_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DUBAN_EMAIL_TLS", False)
EMAIL_USE_SSL = env_bool("DUBAN_EMAIL_SSL", False)
EMAIL_TIMEOUT = env_int("DUBAN_EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DUBAN_EMAIL_FROM", "duban@localhost")

# ---- The JSON API ----
# Longest life of a personal API token, in days, and how many live tokens a person may hold.
DUBAN_API_TOKEN_MAX_DAYS = env_int("DUBAN_API_TOKEN_MAX_DAYS", 365)
DUBAN_API_TOKENS_PER_PERSON = env_int("DUBAN_API_TOKENS_PER_PERSON", 10)
# Largest page a list endpoint returns.
DUBAN_API_PAGE_MAX = env_int("DUBAN_API_PAGE_MAX", 200)
