from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests import factories as f
from visits.models import Visit, VisitAmendment


@pytest.fixture
def visit(world):
    return f.VisitFactory(cadre=world.cadre, household=world.household_in, thoughts="Roof", companions=1)


def edit_data(visit, **overrides):
    data = {
        "kind": visit.kind,
        "visited_at": timezone.localtime(visit.visited_at).strftime("%Y-%m-%dT%H:%M"),
        "backdate_reason": "",
        "companions": str(visit.companions),
        "thoughts": visit.thoughts,
        "wants": "",
        "hopes": "",
        "complaints": "",
        "policies_explained": "",
        "help_delivered": "",
        "reason": "",
    }
    return data | overrides


def test_the_author_corrects_a_visit_within_24_hours_and_the_history_keeps_it(client, world, visit):
    client.force_login(world.cadre_user)
    response = client.post(reverse("visit_edit", args=[visit.pk]), edit_data(visit, thoughts="Roof and well", companions="2"))
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.thoughts, visit.companions) == ("Roof and well", 2)
    amendment = VisitAmendment.objects.get()
    assert amendment.changes == {"thoughts": ["Roof", "Roof and well"], "companions": [1, 2]}
    page = client.get(reverse("visit_detail", args=[visit.pk])).content.decode()
    # Shown with the field's label in the reader's language, not its code name.
    assert "陪同人数：1 → 2" in page and "Roof and well" in page


def test_a_changed_kind_and_time_read_as_names_and_local_times(world, visit):
    from visits.services import visit_amend

    before = visit.visited_at
    later = before + timedelta(minutes=30)
    amendment = visit_amend(visit=visit, by=world.cadre_user, values={"kind": "forum", "visited_at": later})
    labels = {label: (old, new) for label, old, new in amendment.labelled_changes()}
    assert labels["类型"] == ("入户走访", "座谈")
    assert labels["走访时间"] == (
        timezone.localtime(before).strftime("%Y-%m-%d %H:%M"),
        timezone.localtime(later).strftime("%Y-%m-%d %H:%M"),
    )


def test_after_24_hours_an_amendment_needs_a_reason(client, world, visit, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with time_machine.travel(visit.received_at + timedelta(hours=25)):
        client.force_login(world.cadre_user)
        response = client.post(reverse("visit_edit", args=[visit.pk]), edit_data(visit, thoughts="Changed later"))
        assert response.status_code == 200 and "reason" in response.context["form"].errors
        assert "Changed later" in response.content.decode()
        visit.refresh_from_db()
        assert visit.thoughts == "Roof" and not VisitAmendment.objects.exists()
        response = client.post(
            reverse("visit_edit", args=[visit.pk]), edit_data(visit, thoughts="Changed later", reason="Misheard the resident")
        )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.thoughts == "Changed later"
    assert VisitAmendment.objects.get().reason == "Misheard the resident"


def test_only_the_recorder_or_visiting_cadre_may_amend_and_nobody_deletes(client, world, visit):
    client.force_login(world.supervisor)
    assert client.get(reverse("visit_edit", args=[visit.pk])).status_code == 403
    assert client.post(reverse("visit_edit", args=[visit.pk]), edit_data(visit, thoughts="x")).status_code == 403
    client.force_login(world.outsider_user)
    assert client.get(reverse("visit_edit", args=[visit.pk])).status_code == 404
    visit.refresh_from_db()
    assert visit.thoughts == "Roof" and Visit.objects.count() == 1


def test_bad_corrections_are_refused_next_to_the_field(client, world, visit, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(world.cadre_user)
    future = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("visit_edit", args=[visit.pk]), edit_data(visit, visited_at=future, companions="9999"))
    assert response.status_code == 200
    assert "companions" in response.context["form"].errors
    response = client.post(reverse("visit_edit", args=[visit.pk]), edit_data(visit, visited_at=future))
    assert "visited_at" in response.context["form"].errors
    visit.refresh_from_db()
    assert visit.companions == 1 and not VisitAmendment.objects.exists()


def test_a_correction_that_changes_nothing_writes_no_history(client, world, visit):
    client.force_login(world.cadre_user)
    assert client.post(reverse("visit_edit", args=[visit.pk]), edit_data(visit)).status_code == 302
    assert not VisitAmendment.objects.exists()
