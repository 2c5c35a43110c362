"""Delivering escalations (inbox, email, group robot) and the supervisors' daily digest."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from accountability.models import Escalation, EscalationRule, RobotWebhook
from accountability.services import digest_send, escalations_send, escalations_send_all, escalations_sweep
from cadres.models import Notification
from casework.models import Commitment, CommitmentRequest, PetitionCase
from tests import factories as f
from tests.conftest import at_once

from .conftest import LADDER
from .test_sweep import local, pledge

NOW = local(2026, 11, 21, 9, 0)


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are written in the site's language; these tests read them in English."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def ladder(db):
    return {
        code: EscalationRule.objects.create(
            code=code, name=f"Rung {code}", subject=subject, offset_days=offset, working_days=working, audience=audience
        )
        for code, subject, offset, working, audience in LADDER
    }


@pytest.fixture
def people(world):
    """Email addresses, and a county supervisor above the township supervisor."""
    world.cadre_user.email = "cadre@example.org"
    world.cadre_user.save(update_fields=["email"])
    world.supervisor.email = "supervisor@example.org"
    world.supervisor.save(update_fields=["email"])
    world.county_supervisor = f.UserFactory(username="county-supervisor", email="county@example.org")
    f.ScopeFactory(user=world.county_supervisor, region=world.county_a, kind="supervision")
    return world


class Robot:
    """A group-robot endpoint on this machine that records what it was sent."""

    def __init__(self):
        self.received = []
        self.answer = {"errcode": 0, "errmsg": "ok"}
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                robot.received.append(json.loads(body))
                payload = json.dumps(robot.answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send?key=test"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def robot():
    endpoint = Robot()
    yield endpoint
    endpoint.server.shutdown()


def overdue_pledge(world, days_overdue=1):
    due = NOW - timedelta(days=days_overdue)
    return pledge(world, pledged_at=due - timedelta(days=5), due_at=due, last_progress_at=NOW)


def inbox(user):
    return list(Notification.objects.filter(recipient=user).values_list("title", flat=True))


def test_the_due_rung_reaches_the_owner_and_their_direct_supervisor(people, ladder):
    item = overdue_pledge(people)
    escalations_sweep(now=NOW)

    assert escalations_send(now=NOW) == 1

    row = Escalation.objects.get(commitment=item)
    assert row.delivery == Escalation.Delivery.SENT and row.channels_done == "email inbox"
    assert inbox(people.cadre_user) == [f"Rung due: {item.text}"]
    assert inbox(people.supervisor) == [f"Rung due: {item.text}"]
    assert inbox(people.county_supervisor) == [] and inbox(people.inspector) == []
    assert sorted(mail.outbox[0].to) == ["cadre@example.org", "supervisor@example.org"]
    notification = Notification.objects.get(recipient=people.supervisor)
    assert notification.url.endswith(f"/{item.pk}/") and notification.read_at is None


def test_higher_rungs_go_to_the_next_supervisor_up_and_then_to_the_inspectors(people, ladder):
    item = overdue_pledge(people, days_overdue=31)
    escalations_sweep(now=NOW)
    escalations_send(now=NOW)

    assert [t for t in inbox(people.county_supervisor) if "overdue-7" in t] == [f"Rung overdue-7: {item.text}"]
    assert not [t for t in inbox(people.supervisor) if "overdue-7" in t]
    assert inbox(people.inspector) == [f"Rung overdue-30: {item.text}"]
    assert inbox(people.outsider_user) == []


def test_a_failed_robot_is_retried_later_without_repeating_what_already_arrived(people, ladder, robot):
    RobotWebhook.objects.create(region=people.county_a, name="County group", url=robot.url)
    item = overdue_pledge(people)
    escalations_sweep(now=NOW)
    robot.answer = {"errcode": 93000, "errmsg": "invalid webhook url"}

    escalations_send(now=NOW)

    row = Escalation.objects.get(commitment=item)
    assert row.delivery == Escalation.Delivery.FAILED and "93000" in row.last_error
    assert row.channels_done == "email inbox" and row.retry_at == NOW + timedelta(minutes=1)
    assert escalations_send(now=NOW + timedelta(seconds=30)) == 0  # not before its time

    robot.answer = {"errcode": 0, "errmsg": "ok"}
    assert escalations_send(now=NOW + timedelta(minutes=2)) == 1

    row.refresh_from_db()
    assert row.delivery == Escalation.Delivery.SENT and row.attempts == 2 and row.last_error == ""
    assert len(robot.received) == 2 and item.text in robot.received[-1]["text"]["content"]
    assert robot.received[-1]["msgtype"] == "text"
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(recipient=people.supervisor).count() == 1


def test_an_unreachable_robot_is_a_failure_to_retry_not_a_crash(people, ladder):
    RobotWebhook.objects.create(region=people.t1, name="Closed port", url="http://127.0.0.1:9/robot")
    item = overdue_pledge(people)
    escalations_sweep(now=NOW)

    escalations_send(now=NOW)

    row = Escalation.objects.get(commitment=item)
    assert row.delivery == Escalation.Delivery.FAILED and row.last_error.startswith("robot:")
    assert inbox(people.supervisor) != []


def test_reminders_to_the_owner_alone_do_not_reach_the_group_robot(people, ladder, robot):
    RobotWebhook.objects.create(region=people.city, name="City group", url=robot.url)
    pledge(people, pledged_at=NOW - timedelta(days=3), due_at=local(2026, 11, 24, 18, 0), last_progress_at=NOW)
    escalations_sweep(now=NOW)

    escalations_send(now=NOW)

    assert Escalation.objects.get().rule.code == "reminder"
    assert robot.received == [] and len(inbox(people.cadre_user)) == 1 and inbox(people.supervisor) == []


def test_a_petition_past_its_deadline_reaches_its_owning_leader_and_the_supervisor(people, ladder):
    case = f.PetitionCaseFactory(
        village=people.v1, petitioner_household=people.household_in, owning_leader=people.cadre,
        registered_at=NOW - timedelta(days=90), subject="Flooded lane",
    )
    case.transition(PetitionCase.Status.ACCEPTED, by=people.supervisor, at=NOW - timedelta(days=85))
    escalations_sweep(now=NOW)

    escalations_send(now=NOW)

    assert inbox(people.cadre_user) == inbox(people.supervisor) == ["Rung petition-due: Flooded lane"]
    body = Notification.objects.get(recipient=people.supervisor).body
    assert "Reply due:" in body and "Cadre Zhang" in body


def test_a_row_left_being_sent_by_a_dead_sender_is_taken_over(people, ladder):
    item = overdue_pledge(people)
    escalations_sweep(now=NOW)
    Escalation.objects.filter(commitment=item).update(
        delivery=Escalation.Delivery.SENDING, claimed_at=NOW - timedelta(minutes=3), attempts=1
    )
    assert escalations_send(now=NOW) == 0

    assert escalations_send(now=NOW + timedelta(minutes=8)) == 1

    assert Escalation.objects.get(commitment=item).delivery == Escalation.Delivery.SENT


def test_sending_everything_goes_on_batch_after_batch(people, ladder):
    for _ in range(5):
        overdue_pledge(people)
    escalations_sweep(now=NOW)

    assert escalations_send_all(now=NOW) == 5
    assert not Escalation.objects.exclude(delivery=Escalation.Delivery.SENT).exists()
    assert Notification.objects.filter(recipient=people.supervisor).count() == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_senders_at_once_deliver_each_escalation_once(world, ladder):
    for _ in range(30):
        overdue_pledge(world)
    escalations_sweep(now=NOW)
    errors = at_once(lambda: escalations_send_all(now=NOW), 4)

    assert errors == []
    assert set(Escalation.objects.values_list("delivery", "attempts")) == {("sent", 1)}
    assert Notification.objects.filter(recipient=world.supervisor).count() == 30
    assert len(mail.outbox) == 0  # nobody in this world has an address


def test_the_digest_tells_each_supervisor_about_their_scope_once_a_day(people, ladder):
    fresh = overdue_pledge(people)  # fell due yesterday
    old = overdue_pledge(people, days_overdue=40)
    reported = overdue_pledge(people, days_overdue=3)
    reported.transition(Commitment.Status.REPORTED_DONE, by=people.cadre_user, at=NOW - timedelta(days=1))
    CommitmentRequest.objects.create(
        commitment=fresh,
        kind=CommitmentRequest.Kind.EXTENSION,
        reason="Waiting for parts",
        proposed_due_at=NOW + timedelta(days=7),
        requested_by=people.cadre_user,
    )
    elsewhere = f.CommitmentFactory(
        concern__household=people.household_out,
        owner=people.outsider,
        pledged_at=NOW - timedelta(days=9),
        original_due_at=NOW - timedelta(days=2),
        due_at=NOW - timedelta(days=2),
    )

    assert digest_send(now=NOW) == 3  # township, county and county B supervisors

    digest = Notification.objects.get(recipient=people.supervisor)
    assert "2026-11-21" in digest.title
    assert "Newly overdue since yesterday: 1" in digest.body
    assert "Overdue in all: 3" in digest.body
    assert "1 requests, 1 reported done to verify" in digest.body
    assert f"40 days: {old.text}" in digest.body
    assert elsewhere.text not in digest.body
    outsider = Notification.objects.get(recipient=people.outsider_user)
    assert "Overdue in all: 1" in outsider.body and old.text not in outsider.body
    assert "supervisor@example.org" in [m.to[0] for m in mail.outbox]

    assert digest_send(now=NOW + timedelta(hours=2)) == 0
    assert Notification.objects.filter(recipient=people.supervisor).count() == 1


def test_a_group_robot_must_have_a_web_address(people):
    from django.core.exceptions import ValidationError

    robot = RobotWebhook(region=people.t1, name="Odd", url="ftp://127.0.0.1/robot")
    with pytest.raises(ValidationError) as refused:
        robot.full_clean()
    assert "url" in refused.value.message_dict
