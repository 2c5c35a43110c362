import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests import factories as f
from visits.models import Visit


def test_a_home_visit_needs_a_household_but_a_forum_does_not(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        f.VisitFactory(cadre=world.cadre, household=None, village=world.v1, kind=Visit.Kind.HOME)
    forum = f.VisitFactory(cadre=world.cadre, household=None, village=world.v1, kind=Visit.Kind.FORUM)
    assert forum.household is None


def test_a_visit_cannot_be_in_the_future(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        f.VisitFactory(cadre=world.cadre, household=world.household_in, visited_at=timezone.now() + timedelta(hours=1))


def test_a_client_generated_id_is_one_visit(world):
    visit_id = uuid.uuid4()
    f.VisitFactory(id=visit_id, cadre=world.cadre, household=world.household_in)
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.create(
            id=visit_id,
            cadre=world.cadre,
            recorded_by=world.cadre_user,
            household=world.household_in,
            village=world.v1,
            visited_at=timezone.now(),
        )
    assert Visit.objects.filter(id=visit_id).count() == 1


def test_a_phone_callback_never_counts_as_in_person(world):
    home = f.VisitFactory(cadre=world.cadre, household=world.household_in)
    phone = f.VisitFactory(cadre=world.cadre, household=world.household_in, kind=Visit.Kind.PHONE_CALLBACK)
    assert home.counts_in_person and not phone.counts_in_person
    assert list(Visit.objects.in_person()) == [home]


def test_a_visit_recorded_by_someone_else_is_a_proxy_entry(world):
    clerk = f.UserFactory(username="clerk")
    own = f.VisitFactory(cadre=world.cadre, household=world.household_in)
    proxy = f.VisitFactory(cadre=world.cadre, household=world.household_in, recorded_by=clerk)
    assert not own.is_proxy_entry and proxy.is_proxy_entry


def test_only_the_author_edits_and_only_for_24_hours(world):
    visit = f.VisitFactory(cadre=world.cadre, household=world.household_in)
    assert visit.is_editable_by(world.cadre_user)
    assert not visit.is_editable_by(world.supervisor)
    assert not visit.is_editable_by(world.cadre_user, visit.received_at + timedelta(hours=24))
