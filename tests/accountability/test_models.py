from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accountability.models import AccountabilityAction, Escalation, ExemptionRequest
from households.history import TransitionError
from tests import factories as f


def test_an_item_escalates_once_per_rung(world):
    commitment = f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre)
    rule = f.EscalationRuleFactory()
    f.EscalationFactory(rule=rule, commitment=commitment)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.EscalationFactory(rule=rule, commitment=commitment)
    f.EscalationFactory(rule=f.EscalationRuleFactory(code="late-7", offset_days=7), commitment=commitment)
    assert Escalation.objects.filter(commitment=commitment).count() == 2


def test_an_escalation_is_about_exactly_one_item(world):
    commitment = f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.EscalationFactory(commitment=commitment, concern=commitment.concern)


def test_a_report_is_issued_once(world):
    report = f.SupervisionReportFactory(author=world.supervisor, region=world.t1)
    report.issue(by=world.supervisor)
    report.refresh_from_db()
    assert report.status == "issued" and report.issued_by == world.supervisor
    with pytest.raises(TransitionError):
        report.issue(by=world.supervisor)


def test_an_action_needs_a_decision_date_and_a_reason_to_revoke(world):
    action = f.AccountabilityActionFactory(subject_cadre=world.cadre, region=world.t1, created_by=world.inspector)
    with pytest.raises(ValidationError):
        action.transition(AccountabilityAction.Status.DECIDED, by=world.inspector)
    action.decided_on = date.today()
    action.save(update_fields=["decided_on"])
    action.transition(AccountabilityAction.Status.DECIDED, by=world.inspector)
    with pytest.raises(ValidationError):
        action.transition(AccountabilityAction.Status.REVOKED, by=world.inspector)
    action.transition(AccountabilityAction.Status.REVOKED, by=world.inspector, note="Exempted")
    assert list(action.history.values_list("to_status", flat=True)) == ["decided", "revoked"]


def test_an_action_names_a_subject(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        f.AccountabilityActionFactory(region=world.t1, created_by=world.inspector)


def test_an_exemption_is_decided_once(world):
    action = f.AccountabilityActionFactory(subject_cadre=world.cadre, region=world.t1, created_by=world.inspector)
    request = ExemptionRequest.objects.create(action=action, requested_by=world.cadre_user, grounds="Flood closed the road")
    request.decide(ExemptionRequest.Decision.GRANTED, by=world.inspector, note="Verified")
    request.refresh_from_db()
    assert request.reviewer == world.inspector and request.decided_at is not None
    with pytest.raises(TransitionError):
        request.decide(ExemptionRequest.Decision.REFUSED, by=world.inspector)
