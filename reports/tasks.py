"""Thin Celery wrappers around the reports' services."""

from celery import shared_task
from django.utils import timezone

from . import rollups, services


@shared_task
def export_run(job_id: int) -> str:
    return services.export_job_run(job_id=job_id).status


@shared_task
def refresh_rollups(recent: bool = False) -> int:
    """The current and previous periods (every ROLLUP_INTERVAL_SECONDS), or with ``recent`` every
    period of this year and the last (nightly)."""
    periods = rollups.recent_periods(timezone.localdate()) if recent else None
    return len(rollups.rollups_refresh(periods=periods).periods)
