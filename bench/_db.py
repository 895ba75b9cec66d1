"""Opening the benchmarks' databases: the province data set, or a scratch database of a bench's own.

`DATABASE_URL` names the server (unset or sqlite: a file under bench/out/); the bench's
database on it is derived from the name given here, so the server's own databases
(and the test suite's test_*) are never touched.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))
SUFFIX = "" if SCALE == 1.0 else "_" + f"{SCALE:g}".replace(".", "_")


def on_postgres(url: str | None = None) -> bool:
    url = os.environ.get("DATABASE_URL", "") if url is None else url
    return url.startswith(("postgres://", "postgresql://"))


def _admin_connect(url: str):
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    return psycopg.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"], dbname=cfg["NAME"],
                           password=cfg["PASSWORD"] or None, autocommit=True)


def postgres_create_if_missing(url: str, name: str) -> None:
    with _admin_connect(url) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def postgres_recreate(url: str, name: str) -> None:
    with _admin_connect(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_url(name: str, *, fresh: bool = False) -> str:
    """The URL of the bench database `name` (a file bench/out/<name>.sqlite3, or database <name>).

    `fresh` starts from an empty database: the SQLite file is removed, the PostgreSQL one recreated.
    """
    url = os.environ.get("DATABASE_URL", "")
    if not on_postgres(url):
        OUT.mkdir(exist_ok=True)
        path = OUT / f"{name}.sqlite3"
        if fresh:
            for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                leftover.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    (postgres_recreate if fresh else postgres_create_if_missing)(url, name)
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def province_url() -> str:
    """The province data set's database: bench/out/province.sqlite3 or duban_bench (created when missing)."""
    return database_url(f"province{SUFFIX}" if not on_postgres() else f"duban_bench{SUFFIX}")


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.config.settings")
    import django

    django.setup()
