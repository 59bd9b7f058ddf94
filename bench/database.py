"""The benchmarks' own PostgreSQL database and Django set-up."""

import os
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def _server(settings: dict):
    """A connection to the PostgreSQL server DATABASE_URL names, outside its database."""
    import psycopg

    return psycopg.connect(
        dbname="postgres",
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        autocommit=True,
    )


def database_ensure(url: str) -> None:
    """Create the database DATABASE_URL names if PostgreSQL does not have it yet."""
    import dj_database_url
    from psycopg import sql

    settings = dj_database_url.parse(url)
    if settings["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("DATABASE_URL must point at PostgreSQL: the figures are for production.")
    with _server(settings) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [settings["NAME"]]
        ).fetchone()
        if not exists:
            connection.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings["NAME"]))
            )
            print(f"Created database {settings['NAME']}.")


def database_drop(url: str) -> None:
    """Drop the database DATABASE_URL names, if PostgreSQL has it: a rebuild starts empty.

    Deleting a mission of four million answers through Django reads them all first; dropping
    the benchmark's own database takes a moment.
    """
    import dj_database_url
    from psycopg import sql

    settings = dj_database_url.parse(url)
    with _server(settings) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(settings["NAME"])
            )
        )


def django_setup() -> None:
    """Set Django up in production mode on DATABASE_URL and bring the schema up to date."""
    sys.path.insert(0, str(PROJECT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-for-production-0123456789")
    os.environ.setdefault("DEBUG", "false")
    # The benchmarks time the database; jobs may run in-process.
    os.environ.setdefault("EMBEDDED_SERVICES", "true")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
