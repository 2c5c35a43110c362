"""seed_scale on a small city: it must keep up with the schema, or every benchmark breaks."""

import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone

from cadres.models import Pairing
from casework.models import Commitment
from households.models import Household
from visits.models import Visit
from visits.services import VisitInput, visit_record


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_seed_scale_fills_the_current_schema_and_the_app_works_on_it():
    call_command("seed_scale", households=1000, no_vacuum=True, verbosity=0)
    assert Household.objects.count() == 1000
    assert Visit.objects.count() >= 4000 and Commitment.objects.exists()
    # The rebuilt tables take a visit through the real service.
    pairing = Pairing.objects.current().select_related("cadre__user", "household__village").first()
    visit, created = visit_record(
        data=VisitInput(
            id=uuid.uuid4(),
            cadre=pairing.cadre,
            kind=Visit.Kind.HOME,
            visited_at=timezone.now(),
            village=pairing.household.village,
            household=pairing.household,
        ),
        recorded_by=pairing.cadre.user,
    )
    assert created and Visit.objects.filter(pk=visit.pk).exists()
