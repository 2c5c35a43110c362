"""The commitment pages: my commitments, one commitment and its actions, the supervisor's queue."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework.calendar import close_of_business
from casework.lifecycle import commitment_report_done, commitment_request_cancellation, commitment_request_extension
from casework.models import Commitment, CommitmentRequest, DeadlinePolicy, Urgency
from tests import factories as f

S = Commitment.Status
D = CommitmentRequest.Decision


@pytest.fixture(autouse=True)
def english(client, settings, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    DeadlinePolicy.objects.create(urgency=Urgency.NORMAL, working_days=10)


@pytest.fixture
def commitment(world):
    return f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre, text="Fix the lane")


def pledge(world, *, days=10, **extra):
    now = timezone.now()
    extra.setdefault("pledged_at", now - timedelta(days=30))
    return f.CommitmentFactory(
        concern__household=world.household_in,
        owner=world.cadre,
        original_due_at=now + timedelta(days=days),
        due_at=now + timedelta(days=days),
        **extra,
    )


def day_after_due(commitment, days=5) -> str:
    return (timezone.localdate(commitment.due_at) + timedelta(days=days)).isoformat()


def ask_extension(commitment, by, days=5):
    return commitment_request_extension(
        commitment=commitment,
        by=by,
        reason="Budget comes next month",
        proposed_due_at=close_of_business(timezone.localdate(commitment.due_at) + timedelta(days=days)),
    )


def refreshed(commitment) -> Commitment:
    return Commitment.objects.get(pk=commitment.pk)


# --- my commitments -------------------------------------------------------------------


def test_my_commitments_lists_overdue_first_then_by_due_date_with_extensions(client, world):
    later = pledge(world, days=20, text="Later")
    sooner = pledge(world, days=3, text="Sooner", extension_count=2)
    overdue = pledge(world, days=-4, text="Overdue")
    pledge(world, days=5, text="Closed", status=S.CONFIRMED, closed_at=timezone.now())
    f.CommitmentFactory(concern__household=world.household_out, owner=world.outsider, text="Not mine")
    client.force_login(world.cadre_user)

    response = client.get(reverse("commitment_list"))

    assert response.status_code == 200
    assert [c.text for c in response.context["page"]] == [overdue.text, sooner.text, later.text]
    html = response.content.decode()
    assert "overdue 4 days" in html and "extended 2 times" in html
    assert "Not mine" not in html and "Closed" not in html


@pytest.mark.parametrize(("state", "expected"), [("confirmed", ["Closed"]), ("overdue", ["Overdue"]), ("all", ["Overdue", "Soon", "Closed"]), ("bogus", ["Overdue", "Soon"])])
def test_my_commitments_filters_by_state(client, world, state, expected):
    pledge(world, days=-1, text="Overdue")
    pledge(world, days=3, text="Soon")
    pledge(world, days=5, text="Closed", status=S.CONFIRMED, closed_at=timezone.now())
    client.force_login(world.cadre_user)
    response = client.get(reverse("commitment_list"), {"state": state})
    assert [c.text for c in response.context["page"]] == expected


def test_my_commitments_takes_the_same_queries_for_one_or_many(client, world, django_assert_num_queries):
    pledge(world, days=3)
    client.force_login(world.cadre_user)
    client.get(reverse("commitment_list"))  # warm up the session
    with django_assert_num_queries(10):
        client.get(reverse("commitment_list"))
    for days in range(-5, 15):
        pledge(world, days=days, extension_count=1)
    with django_assert_num_queries(10):
        response = client.get(reverse("commitment_list"))
    assert len(response.context["page"]) == 21


# --- the commitment page --------------------------------------------------------------


def test_the_commitment_page_shows_dates_extensions_and_a_merged_timeline(client, world, commitment):
    ask_extension(commitment, world.cadre_user)
    commitment_report_done(commitment=commitment, by=world.cadre_user, note="Lane patched")
    client.force_login(world.cadre_user)

    response = client.get(reverse("commitment_detail", args=[commitment.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Fix the lane" in html and "Cadre Zhang" in html and "Wang" in html
    assert "extended 0 times" in html
    kinds = [e.kind for e in response.context["events"]]
    assert kinds == ["pledged", "request", "transition"]
    # The fresh code, for the cadre to give the resident.
    assert response.context["resident_code"] == commitment.resident_codes.get()
    assert 'data-testid="resident-code"' in html


def test_the_commitment_page_takes_a_fixed_number_of_queries(client, world, commitment, django_assert_num_queries):
    client.force_login(world.supervisor)
    url = reverse("commitment_detail", args=[commitment.pk])
    client.get(url)
    with django_assert_num_queries(12):
        client.get(url)
    ask_extension(commitment, world.cadre_user)
    commitment_request_cancellation(commitment=commitment, by=world.cadre_user, reason="Moved away")
    for n in range(3):
        client.force_login(world.cadre_user)
        client.post(reverse("commitment_progress", args=[commitment.pk]), {"text": f"Step {n}"})
    commitment_report_done(commitment=refreshed(commitment), by=world.cadre_user)
    client.force_login(world.supervisor)
    client.get(url)
    with django_assert_num_queries(12):
        response = client.get(url)
    assert len(response.context["events"]) == 1 + 2 + 3 + 2  # pledge, requests, progress, transitions
    assert len(response.context["decidable"]) == 2


def test_the_page_offers_exactly_the_viewers_actions(client, world, commitment):
    url = reverse("commitment_detail", args=[commitment.pk])
    client.force_login(world.cadre_user)
    owner = client.get(url).context
    assert (owner["can_start"], owner["can_report_done"], owner["can_progress"], owner["can_extend"], owner["can_cancel"]) == (
        True,
        True,
        True,
        True,
        True,
    )
    assert not owner["can_verify"] and not owner["decidable"]

    request = ask_extension(commitment, world.cadre_user)
    client.force_login(world.supervisor)
    supervisor = client.get(url).context
    assert supervisor["can_start"] and not supervisor["can_extend"] and not supervisor["can_cancel"]
    assert supervisor["decidable"] == [request]

    client.force_login(world.inspector)
    inspector = client.get(url)
    assert not any(inspector.context[k] for k in ("can_start", "can_progress", "can_report_done", "can_verify", "can_extend"))
    assert not inspector.context["decidable"] and b'data-testid="decision-form"' not in inspector.content
    assert b'data-testid="pending-extension"' in inspector.content


def test_an_outsider_gets_404_for_the_page_and_every_action(client, world, commitment):
    request = ask_extension(commitment, world.cadre_user)
    client.force_login(world.outsider_user)
    assert client.get(reverse("commitment_detail", args=[commitment.pk])).status_code == 404
    for name in ("commitment_start", "commitment_progress", "commitment_report_done", "commitment_verify", "commitment_extension", "commitment_cancellation"):
        assert client.post(reverse(name, args=[commitment.pk]), {"text": "x", "reason": "x"}).status_code == 404, name
    response = client.post(reverse("commitment_decide", args=[request.pk]), {"decision": "approved"})
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.decision == D.PENDING


# --- acting on it ---------------------------------------------------------------------


def test_the_owner_starts_adds_progress_with_evidence_and_reports_done(client, world, commitment):
    client.force_login(world.cadre_user)
    detail = reverse("commitment_detail", args=[commitment.pk])

    response = client.post(reverse("commitment_start", args=[commitment.pk]))
    assert response.status_code == 302 and response.url == detail
    assert refreshed(commitment).status == S.IN_PROGRESS

    evidence = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20, content_type="image/png")
    response = client.post(reverse("commitment_progress", args=[commitment.pk]), {"text": "Gravel ordered", "evidence": evidence})
    assert response.status_code == 302
    progress = commitment.progress_updates.get()
    assert progress.text == "Gravel ordered" and progress.evidence.name.endswith(".png")

    response = client.post(reverse("commitment_report_done", args=[commitment.pk]), {"note": "Done"}, follow=True)
    code = commitment.resident_codes.get()
    assert f"Give the resident the code {code.code}" in response.content.decode()
    assert refreshed(commitment).status == S.REPORTED_DONE


def test_evidence_that_is_not_a_photo_or_pdf_is_refused_next_to_the_field_and_the_text_is_kept(client, world, commitment):
    client.force_login(world.cadre_user)
    evidence = SimpleUploadedFile("photo.png", b"MZ\x90\x00 an executable", content_type="image/png")
    response = client.post(reverse("commitment_progress", args=[commitment.pk]), {"text": "Gravel ordered", "evidence": evidence})
    assert response.status_code == 200
    assert response.context["progress_form"].errors == {"evidence": ["Attach a photo (JPEG, PNG, GIF, WebP) or a PDF."]}
    assert "Gravel ordered" in response.content.decode()
    assert not commitment.progress_updates.exists() and refreshed(commitment).status == S.PLEDGED


def test_a_transition_not_allowed_now_is_a_clear_message_and_changes_nothing(client, world, commitment):
    client.force_login(world.cadre_user)
    client.post(reverse("commitment_start", args=[commitment.pk]))
    response = client.post(reverse("commitment_start", args=[commitment.pk]))
    assert response.status_code == 200
    assert "Commitment cannot go from “in progress” to “in progress”." in response.context["error"]
    assert refreshed(commitment).transitions.count() == 1


def test_an_inspector_may_not_act_and_is_told_why(client, world, commitment):
    client.force_login(world.inspector)
    response = client.post(reverse("commitment_start", args=[commitment.pk]))
    assert response.status_code == 403
    assert "Only the commitment's owner or a supervisor over its village" in response.context["error"]
    assert refreshed(commitment).status == S.PLEDGED


def test_the_owner_requests_an_extension(client, world, commitment):
    client.force_login(world.cadre_user)
    response = client.post(
        reverse("commitment_extension", args=[commitment.pk]),
        {"proposed_due_at": day_after_due(commitment), "reason": "Budget comes next month"},
    )
    assert response.status_code == 302
    request = commitment.requests.get()
    assert request.kind == "extension" and request.decision == D.PENDING
    assert timezone.localdate(request.proposed_due_at).isoformat() == day_after_due(commitment)
    # The form is not offered again while one waits.
    assert not client.get(reverse("commitment_detail", args=[commitment.pk])).context["can_extend"]


@pytest.mark.parametrize(
    ("days", "message"),
    [(0, "must be later than the current one"), (-3, "must be later than the current one"), (60, "The deadline policy allows an extension to")],
)
def test_an_extension_date_outside_the_policy_is_refused_next_to_the_field(client, world, commitment, days, message):
    client.force_login(world.cadre_user)
    response = client.post(
        reverse("commitment_extension", args=[commitment.pk]),
        {"proposed_due_at": day_after_due(commitment, days), "reason": "Budget comes next month"},
    )
    assert response.status_code == 200
    errors = response.context["extension_form"].errors
    assert list(errors) == ["proposed_due_at"] and message in errors["proposed_due_at"][0]
    assert "Budget comes next month" in response.content.decode()
    assert not CommitmentRequest.objects.exists()


def test_a_supervisor_approves_from_the_commitment_page(client, world, commitment):
    request = ask_extension(commitment, world.cadre_user)
    client.force_login(world.supervisor)
    response = client.post(
        reverse("commitment_decide", args=[request.pk]), {"decision": "approved", "note": "OK"}, follow=True
    )
    assert "Extension approved." in response.content.decode()
    assert "extended 1 time" in response.content.decode()
    commitment = refreshed(commitment)
    assert commitment.extension_count == 1 and commitment.due_at == request.proposed_due_at


@pytest.mark.parametrize("persona", ["cadre", "inspector"])
def test_an_approval_without_the_scope_is_refused_with_a_message(client, world, commitment, persona):
    request = ask_extension(commitment, world.cadre_user)
    client.force_login(world.users[persona])
    response = client.post(reverse("commitment_decide", args=[request.pk]), {"decision": "approved"})
    assert response.status_code == 403
    assert "Only a supervisor over the commitment" in response.context["error"]
    request.refresh_from_db()
    assert request.decision == D.PENDING and refreshed(commitment).extension_count == 0


def test_a_request_decided_meanwhile_says_so(client, world, commitment):
    request = ask_extension(commitment, world.cadre_user)
    client.force_login(world.supervisor)
    client.post(reverse("commitment_decide", args=[request.pk]), {"decision": "refused"})
    response = client.post(reverse("commitment_decide", args=[request.pk]), {"decision": "approved", "from": "queue"})
    assert response.status_code == 200
    assert "This request has already been decided." in response.content.decode()
    request.refresh_from_db()
    assert request.decision == D.REFUSED and refreshed(commitment).extension_count == 0


# --- the supervisor's queue -----------------------------------------------------------


def test_the_queue_holds_pending_requests_and_completions_in_scope_only(client, world, commitment):
    extension = ask_extension(commitment, world.cadre_user)
    cancellation = commitment_request_cancellation(commitment=commitment, by=world.cadre_user, reason="Moved away")
    done = pledge(world)
    commitment_report_done(commitment=done, by=world.cadre_user)
    # Outside the supervisor's township.
    outside = f.CommitmentFactory(concern__household=world.household_out, owner=world.outsider)
    ask_extension(outside, world.outsider_user)

    client.force_login(world.supervisor)
    response = client.get(reverse("commitment_queue"))

    assert response.status_code == 200
    assert response.context["extensions"] == [extension]
    assert response.context["cancellations"] == [cancellation]
    assert response.context["to_verify"] == [done]

    client.force_login(world.outsider_user)
    outsider = client.get(reverse("commitment_queue")).context
    # Their own request is not theirs to decide.
    assert outsider["extensions"] == [] and outsider["to_verify"] == []


def test_the_queue_takes_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    client.force_login(world.supervisor)
    url = reverse("commitment_queue")
    client.get(url)
    with django_assert_num_queries(10):
        client.get(url)
    for _ in range(3):
        ask_extension(pledge(world), world.cadre_user)
        commitment_request_cancellation(commitment=pledge(world), by=world.cadre_user, reason="Moved")
        commitment_report_done(commitment=pledge(world), by=world.cadre_user)
    with django_assert_num_queries(10):
        response = client.get(url)
    assert [len(response.context[k]) for k in ("extensions", "cancellations", "to_verify")] == [3, 3, 3]


def test_one_click_in_the_queue_approves_refuses_or_verifies_and_comes_back(client, world):
    extension = ask_extension(pledge(world), world.cadre_user)
    cancellation = commitment_request_cancellation(commitment=pledge(world), by=world.cadre_user, reason="Moved")
    done = pledge(world)
    commitment_report_done(commitment=done, by=world.cadre_user)
    client.force_login(world.supervisor)
    queue = reverse("commitment_queue")

    for url, data in (
        (reverse("commitment_decide", args=[extension.pk]), {"decision": "approved"}),
        (reverse("commitment_decide", args=[cancellation.pk]), {"decision": "refused", "note": "Keep at it"}),
        (reverse("commitment_verify", args=[done.pk]), {"note": ""}),
    ):
        response = client.post(url, data | {"from": "queue"})
        assert (response.status_code, response.url) == (302, queue)

    assert refreshed(extension.commitment).extension_count == 1
    cancellation.refresh_from_db()
    assert cancellation.decision == D.REFUSED and refreshed(cancellation.commitment).status == S.PLEDGED
    assert refreshed(done).status == S.CONFIRMED
    response = client.get(queue)
    assert not any(response.context[k] for k in ("extensions", "cancellations", "to_verify"))


def test_a_refused_action_from_the_queue_shows_the_queue_again(client, world):
    done = pledge(world)
    commitment_report_done(commitment=done, by=world.cadre_user)
    client.force_login(world.supervisor)
    response = client.post(reverse("commitment_verify", args=[done.pk]), {"note": "x" * 1001, "from": "queue"})
    assert response.status_code == 200
    assert response.templates[0].name == "casework/queue.html"
    assert response.context["to_verify"][0].form.errors["note"]
    assert refreshed(done).status == S.REPORTED_DONE


def test_the_navigation_links_to_my_commitments_and_approvals_by_role(client, world):
    client.force_login(world.cadre_user)
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="nav-commitments"' in html and 'data-testid="nav-approvals"' not in html
    client.force_login(world.supervisor)
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="nav-commitments"' not in html and 'data-testid="nav-approvals"' in html


def test_my_work_links_each_open_commitment_to_its_page(client, world, commitment):
    client.force_login(world.cadre_user)
    html = client.get(reverse("home")).content.decode()
    assert reverse("commitment_detail", args=[commitment.pk]) in html


def test_not_satisfied_reopens_then_a_new_report_gets_a_new_code_the_resident_confirms(client, world, commitment):
    cache.clear()
    resident = Client()
    client.force_login(world.cadre_user)
    detail = reverse("commitment_detail", args=[commitment.pk])

    client.post(reverse("commitment_report_done", args=[commitment.pk]), {"note": "Lane patched"})
    first = commitment.resident_codes.get()
    response = resident.post(
        reverse("resident_confirm", args=[first.code]), {"happened": "on", "rating": "dissatisfied", "comment": "Still muddy"}
    )
    assert response.status_code == 200 and refreshed(commitment).status == S.REOPENED
    # The spent code is no longer offered; the owner starts again and reports done again.
    page = client.get(detail).context
    assert page["resident_code"] is None and page["can_start"]
    client.post(reverse("commitment_start", args=[commitment.pk]))
    client.post(reverse("commitment_report_done", args=[commitment.pk]), {"note": "Gravel added"})

    second = commitment.resident_codes.exclude(pk=first.pk).get()
    assert client.get(detail).context["resident_code"] == second
    resident.post(reverse("resident_confirm", args=[second.code]), {"happened": "on", "rating": "satisfied", "comment": ""})

    assert refreshed(commitment).status == S.CONFIRMED
    events = client.get(detail).context["events"]
    assert [e.item.rating for e in events if e.kind == "resident"] == ["dissatisfied", "satisfied"]


def test_the_demo_gives_the_supervisor_requests_to_decide_and_the_cadre_pages_to_open(client):
    call_command("seed_demo", households=400, verbosity=0)
    users = get_user_model().objects.in_bulk(["demo-supervisor", "demo-cadre"], field_name="username")

    client.force_login(users["demo-supervisor"])
    queue = client.get(reverse("commitment_queue")).context
    assert queue["extensions"] and queue["cancellations"] and queue["to_verify"]
    assert "demo-cadre" in {item.requested_by.username for item in queue["extensions"]}

    client.force_login(users["demo-cadre"])
    mine = client.get(reverse("commitment_list"), {"state": "all"}).context["page"]
    assert {"pledged", "in_progress", "reported_done", "reopened", "confirmed", "cancelled"} <= {c.status for c in mine}
    for commitment in mine:
        assert client.get(reverse("commitment_detail", args=[commitment.pk])).status_code == 200


def test_the_timeline_names_cadres_by_name_and_others_by_account(client, world, commitment):
    request = ask_extension(commitment, world.cadre_user)
    client.force_login(world.supervisor)
    client.post(reverse("commitment_decide", args=[request.pk]), {"decision": "refused", "note": "Do it on time"})
    html = client.get(reverse("commitment_detail", args=[commitment.pk])).content.decode()
    timeline = html[html.index('data-testid="timeline"') :]
    assert "Cadre Zhang" in timeline and "supervisor" in timeline and "Do it on time" in timeline
