"""An XLSX export over OPERATIONS_EXPORT_JOB_ROWS rows is written by a worker (Celery, eager
in the tests): the coordinator asks for it, follows its progress, and downloads the file,
which reads back (openpyxl) as the database holds it. Only the mission's coordinators and
head may see a job or its file."""

import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from config.celery import app as celery_app
from reports.models import Answer, ExportJob
from reports.operations import exports
from tests.factories import MembershipFactory, MissionFactory, UserFactory
from tests.operations_support import build_operations


@pytest.fixture(autouse=True)
def jobs_in_process():
    """Run the export jobs in-process even when REDIS_URL points the suite at a real broker."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def export_url(mission, kind: str = "answers", format: str = "xlsx") -> str:
    return reverse("operations:export", args=[mission.slug, kind, format])


def job_url(mission, job, name: str = "export_job") -> str:
    return reverse(f"operations:{name}", args=[mission.slug, job.pk])


def workbook_rows(body: bytes) -> list[list]:
    workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


@pytest.fixture
def big_mission(personas, settings):
    # Six answers per visit: eight visits' answers are "large" against a limit of twenty rows,
    # their two incidents are not.
    settings.OPERATIONS_EXPORT_JOB_ROWS = 20
    build_operations(personas.mission_a, size=8, observer_user=personas.observer)
    assert Answer.objects.filter(visit__mission=personas.mission_a).count() > 20
    return personas.mission_a


def ask_for_the_file(client, mission, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(export_url(mission))
    job = ExportJob.objects.get(mission=mission)
    assert response.status_code == 302
    assert response["Location"] == job_url(mission, job)
    return job


def test_a_large_xlsx_export_is_offered_as_a_job_not_written_during_the_request(
    coordinator_client, big_mission
):
    response = coordinator_client.get(export_url(big_mission))

    html = response.content.decode()
    assert "Content-Disposition" not in response
    assert "Prepare the file" in html
    assert str(Answer.objects.filter(visit__mission=big_mission).count()) in html
    assert not ExportJob.objects.exists()


def test_the_job_writes_the_whole_file_and_its_page_offers_it(
    coordinator_client, big_mission, django_capture_on_commit_callbacks
):
    job = ask_for_the_file(coordinator_client, big_mission, django_capture_on_commit_callbacks)

    job.refresh_from_db()
    answers = Answer.objects.filter(visit__mission=big_mission)
    assert job.status == ExportJob.Status.DONE
    assert job.rows_total == job.rows_done == answers.count()
    page = coordinator_client.get(job_url(big_mission, job)).content.decode()
    assert job_url(big_mission, job, "export_job_file") in page
    status = coordinator_client.get(job_url(big_mission, job, "export_job_status")).json()
    assert status == {
        "status": "done",
        "rows_done": answers.count(),
        "rows_total": answers.count(),
        "percent": 100,
    }

    response = coordinator_client.get(job_url(big_mission, job, "export_job_file"))
    assert f"{big_mission.slug}-answers.xlsx" in response["Content-Disposition"]
    rows = workbook_rows(b"".join(response.streaming_content))
    body = rows[1:]
    assert len(body) == answers.count()
    by_key = {(row[0], row[6]): row for row in body}
    for answer in answers.select_related("question"):
        row = by_key[(answer.visit_id, answer.question.code)]
        assert row[9] == answer.is_concern
    assert sorted({row[0] for row in body}) == sorted({a.visit_id for a in answers})


def test_a_job_s_page_follows_its_progress_with_a_script_file_only(
    coordinator_client, big_mission, django_capture_on_commit_callbacks
):
    job = ExportJob.objects.create(
        mission=big_mission, kind="answers", format="xlsx", language="en", rows_total=400
    )
    ExportJob.objects.filter(pk=job.pk).update(status="running", rows_done=100)

    page = coordinator_client.get(job_url(big_mission, job)).content.decode()

    assert 'value="25"' in page
    assert "operations/export_job.js" in page
    assert "<script>" not in page
    assert job_url(big_mission, job, "export_job_file") not in page
    missing = coordinator_client.get(job_url(big_mission, job, "export_job_file"))
    assert missing.status_code == 404


def test_a_small_xlsx_export_and_every_csv_export_come_at_once(
    coordinator_client, big_mission, settings
):
    csv_response = coordinator_client.get(export_url(big_mission, format="csv"))
    small = coordinator_client.get(export_url(big_mission, kind="incidents"))

    assert "answers.csv" in csv_response["Content-Disposition"]
    assert "incidents.xlsx" in small["Content-Disposition"]
    assert not ExportJob.objects.exists()


def test_another_mission_s_coordinator_finds_no_job_and_no_file(
    coordinator_client, big_mission, personas, django_capture_on_commit_callbacks
):
    job = ask_for_the_file(coordinator_client, big_mission, django_capture_on_commit_callbacks)
    stranger = UserFactory(first_name="Other", last_name="Coordinator")
    other = MissionFactory()
    MembershipFactory(mission=other, user=stranger, role="coordinator")
    client = Client()
    client.force_login(stranger)

    for name in ("export_job", "export_job_status", "export_job_file"):
        # Under the job's own mission, and under the stranger's mission with the job's id.
        assert client.get(job_url(big_mission, job, name)).status_code == 404
        response = client.get(reverse(f"operations:{name}", args=[other.slug, job.pk]))
        assert response.status_code == 404
        assert b"PK" not in response.content[:2]


def test_an_observer_of_the_mission_may_neither_ask_for_nor_fetch_a_file(
    coordinator_client, big_mission, personas, django_capture_on_commit_callbacks
):
    job = ask_for_the_file(coordinator_client, big_mission, django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(personas.observer)

    response = client.get(job_url(big_mission, job, "export_job_file"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(export_url(big_mission))

    assert response.status_code == 403
    assert b"PK" not in response.content[:2]
    assert ExportJob.objects.filter(mission=big_mission).count() == 1


def test_the_worker_reports_its_progress_a_chunk_at_a_time(monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 10)
    told = []

    handle = exports.xlsx_file(([n] for n in range(36)), "rows", progress=told.append)

    assert told == [10, 20, 30]
    assert len(workbook_rows(handle.read())) == 1 + 35  # the header, then the rows


def test_a_job_whose_worker_was_lost_is_written_when_its_task_comes_back(big_mission):
    from reports.tasks import export_job_task

    job = ExportJob.objects.create(
        mission=big_mission, kind="answers", format="xlsx", language="en"
    )
    ExportJob.objects.filter(pk=job.pk).update(status="running", rows_done=20)

    export_job_task.delay(job.pk)

    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert job.rows_done == Answer.objects.filter(visit__mission=big_mission).count()
    rows = workbook_rows(job.file.read())
    assert len(rows) == 1 + job.rows_done
    # Delivered once more, a finished job is left as it is.
    assert export_job_task.delay(job.pk).get() == "finished already"
