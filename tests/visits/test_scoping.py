from tests import factories as f
from tests.conftest import assert_visibility
from visits.models import Visit


def test_visits_are_visible_to_the_visitor_the_recorder_and_region_scopes(world):
    clerk = f.UserFactory(username="clerk")
    rows = {
        "cadre_in": f.VisitFactory(cadre=world.cadre, household=world.household_in),
        # Another cadre's visit to the cadre's paired household: part of that household's history.
        "other_in": f.VisitFactory(cadre=world.outsider, household=world.household_in),
        "proxy_v3": f.VisitFactory(cadre=world.cadre, household=world.household_v3, recorded_by=clerk),
        "out": f.VisitFactory(cadre=world.outsider, household=world.household_out),
    }
    assert_visibility(
        world,
        Visit,
        rows,
        {
            "cadre": {"cadre_in", "other_in", "proxy_v3"},
            "supervisor": {"cadre_in", "other_in"},
            "inspector": {"cadre_in", "other_in"},
            "outsider": {"other_in", "out"},
            "admin": set(rows),
        },
    )
