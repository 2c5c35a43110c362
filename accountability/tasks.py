"""Thin Celery wrappers around the oversight services (scheduled in CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from config.celery_app import enqueue

from . import services


@shared_task
def sweep_overdue(full: bool = False) -> dict:
    result = services.escalations_sweep(full=full)
    if result.total:
        # Each rung has committed by now: delivery never runs inside the sweep's transaction.
        enqueue("accountability.tasks.send_escalations")
    return result.created


@shared_task
def send_escalations() -> int:
    return services.escalations_send_all()


@shared_task
def send_digest() -> int:
    return services.digest_send()
