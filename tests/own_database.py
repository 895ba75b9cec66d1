"""A database of its own for tests that run real processes (servers, workers) beside pytest.

An SQLite file in the test's temporary directory, or, when the suite runs on PostgreSQL
(DATABASE_URL), a fresh PostgreSQL database created here and dropped afterwards.
"""

import contextlib
import os
import socket
import textwrap
import urllib.parse

SERVER_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = SERVER_URL.startswith(("postgres://", "postgresql://"))
BACKEND = "postgresql" if ON_POSTGRES else "sqlite"

# How every setup script run with `python -c` beside the tests begins: Django, the tables
# (`duban migrate` without a second start-up), cheap password hashes (nobody signs in with them:
# the clients hold tokens), and the test cast as `c`.
SETUP_PREAMBLE = textwrap.dedent("""
    import django
    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm
    from django.core.management import call_command
    from duban.core.cast import build_cast

    call_command("migrate", interactive=False, verbosity=0)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()
    c = build_cast()
""")


@contextlib.contextmanager
def own_database(tmp_path, purpose: str):
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'duban.sqlite3'}"
        return
    import psycopg

    parts = urllib.parse.urlsplit(SERVER_URL)
    name = f"test_duban_{purpose}_{os.getpid()}"
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
