from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction

from cadres.access import access_for
from cadres.models import Pairing
from tests import factories as f
from tests.conftest import access


def test_an_assignment_cannot_end_before_it_starts(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        f.PairingFactory(cadre=world.cadre, household=world.household_v2, start=date.today(), end=date.today() - timedelta(days=1))


def test_a_cadre_and_household_have_one_open_pairing_but_keep_history(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        f.PairingFactory(cadre=world.cadre, household=world.household_in)
    # An ended pairing is history: a new one may follow it.
    Pairing.objects.filter(cadre=world.cadre, household=world.household_in).update(end=date.today() - timedelta(days=1))
    f.PairingFactory(cadre=world.cadre, household=world.household_in, start=date.today())
    assert Pairing.objects.filter(cadre=world.cadre, household=world.household_in).count() == 2
    assert Pairing.objects.current().filter(cadre=world.cadre, household=world.household_in).count() == 1


def test_a_cadre_is_stationed_in_one_village_at_a_time(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        f.PostingFactory(cadre=world.cadre, village=world.v2)


def test_roles_are_derived_from_assignments_and_scopes(world):
    assert access(world.cadre_user).roles == ("cadre",)
    assert access(world.supervisor).roles == ("supervisor",)
    assert access(world.inspector).roles == ("inspector",)
    assert access(world.outsider_user).roles == ("cadre", "supervisor")
    assert access(world.admin).roles == ("admin",)
    cadre = access(world.cadre_user)
    assert cadre.household_ids == {world.household_in.pk}
    assert cadre.village_ids == {world.v1.pk, world.v2.pk}
    assert cadre.display_name == "Cadre Zhang"


def test_an_inactive_cadre_profile_grants_nothing(world):
    world.cadre.is_active = False
    world.cadre.save(update_fields=["is_active"])
    assert access(world.cadre_user).roles == ()


def test_access_is_computed_once_per_user_object(world, django_assert_num_queries):
    user = type(world.cadre_user).objects.get(pk=world.cadre_user.pk)
    first = access_for(user)
    with django_assert_num_queries(0):
        assert access_for(user) is first
