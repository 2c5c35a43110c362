"""Exemption requests under real concurrency, on PostgreSQL: one pending request at a time."""

import pytest
from django.core.exceptions import ValidationError

from accountability import services
from accountability.models import ExemptionRequest
from tests import factories as f
from tests.conftest import race


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_sent_at_once_make_one_and_the_other_is_told_why(world):
    action = f.AccountabilityActionFactory(subject_cadre=world.cadre, region=world.t1, created_by=world.inspector)

    def ask(user, grounds):
        return lambda: services.exemption_request(action=action, by=user, grounds=grounds)

    outcomes = race(ask(world.cadre_user, "Flood"), ask(world.supervisor, "The county held the funds"))

    created = [o for o in outcomes if isinstance(o, ExemptionRequest)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(created) == 1 and len(refused) == 1, outcomes
    assert refused[0].code == "pending"  # told that one is already waiting (the text is translated)
    assert ExemptionRequest.objects.filter(action=action).count() == 1
