"""The background jobs on a real broker: from a pledge to its escalation to the inbox, and a dead
broker that costs the cadre nothing."""

import logging
import os
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from django.utils import timezone

import accountability.tasks  # noqa: F401 - registers the tasks with the worker
from accountability.models import Escalation, EscalationRule
from cadres.models import Notification
from casework.models import Commitment, DeadlinePolicy, Urgency
from tests import factories as f
from tests.conftest import celery_at
from tests.visits.test_api import api_client, body


@pytest.fixture
def reminder_now(db):
    """A rung a fresh urgent pledge (3 working days) has already reached: 5 days before due."""
    category = f.CategoryFactory()
    DeadlinePolicy.objects.create(category=category, urgency=Urgency.URGENT, working_days=3)
    EscalationRule.objects.create(
        code="early", name="Due soon", subject="commitment", offset_days=-5, audience="owner"
    )
    return category


def pledge_body(world, category):
    return body(
        world,
        category,
        {"text": "Roof leaks", "urgency": "urgent", "outcome": "pledged", "pledge_text": "Send the repair team"},
    )


def test_with_the_broker_down_a_visit_with_a_pledge_is_saved_and_answers_quickly(
    world, reminder_now, caplog, django_capture_on_commit_callbacks
):
    client = api_client(world.cadre_user)
    with celery_at("redis://127.0.0.1:1/0"), caplog.at_level(logging.ERROR, logger="config.celery_app"):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(reverse("api_visits"), pledge_body(world, reminder_now), format="json")
        elapsed = time.monotonic() - started

    assert response.status_code == 201
    assert Commitment.objects.filter(text="Send the repair team").exists()
    assert len(callbacks) == 1
    assert "could not enqueue accountability.tasks.sweep_overdue" in caplog.text
    assert elapsed < 5

    # The broker comes back; the scheduled sweep, being time-based, escalates the pledge.
    from accountability.services import escalations_sweep

    assert escalations_sweep().created["early"] == 1


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_takes_a_pledge_to_an_escalation_and_the_owners_inbox(world, reminder_now):
    client = api_client(world.cadre_user)
    with celery_at(os.environ["REDIS_URL"]) as app, start_worker(app, pool="solo", perform_ping_check=False):
        response = client.post(reverse("api_visits"), pledge_body(world, reminder_now), format="json")
        assert response.status_code == 201
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not Notification.objects.filter(recipient=world.cadre_user).exists():
            time.sleep(0.2)

    commitment = Commitment.objects.get(text="Send the repair team")
    escalation = Escalation.objects.get(commitment=commitment)
    assert escalation.delivery == Escalation.Delivery.SENT
    assert escalation.due_at == commitment.due_at - timedelta(days=5)
    notification = Notification.objects.get(recipient=world.cadre_user)
    assert notification.title.startswith("Due soon") and notification.created_at <= timezone.now()
