import logging
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("grassroots")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def enqueue(task_name: str, *args, **kwargs) -> bool:
    """Send a task by name; a broker that is down is logged, never raised.

    Nothing a user submits may fail because the broker is unreachable: the periodic jobs are
    time-based and catch up once it is back. The broker timeouts are short (see settings), so the
    caller is not held for long either.
    """
    try:
        app.send_task(task_name, args=args, kwargs=kwargs)
    except Exception:  # noqa: BLE001 - any broker failure is the same to the caller
        logger.exception("could not enqueue %s; the periodic jobs will catch up", task_name)
        return False
    return True


def enqueue_on_commit(task_name: str, *args, **kwargs) -> None:
    """``enqueue`` once the current transaction has committed (at once outside one)."""
    from django.db import transaction

    transaction.on_commit(lambda: enqueue(task_name, *args, **kwargs))
