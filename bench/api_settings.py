"""Settings of the API benchmark's server: the product's settings, plus the limit's bench-only URLs.

Used only by bench/api.py, through `DJANGO_SETTINGS_MODULE=bench.api_settings duban serve`;
never deployed.
"""

from duban.config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
