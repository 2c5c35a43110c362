from households.access import Access
from households.models import Household, Member, Region
from tests import factories as f
from tests.conftest import HOUSEHOLD_VISIBILITY, access, assert_visibility, world_households


def test_households_are_scoped_by_pairing_village_and_region(world):
    assert_visibility(world, Household, world_households(world), HOUSEHOLD_VISIBILITY)


def test_members_follow_their_household(world):
    rows = {name: f.MemberFactory(household=household) for name, household in world_households(world).items()}
    assert_visibility(world, Member, rows, HOUSEHOLD_VISIBILITY)


def test_regions_are_scoped_to_subtrees_and_covered_villages(world):
    rows = {"v1": world.v1, "v2": world.v2, "v3": world.v3, "vb": world.vb, "t1": world.t1, "city": world.city}
    assert_visibility(
        world,
        Region,
        rows,
        {
            "cadre": {"v1", "v2"},
            "supervisor": {"t1", "v1", "v2"},
            "inspector": {"t1", "v1", "v2"},
            "outsider": {"vb"},
            "admin": set(rows),
        },
    )


def test_an_anonymous_access_sees_nothing(world):
    assert not Household.objects.visible_to(Access.anonymous()).exists()
    assert not Region.objects.visible_to(Access.anonymous()).exists()


def test_an_ended_pairing_no_longer_grants_access(world):
    from datetime import date, timedelta

    pairing = world.cadre.pairings.get(household=world.household_in)
    pairing.end = date.today() - timedelta(days=1)
    pairing.save(update_fields=["end"])
    world.cadre.postings.update(end=date.today() - timedelta(days=1))
    assert world.household_in not in Household.objects.visible_to(access(world.cadre_user))


def test_a_scope_starting_tomorrow_grants_nothing_yet(world):
    from datetime import date, timedelta

    late = f.UserFactory(username="late")
    f.ScopeFactory(user=late, region=world.county_a, start=date.today() + timedelta(days=1))
    assert not Household.objects.visible_to(access(late)).exists()
