from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from cadres.services import sessions_clear_expired


def _session(expires_in: timedelta) -> str:
    store = SessionStore()
    store["x"] = 1
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() + expires_in)
    return store.session_key


def test_clearing_sessions_removes_only_expired_ones(db):
    old = _session(timedelta(hours=-1))
    live = _session(timedelta(hours=1))
    assert sessions_clear_expired() == 1
    assert set(Session.objects.values_list("session_key", flat=True)) == {live}
    assert old not in Session.objects.values_list("session_key", flat=True)


def test_beat_schedules_the_session_cleanup():
    from config.celery_app import app

    entries = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "cadres.tasks.clear_expired_sessions" in entries


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_cleanup_through_redis(settings):
    """Through the real broker: the task is queued in Redis and a worker thread runs it."""
    import os
    import time

    from celery.contrib.testing.worker import start_worker

    from cadres.tasks import clear_expired_sessions
    from tests.conftest import celery_at

    old = _session(timedelta(hours=-1))
    with celery_at(os.environ["REDIS_URL"]) as app, start_worker(app, pool="solo", perform_ping_check=False):
        clear_expired_sessions.delay()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and Session.objects.filter(session_key=old).exists():
            time.sleep(0.1)
    assert not Session.objects.filter(session_key=old).exists()
