"""A database of its own for tests that run real processes (servers, workers) beside pytest.

An SQLite file in the test's temporary directory, or, when the suite runs on PostgreSQL
(DATABASE_URL), a fresh PostgreSQL database created here and dropped afterwards.
"""

import contextlib
import os
import socket
import urllib.parse

SERVER_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = SERVER_URL.startswith(("postgres://", "postgresql://"))
BACKEND = "postgresql" if ON_POSTGRES else "sqlite"


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
