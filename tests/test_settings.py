import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from config.env import env_bool, env_list, env_url

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # The test settings put their own defaults into os.environ; production mode gets none.
    ours = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "EMBEDDED_SERVICES")
    ours += ("DATABASE_URL", "REDIS_URL")
    # The browser tests' conftest allows Django's ORM in Playwright's event loop; a
    # production process never has that (check --deploy refuses it).
    ours += ("DJANGO_ALLOW_ASYNC_UNSAFE",)
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_passes_the_deployment_check():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="k7#Qv2!mZp9^rT4@xW8&nB3*hJ6(cL1)yF5$dS0%gA-=uE+iO;Lq~Vb",
        ALLOWED_HOSTS="observa.example.org",
        DATABASE_URL="postgres://observa@db.example.org:5432/observa",
        REDIS_URL="redis://redis.example.org:6379/0",
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({}, "DATABASE_URL and REDIS_URL must be set when DEBUG is off"),
        ({"DATABASE_URL": "postgres://o@db/observa"}, "REDIS_URL must be set when DEBUG is off"),
        ({"REDIS_URL": "redis://r:6379/0"}, "DATABASE_URL must be set when DEBUG is off"),
    ],
)
def test_production_mode_refuses_to_start_without_its_database_and_redis(given, missing):
    result = run_manage("check", DEBUG="false", SECRET_KEY="x" * 60, **given)

    assert result.returncode != 0
    assert missing in result.stderr


def test_debug_mode_still_runs_on_the_embedded_database():
    result = run_manage("check", DEBUG="true")

    assert result.returncode == 0, result.stderr


def test_production_mode_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_a_malformed_boolean_is_refused(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")

    with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe' is not a boolean"):
        env_bool("DEBUG", default=False)


@pytest.mark.parametrize(("raw", "expected"), [("TRUE", True), ("0", False), ("off", False)])
def test_booleans_are_read_in_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)

    assert env_bool("FLAG", default=not expected) is expected


def test_an_empty_host_in_a_list_is_refused(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "a.example.org,,b.example.org")

    with pytest.raises(ImproperlyConfigured, match="empty item"):
        env_list("ALLOWED_HOSTS", [])


def test_a_database_url_of_an_unknown_kind_is_refused(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/observa")

    with pytest.raises(ImproperlyConfigured, match="postgres://"):
        env_url("DATABASE_URL", ("postgres", "postgresql", "sqlite"))


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="CI runs on the real services")
@pytest.mark.django_db
def test_ci_runs_on_postgresql_and_a_redis_broker():
    assert connection.vendor == "postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert settings.CELERY_TASK_ALWAYS_EAGER is False


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis server")
def test_the_shared_cache_keeps_one_redis_client_and_shares_what_it_stores():
    from config.cache import RedisCache

    location = os.environ["REDIS_URL"]
    one, other = RedisCache(location, {}), RedisCache(location, {})  # as two processes would
    key = f"test:shared:{uuid.uuid4().hex}"

    one.set(key, {"generation": 7}, timeout=30)

    assert other.get(key) == {"generation": 7}
    assert other.get_many([key, key + ":missing"]) == {key: {"generation": 7}}
    assert one._cache.get_client() is one._cache.get_client(write=True)
    one.delete(key)
    assert other.get(key) is None
