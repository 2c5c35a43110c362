"""Thin Celery wrappers around the reports' services."""

from celery import shared_task

from . import services


@shared_task
def export_run(job_id: int) -> str:
    return services.export_job_run(job_id=job_id).status
