"""Celery tasks of the reports app: thin wrappers around reports.statements.jobs.

Delivery is at least once (acks_late, reject_on_worker_lost, Redis visibility timeout, the
sweep): a task may run twice for one version. The services make that harmless — the claim
lets one worker at a time compile a version, the lease check lets one of them store
documents.
"""

import math

from celery import shared_task
from django.utils import timezone

from reports.statements.jobs import (
    TRANSIENT_ERRORS,
    StatementBusy,
    documents_orphans_remove,
    statement_compile,
    statements_sweep,
)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def statement_compile_task(self, statement_id: int) -> str:
    """Compile one version of a statement."""
    try:
        return statement_compile(statement_id=statement_id)
    except StatementBusy as busy:
        if self.request.is_eager:
            # Nobody else runs jobs in-process: waiting for the lease would only spin.
            return str(busy)
        # Another worker has it. If that worker was killed (this is its redelivered
        # message), its heartbeat stopped: the lease runs out within STATEMENT_LEASE_SECONDS
        # and the retry takes the job over; if it is alive, the retry finds the version done
        # (or still held, and waits again).
        seconds = (busy.lease_until - timezone.now()).total_seconds()
        raise self.retry(countdown=max(1, math.ceil(seconds) + 1), exc=busy) from busy


@shared_task(acks_late=True, reject_on_worker_lost=True)
def export_job_task(job_id: int) -> str:
    """Write a large export's file (see reports.operations.jobs)."""
    from reports.operations.jobs import export_job_run

    return export_job_run(job_id=job_id)


@shared_task
def statements_sweep_task() -> dict[str, list]:
    """Send again the compile jobs that were lost, remove the files no document points to
    (see statements_sweep and documents_orphans_remove)."""
    return {"resent": statements_sweep(), "orphans_removed": documents_orphans_remove()}
