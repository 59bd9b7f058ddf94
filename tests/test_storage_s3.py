"""Documents and attachments in an S3-compatible bucket (moto's server, started here on
loopback): a worker and a web process on different local folders share a statement through the
bucket, and every file is still served only through the pages' access checks."""

import hashlib
import io
import os
import secrets
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from PIL import Image

from config.celery import app as celery_app
from config.storage import s3_storage
from reports.models import Attachment, Statement
from tests.test_statement_jobs import (
    FORMATS,
    _broker_pools_reset,
    free_port,
    redis_broker_url,  # noqa: F401  (a fixture)
    status_of,
    wait_until,
)
from tests.test_visits import (
    JPEG,
    field,  # noqa: F401  (a fixture)
    filled_form,
    new_visit_url,
    observer_client,  # noqa: F401  (a fixture)
)

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"access_key": "observa-test", "secret_key": "observa-test-secret"}


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3-compatible server on a free loopback port, for this module's tests."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, tmp_path):
    """An empty private bucket, and this (web) process storing its files there, with a local
    folder of its own that must stay empty."""
    name = f"observa-{secrets.token_hex(4)}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )
    client.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(
            bucket=name,
            endpoint_url=s3_endpoint,
            region="us-east-1",
            addressing_style="path",
            **KEYS,
        ),
    }
    web_folder = tmp_path / "web"
    web_folder.mkdir()
    settings.MEDIA_ROOT = str(web_folder)
    # What a worker on another machine is given: the same bucket, from its environment.
    env = {
        "MEDIA_S3_BUCKET": name,
        "MEDIA_S3_ENDPOINT_URL": s3_endpoint,
        "MEDIA_S3_REGION": "us-east-1",
        "MEDIA_S3_ADDRESSING_STYLE": "path",
        "MEDIA_S3_ACCESS_KEY_ID": KEYS["access_key"],
        "MEDIA_S3_SECRET_ACCESS_KEY": KEYS["secret_key"],
    }
    return SimpleNamespace(name=name, client=client, env=env, web_folder=web_folder)


def keys_in(bucket) -> list[str]:
    listing = bucket.client.list_objects_v2(Bucket=bucket.name)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def local_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def assert_private(bucket, key: str) -> None:
    acl = bucket.client.get_object_acl(Bucket=bucket.name, Key=key)
    grantees = [grant["Grantee"] for grant in acl["Grants"]]
    assert all(grantee.get("Type") == "CanonicalUser" for grantee in grantees), grantees


def database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextmanager
def worker_process(*, broker_url: str, folder: Path, storage_env: dict[str, str], log: Path):
    """A Celery worker in its own process, configured from its environment only, as on
    another machine: its own local folder, the bucket, the test database and broker."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MEDIA_", "DJANGO"))}
    env = {
        **keep,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "DATABASE_URL": database_url(),
        "REDIS_URL": broker_url,
        "MEDIA_ROOT": str(folder),
        **storage_env,
    }
    with open(log, "w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"s3-test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextmanager
def broker(url: str):
    saved = {name: celery_app.conf[name] for name in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=url, task_always_eager=False)
    _broker_pools_reset(celery_app)
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        _broker_pools_reset(celery_app)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_statement_compiled_on_one_machine_is_downloaded_from_another_through_the_bucket(
    bucket,
    redis_broker_url,  # noqa: F811
    personas,
    client,
    tmp_path,
):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs the test database on PostgreSQL")
    mission = personas.mission_a
    worker_folder = tmp_path / "worker"
    worker_folder.mkdir()
    client.force_login(personas.coordinator)

    with (
        broker(redis_broker_url),
        worker_process(
            broker_url=redis_broker_url,
            folder=worker_folder,
            storage_env=bucket.env,
            log=tmp_path / "worker.log",
        ),
    ):
        response = client.post(
            reverse("statements:list", args=[mission.slug]),
            {"kind": "final", "language": "en"},
            follow=True,
        )
        assert "The statement is queued for compiling." in response.text
        statement = Statement.objects.get(mission=mission)
        try:
            wait_until(lambda: status_of(statement) == "ready", timeout=120, what="it is ready")
        except BaseException:
            print((tmp_path / "worker.log").read_text())
            raise

    documents = {d.format: d for d in statement.documents.all()}
    assert sorted(documents) == FORMATS
    # The worker wrote to the bucket, not to its folder; the web process reads from it.
    assert keys_in(bucket) == sorted(d.file.name for d in documents.values())
    for file_format, document in documents.items():
        download = client.get(
            reverse("statements:download", args=[mission.slug, statement.pk, file_format])
        )
        body = b"".join(download.streaming_content)
        assert hashlib.sha256(body).hexdigest() == document.checksum
        assert len(body) == document.size
        assert_private(bucket, document.file.name)
    assert local_files(worker_folder) == []
    assert local_files(bucket.web_folder) == []

    # The same access checks as ever: another mission's coordinator is told it does not exist.
    client.force_login(personas.outsider)
    refused = client.get(reverse("statements:download", args=[mission.slug, statement.pk, "pdf"]))
    assert refused.status_code == 404
    assert b"%PDF" not in refused.content


@pytest.mark.django_db
def test_an_observers_photo_is_kept_in_the_bucket_and_served_after_the_access_check(
    bucket,
    observer_client,  # noqa: F811
    field,  # noqa: F811
    personas,
    client,
):
    data = filled_form(observer_client, field)
    data["attachments"] = [SimpleUploadedFile("queue.jpg", JPEG, "image/jpeg")]

    observer_client.post(new_visit_url(field), data)

    attachment = Attachment.objects.get()
    assert keys_in(bucket) == [attachment.file.name]
    assert attachment.file.name.startswith(f"attachments/{field['mission'].pk}/")
    assert_private(bucket, attachment.file.name)
    assert local_files(bucket.web_folder) == []
    url = reverse("reports:attachment", args=[field["mission"].slug, attachment.pk])
    shown = observer_client.get(url)
    served = b"".join(shown.streaming_content)
    # The photo as stored in the bucket: its pixels, encoded anew without EXIF.
    with attachment.file.open("rb") as stored:
        assert served == stored.read()
    assert Image.open(io.BytesIO(served)).format == "JPEG"

    client.force_login(personas.outsider)
    refused = client.get(url)
    assert refused.status_code == 404
    assert served not in refused.content
