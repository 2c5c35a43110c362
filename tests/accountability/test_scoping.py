from accountability.models import AccountabilityAction, Escalation, ExemptionRequest, Finding, SupervisionReport
from tests import factories as f
from tests.conftest import assert_visibility


def test_escalations_are_visible_to_the_owner_and_region_scopes(world):
    rule = f.EscalationRuleFactory()
    rows = {
        "in": f.EscalationFactory(rule=rule, commitment=f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre)),
        "v3": f.EscalationFactory(rule=rule, commitment=f.CommitmentFactory(concern__household=world.household_v3, owner=world.cadre)),
        "out": f.EscalationFactory(rule=rule, commitment=f.CommitmentFactory(concern__household=world.household_out, owner=world.outsider)),
    }
    assert_visibility(
        world,
        Escalation,
        rows,
        {
            "cadre": {"in", "v3"},
            "supervisor": {"in"},
            "inspector": {"in"},
            "outsider": {"out"},
            "admin": set(rows),
        },
    )


def test_reports_are_visible_in_region_and_issued_ones_to_the_cadres_they_name(world):
    draft = f.SupervisionReportFactory(author=world.supervisor, region=world.t1)
    issued = f.SupervisionReportFactory(author=world.outsider_user, region=world.county_b)
    Finding.objects.create(report=issued, text="Late pledges", cadre=world.cadre)
    issued.issue(by=world.outsider_user)
    draft_naming = f.SupervisionReportFactory(author=world.outsider_user, region=world.county_b)
    Finding.objects.create(report=draft_naming, text="Draft finding", cadre=world.cadre)
    rows = {"draft": draft, "issued": issued, "draft_naming": draft_naming}
    assert_visibility(
        world,
        SupervisionReport,
        rows,
        {
            "cadre": {"issued"},
            "supervisor": {"draft"},
            "inspector": {"draft"},
            "outsider": {"issued", "draft_naming"},
            "admin": set(rows),
        },
    )


def test_accountability_actions_are_visible_to_region_scopes_and_their_subject(world):
    rows = {
        "cadre": f.AccountabilityActionFactory(subject_cadre=world.cadre, region=world.county_a, created_by=world.admin),
        "t1": f.AccountabilityActionFactory(subject_unit=world.unit_a, region=world.t1, created_by=world.inspector),
        "out": f.AccountabilityActionFactory(subject_cadre=world.outsider, region=world.county_b, created_by=world.admin),
    }
    assert_visibility(
        world,
        AccountabilityAction,
        rows,
        {
            "cadre": {"cadre"},
            "supervisor": {"t1"},
            "inspector": {"t1"},
            "outsider": {"out"},
            "admin": set(rows),
        },
    )
    requests = {
        name: ExemptionRequest.objects.create(action=action, requested_by=world.admin, grounds="Storm")
        for name, action in rows.items()
    }
    assert_visibility(
        world,
        ExemptionRequest,
        requests,
        {"cadre": {"cadre"}, "supervisor": {"t1"}, "inspector": {"t1"}, "outsider": {"out"}, "admin": set(rows)},
    )
