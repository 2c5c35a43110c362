from casework.models import Commitment, Concern, PetitionCase
from tests import factories as f
from tests.conftest import HOUSEHOLD_VISIBILITY, assert_visibility, world_households


def test_concerns_are_scoped_like_their_household(world):
    rows = {name: f.ConcernFactory(household=h) for name, h in world_households(world).items()}
    assert_visibility(world, Concern, rows, HOUSEHOLD_VISIBILITY)


def test_a_village_level_concern_is_visible_to_the_villages_cadre_and_region(world):
    rows = {"v2": f.ConcernFactory(village=world.v2), "v3": f.ConcernFactory(village=world.v3)}
    assert_visibility(
        world,
        Concern,
        rows,
        {"cadre": {"v2"}, "supervisor": {"v2"}, "inspector": {"v2"}, "outsider": set(), "admin": {"v2", "v3"}},
    )


def test_commitments_are_visible_to_their_owner_wherever_they_are(world):
    rows = {name: f.CommitmentFactory(concern__household=h, owner=world.outsider) for name, h in world_households(world).items()}
    # The outsider owns all four, so sees them all; others see by household and region.
    expected = dict(HOUSEHOLD_VISIBILITY, outsider={"in", "v2", "v3", "out"})
    assert_visibility(world, Commitment, rows, expected)


def test_petition_cases_are_only_for_their_owning_leader_and_region_scopes(world):
    leader = world.cadre
    rows = {
        "mine_v3": f.PetitionCaseFactory(village=world.v3, owning_leader=leader),
        "t1_other": f.PetitionCaseFactory(village=world.v2, owning_leader=world.outsider),
        "out": f.PetitionCaseFactory(village=world.vb, owning_leader=world.outsider),
    }
    assert_visibility(
        world,
        PetitionCase,
        rows,
        {
            # Petitioners' data is sensitive: a cadre covering V2 does not see V2's cases.
            "cadre": {"mine_v3"},
            "supervisor": {"t1_other"},
            "inspector": {"t1_other"},
            "outsider": {"t1_other", "out"},
            "admin": set(rows),
        },
    )


def test_requests_are_visible_to_whoever_sees_their_commitment(world):
    from casework.models import CommitmentRequest

    rows = {
        name: CommitmentRequest.objects.create(
            commitment=f.CommitmentFactory(concern__household=h, owner=world.cadre if name != "out" else world.outsider),
            kind=CommitmentRequest.Kind.CANCELLATION,
            reason="Duplicate",
            requested_by=world.cadre_user,
        )
        for name, h in world_households(world).items()
    }
    # The cadre owns the three in county A, so sees all three; others see by household and region.
    expected = dict(HOUSEHOLD_VISIBILITY, cadre={"in", "v2", "v3"})
    assert_visibility(world, CommitmentRequest, rows, expected)
