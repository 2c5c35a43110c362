"""A petition case's page: read only, for the scopes over its village and its owning leader; its
clocks, units, timeline and what it is linked to, as far as the viewer sees them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accountability.models import Finding
from casework.models import PetitionEvent, PetitionUnit
from tests import factories as f


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def case(world):
    now = timezone.now()
    earlier = f.PetitionCaseFactory(village=world.vb, owning_leader=world.outsider, subject="Earlier, in county B")
    case = f.PetitionCaseFactory(
        village=world.v1,
        owning_leader=world.cadre,
        subject="Flooded lane",
        petitioner_name="Wang Min",
        petitioner_household=world.household_in,
        repeat_of=earlier,
        status="accepted",
        accepted_at=now,
        handle_due_at=now + timedelta(days=60),
    )
    PetitionUnit.objects.create(case=case, unit=world.unit_a, role="primary", due_at=now + timedelta(days=30))
    PetitionEvent.objects.create(
        case=case, kind="status", from_status="registered", to_status="accepted", at=now, by=world.supervisor
    )
    return case


def page(client, case):
    return client.get(reverse("petition_detail", args=[case.pk]))


def test_the_page_shows_the_case_its_clocks_units_and_timeline(client, world, case):
    commitment = f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre, petition_case=case)
    visit = f.VisitFactory(cadre=world.cadre, household=world.household_in, kind="petition")
    visit.followed_petitions.add(case)
    client.force_login(world.supervisor)

    response = page(client, case)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Flooded lane" in html and "Wang Min" in html and "Cadre Zhang (Unit A)" in html
    assert "Unit A · primary responsibility" in html
    assert "registered → accepted" in html
    assert reverse("household_detail", args=[world.household_in.pk]) in html
    assert reverse("commitment_detail", args=[commitment.pk]) in html
    assert reverse("visit_detail", args=[visit.pk]) in html
    # The earlier case is in county B, outside the supervisor's scope: named, not linked.
    assert f"#{case.repeat_of_id}" in html
    assert reverse("petition_detail", args=[case.repeat_of_id]) not in html


def test_the_owning_leader_reads_their_case_and_an_outsider_does_not_find_it(client, world, case):
    client.force_login(world.cadre_user)
    response = page(client, case)
    assert response.status_code == 200 and response.context["case"] == case

    client.force_login(world.outsider_user)
    assert page(client, case).status_code == 404
    earlier = client.get(reverse("petition_detail", args=[case.repeat_of_id]))
    assert earlier.status_code == 200 and "Earlier, in county B" in earlier.content.decode()


def test_the_page_is_read_only(client, world, case):
    client.force_login(world.supervisor)

    assert client.post(reverse("petition_detail", args=[case.pk])).status_code == 405


def test_the_page_takes_a_fixed_number_of_queries(client, world, case, django_assert_num_queries):
    client.force_login(world.supervisor)
    page(client, case)
    with CaptureQueriesContext(connection) as queries:
        page(client, case)

    for i in range(3):
        f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre, petition_case=case)
        f.VisitFactory(cadre=world.cadre, household=world.household_in, kind="petition").followed_petitions.add(case)
        f.PetitionCaseFactory(village=world.v1, owning_leader=world.cadre, repeat_of=case, subject=f"Again {i}")
        PetitionEvent.objects.create(case=case, kind="note", at=timezone.now(), by=world.supervisor, note=f"Note {i}")

    with django_assert_num_queries(len(queries)):
        response = page(client, case)
    assert len(response.context["repeats"]) == 3 and len(response.context["events"]) == 4


def test_a_findings_petition_case_links_to_its_page(client, world, case):
    report = f.SupervisionReportFactory(author=world.supervisor, region=world.t1)
    Finding.objects.create(report=report, text="Reply late", petition_case=case, cadre=world.cadre)
    client.force_login(world.supervisor)

    response = client.get(reverse("supervision_report_detail", args=[report.pk]))

    assert response.status_code == 200
    assert reverse("petition_detail", args=[case.pk]) in response.content.decode()


def test_the_archive_links_the_cases_a_cadre_owns(client, world, case):
    client.force_login(world.inspector)

    response = client.get(reverse("cadre_archive", args=[world.cadre.pk]))

    assert reverse("petition_detail", args=[case.pk]) in response.content.decode()


def test_what_is_linked_to_the_case_outside_the_viewers_scope_is_left_out(client, world, case):
    # Linked to the case, all in county B: the supervisor (township 1) sees none of them.
    commitment = f.CommitmentFactory(concern__household=world.household_out, owner=world.outsider, petition_case=case)
    visit = f.VisitFactory(cadre=world.outsider, household=world.household_out, kind="petition")
    visit.followed_petitions.add(case)
    repeat = f.PetitionCaseFactory(village=world.vb, owning_leader=world.outsider, repeat_of=case)
    hidden = [
        reverse(name, args=[pk])
        for name, pk in [
            ("commitment_detail", commitment.pk),
            ("visit_detail", visit.pk),
            ("petition_detail", repeat.pk),
        ]
    ]

    client.force_login(world.supervisor)
    supervisors = page(client, case)
    client.force_login(world.admin)
    admins = page(client, case)

    assert supervisors.context["commitments"] == [] and supervisors.context["visits"] == []
    assert supervisors.context["repeats"] == []
    assert not any(url in supervisors.content.decode() for url in hidden)
    assert all(url in admins.content.decode() for url in hidden)


@pytest.mark.parametrize("pk", [0, 99999999999999999999])
def test_a_case_that_does_not_exist_is_not_found(client, world, pk):
    client.force_login(world.admin)

    assert client.get(reverse("petition_detail", args=[pk])).status_code == 404
