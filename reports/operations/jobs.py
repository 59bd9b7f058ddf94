"""Large XLSX exports, written by a worker while the coordinator watches their progress.

A CSV export streams as it is written, in constant memory, however long it is. An XLSX
workbook cannot be sent before it is finished: for a national mission's answers that is
minutes, longer than a browser or a proxy waits for a response. So an XLSX export of more
than OPERATIONS_EXPORT_JOB_ROWS rows becomes an ExportJob: the Celery task writes the
workbook (a chunk of rows at a time, as the streamed exports do), records how many rows it
has written, and keeps the file in the media storage; the job's page shows the progress and
then the link to the file.
"""

import logging

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation

from reports.models import ExportJob
from reports.operations.exports import EXPORTS, xlsx_file

logger = logging.getLogger(__name__)

JOB_FORMATS = ("xlsx",)


def export_needs_job(*, export, format: str, mission) -> bool:
    """Whether this export is too large to write during the request."""
    if format not in JOB_FORMATS:
        return False
    return export.count(mission) > settings.OPERATIONS_EXPORT_JOB_ROWS


def export_job_request(*, mission, kind: str, format: str, user, language: str) -> ExportJob:
    """Record the job and send it to a worker once the transaction commits."""
    job = ExportJob.objects.create(
        mission=mission, kind=kind, format=format, language=language, requested_by=user
    )
    transaction.on_commit(lambda: export_job_send(job.pk), robust=True)
    return job


def export_job_send(job_id: int) -> None:
    from reports.tasks import export_job_task

    try:
        export_job_task.delay(job_id)
    except Exception:
        # The broker cannot be reached: the job's page says it failed rather than wait forever.
        logger.exception("Export job %s could not be queued", job_id)
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
            status=ExportJob.Status.FAILED,
            error="not sent: the broker could not be reached",
            finished_at=timezone.now(),
        )


def export_job_run(*, job_id: int) -> str:
    """Write the job's file.

    A job found running is written again from the start: its task comes back only when the
    worker that had it was lost (acks_late, reject_on_worker_lost), or after the broker's
    visibility timeout, longer than any export. A finished or failed job is left as it is.
    """
    claimed = ExportJob.objects.filter(
        pk=job_id, status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING]
    ).update(status=ExportJob.Status.RUNNING, rows_done=0)
    if not claimed:
        return "finished already"
    job = ExportJob.objects.select_related("mission").get(pk=job_id)
    export = EXPORTS[job.kind]
    jobs = ExportJob.objects.filter(pk=job_id)
    try:
        with translation.override(job.language):
            jobs.update(rows_total=export.count(job.mission))
            handle = xlsx_file(
                export.rows(job.mission),
                export.slug,
                progress=lambda done: jobs.update(rows_done=done),
            )
            with handle:
                job.file.save(f"{job.mission.slug}-{export.slug}.xlsx", File(handle), save=False)
    except Exception as error:
        jobs.update(
            status=ExportJob.Status.FAILED, error=str(error)[:500], finished_at=timezone.now()
        )
        raise
    done = jobs.values_list("rows_total", flat=True).get()
    jobs.update(
        status=ExportJob.Status.DONE,
        file=job.file.name,
        rows_done=done,
        finished_at=timezone.now(),
    )
    return job.file.name
