from cadres.models import Cadre, ContactPoint, Notification, Pairing, Posting, Scope, Unit
from tests import factories as f
from tests.conftest import access, assert_visibility


def test_cadres_are_visible_to_themselves_and_to_scopes_over_their_unit_or_work(world):
    stranger = f.CadreFactory(name="Stranger", unit=f.UnitFactory(region=world.t2))
    rows = {"cadre": world.cadre, "outsider": world.outsider, "stranger": stranger}
    assert_visibility(
        world,
        Cadre,
        rows,
        {
            # The cadre's unit sits at county A, above township T1: the T1 supervisor sees the
            # cadre through the cadre's pairing in T1, not through the unit.
            "cadre": {"cadre"},
            "supervisor": {"cadre"},
            "inspector": {"cadre"},
            "outsider": {"outsider"},
            "admin": set(rows),
        },
    )


def test_a_unit_restricted_scope_sees_only_that_units_cadres(world):
    other_unit = f.UnitFactory(region=world.t1)
    colleague = f.CadreFactory(unit=other_unit)
    f.PairingFactory(cadre=colleague, household=world.household_v2)
    narrow = f.UserFactory(username="narrow")
    f.ScopeFactory(user=narrow, region=world.t1, unit=other_unit)
    visible = set(Cadre.objects.visible_to(access(narrow)))
    assert visible == {colleague}


def test_assignments_are_visible_to_their_cadre_and_the_region_scopes(world):
    pairings = {"in": world.cadre.pairings.get(), "out": world.outsider.pairings.get()}
    expected = {
        "cadre": {"in"},
        "supervisor": {"in"},
        "inspector": {"in"},
        "outsider": {"out"},
        "admin": {"in", "out"},
    }
    assert_visibility(world, Pairing, pairings, expected)
    contact = {"in": world.cadre.contact_points.get(), "out": f.ContactPointFactory(cadre=world.outsider, village=world.vb)}
    assert_visibility(world, ContactPoint, contact, expected)
    postings = {"in": world.cadre.postings.get(), "out": f.PostingFactory(cadre=world.outsider, village=world.vb)}
    assert_visibility(world, Posting, postings, expected)


def test_scopes_are_visible_to_their_holder_only(world):
    rows = {
        "supervisor": Scope.objects.get(user=world.supervisor),
        "inspector": Scope.objects.get(user=world.inspector),
        "outsider": Scope.objects.get(user=world.outsider_user),
    }
    assert_visibility(
        world,
        Scope,
        rows,
        {"cadre": set(), "supervisor": {"supervisor"}, "inspector": {"inspector"}, "outsider": {"outsider"}, "admin": set(rows)},
    )


def test_notifications_are_private_even_from_administrators(world):
    rows = {persona: f.NotificationFactory(recipient=user) for persona, user in world.users.items()}
    assert_visibility(world, Notification, rows, {persona: {persona} for persona in rows})


def test_units_are_readable_by_every_signed_in_user(world):
    rows = {"a": world.unit_a, "b": world.unit_b}
    assert_visibility(world, Unit, rows, {persona: {"a", "b"} for persona in world.users})
