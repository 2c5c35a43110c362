from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories as f


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def overdue(world, *, household=None, owner=None, days=3, text=None, **extra):
    """A commitment ``days`` overdue (negative: not yet due) in ``household``'s village."""
    household = household or world.household_in
    owner = owner or world.cadre
    due = extra.pop("due_at", None) or timezone.now() - timedelta(days=days, hours=1)
    extra.setdefault("pledged_at", due - timedelta(days=10))
    if text:
        extra["text"] = text
    return f.CommitmentFactory(
        concern__household=household, owner=owner, original_due_at=extra.pop("original_due_at", due), due_at=due, **extra
    )


@pytest.fixture
def spread(world):
    """Overdue pledges in each village of the world, one not yet due and one closed."""
    return {
        "v1": overdue(world, text="Pave the lane in V1", days=3),
        "v2": overdue(world, household=world.household_v2, text="Fix the well in V2", days=12),
        "v3": overdue(world, household=world.household_v3, text="Repair the bridge in V3", days=40),
        "vb": overdue(world, household=world.household_out, owner=world.outsider, text="Clear the ditch in VB", days=100),
        "future": overdue(world, text="Not due yet", days=-3),
        "closed": overdue(world, text="Already confirmed", days=5, status="confirmed", closed_at=timezone.now()),
    }
