import datetime as dt

import pytest
import time_machine

from duban.core import clock
from duban.core.cast import build_cast
from duban.workdays import store


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    store.invalidate()
    yield
    store.invalidate()


@pytest.fixture
def cast(db):
    return build_cast()


@pytest.fixture
def frozen():
    """Freeze time at a working morning (Monday 2026-06-01 09:00 in Shanghai); move with .move_to()."""
    with time_machine.travel(clock.at_local(dt.date(2026, 6, 1), 9), tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True, scope="session")
def _no_monthly_bulletins():
    # The worker's monthly 督查通报 would run in every test that starts a worker (in process or not);
    # tests/test_bulletins.py drives it directly.
    import os

    from django.conf import settings

    os.environ["DUBAN_MONTHLY_BULLETIN"] = "0"
    settings.DUBAN_MONTHLY_BULLETIN = False
    yield


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    # PBKDF2 at production strength costs ~0.4 s a person; tests build many people.
    from django.conf import settings
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()
    yield
