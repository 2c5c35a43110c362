"""The dashboard's and the archive's figures against a small world computed by hand.

March 2026, seen at ``NOW`` (20 March, noon, Shanghai). The supervisor's scope is township T1
(villages V1 and V2); V3 (township T2, county A) and VB (county B) are outside it and hold rows
that must never be counted for them.
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from accountability.models import EscalationRule
from cadres.models import ContactPoint, Pairing, Posting, Scope
from casework.models import Commitment, CommitmentTransition, Concern, PetitionCase, PetitionEvent
from households.models import Household
from reports import figures
from reports.figures import Period, Ratio
from tests import factories as f
from tests.conftest import access

TZ = ZoneInfo("Asia/Shanghai")
S = Commitment.Status
MARCH = Period.of("month", date(2026, 3, 20))
Q1 = Period.of("quarter", date(2026, 3, 20))


def at(month, day, hour=10):
    return datetime.combine(date(2026, month, day), time(hour), tzinfo=TZ)


NOW = at(3, 20, 12)


def test_periods_are_calendar_ranges_with_their_previous_and_months():
    assert (MARCH.start, MARCH.end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert MARCH.previous() == Period("month", date(2026, 2, 1), date(2026, 2, 28))
    assert Q1 == Period("quarter", date(2026, 1, 1), date(2026, 3, 31))
    assert Q1.previous() == Period("quarter", date(2025, 10, 1), date(2025, 12, 31))
    assert Period.of("year", date(2026, 7, 4)).previous().start == date(2025, 1, 1)
    assert Q1.months() == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    custom = Period("custom", date(2026, 3, 10), date(2026, 3, 19))
    assert custom.previous() == Period("custom", date(2026, 2, 28), date(2026, 3, 9))
    assert custom.months() == [date(2026, 3, 1)]
    with pytest.raises(ValueError):
        Period("custom", date(2026, 3, 10), date(2026, 3, 9))
    assert Ratio(1, 4).rate == 0.25
    assert Ratio(0, 0).rate is None


@pytest.fixture
def small(world):
    """The hand-computed world (see each figure's test for the arithmetic)."""
    w = world
    for model in (Pairing, ContactPoint, Posting, Scope):
        model.objects.update(start=date(2026, 1, 1))
    w.never = f.HouseholdFactory(village=w.v1, head_name="Never visited")
    w.gone = f.HouseholdFactory(village=w.v2, head_name="Moved out", status=Household.Status.MOVED_OUT)
    f.PairingFactory(cadre=w.cadre, household=w.never, start=date(2026, 1, 1))
    unit_t1 = f.UnitFactory(name="Township unit", region=w.t1)
    w.idle = f.CadreFactory(user__username="idle", name="Idle Qian", unit=unit_t1)

    def visit(household, when, *, kind="home", companions=0, cadre=None, village=None, code=None, **extra):
        return f.VisitFactory(
            cadre=cadre or w.cadre,
            household=household,
            village=village or household.village,
            kind=kind,
            visited_at=when,
            companions=companions,
            resident_code=code,
            **extra,
        )

    used = f.ResidentCodeFactory(created_at=at(3, 3), used_at=at(3, 4), rating="satisfied")
    unused = f.ResidentCodeFactory(created_at=at(3, 10))
    visit(w.household_in, at(3, 3), code=used)
    visit(w.household_in, at(3, 10), companions=3, code=unused)
    visit(w.household_v2, at(3, 5), kind="phone", flag_backdated=True)  # never in person
    visit(w.gone, at(3, 6), companions=1)
    visit(None, at(3, 7), kind="forum", companions=5, village=w.v2)
    visit(w.household_in, at(2, 20))  # February
    visit(w.household_out, at(3, 8), companions=4, cadre=w.outsider)  # county B
    visit(w.household_v3, at(3, 9))  # township T2

    f.EscalationRuleFactory(code="c7", subject="concern", offset_days=7, audience="owner")
    f.EscalationRuleFactory(code="c14", subject="concern", offset_days=14, audience="inspectors")

    def concern(household, when, **extra):
        return f.ConcernFactory(household=household, raised_at=when, **extra)

    concern(w.household_in, at(3, 1))  # 19 days without an outcome: never acted on
    concern(w.household_v2, at(3, 2), outcome="resolved", outcome_note="Done", outcome_at=at(3, 3))
    concern(w.household_in, at(3, 15))  # 5 days: not yet
    concern(w.household_v3, at(3, 1))  # T2
    concern(w.household_out, at(3, 1))  # county B
    concern(w.household_in, at(2, 10))  # February

    def pledge(due, *, household=None, owner=None, original=None, status=S.PLEDGED, closed=None, **extra):
        original = original or due
        return f.CommitmentFactory(
            concern__household=household or w.household_in,
            concern__raised_at=at(1, 1),
            owner=owner or w.cadre,
            pledged_at=min(original, at(3, 1, 9)),
            original_due_at=original,
            due_at=due,
            status=status,
            closed_at=closed,
            **extra,
        )

    k = w.k = {
        1: pledge(at(3, 10, 18), status=S.CONFIRMED, closed=at(3, 9)),
        2: pledge(at(3, 12, 18), status=S.CONFIRMED, closed=at(3, 14)),
        3: pledge(at(3, 15, 18), status=S.CANCELLED, closed=at(3, 11)),
        4: pledge(at(3, 25, 18), original=at(3, 5, 18), extension_count=1, status=S.IN_PROGRESS),
        5: pledge(at(4, 5, 18), original=at(2, 25, 18), extension_count=1, status=S.CONFIRMED, closed=at(3, 18)),
        6: pledge(at(3, 1, 18), household=w.household_v2),
        7: pledge(at(1, 1, 18)),
        8: pledge(at(3, 18, 18), status=S.REPORTED_DONE),
        9: pledge(at(3, 10, 18), household=w.household_out, owner=w.outsider),
        10: pledge(at(3, 10, 18), household=w.household_v3, status=S.CONFIRMED, closed=at(3, 9)),
    }

    def moved(number, to, when, from_status=S.IN_PROGRESS):
        CommitmentTransition.objects.create(commitment=k[number], from_status=from_status, to_status=to, at=when)

    moved(8, S.REPORTED_DONE, at(3, 16))
    moved(1, S.REPORTED_DONE, at(3, 8))
    moved(1, S.CONFIRMED, at(3, 9), S.REPORTED_DONE)
    moved(2, S.REPORTED_DONE, at(3, 11))
    moved(2, S.REOPENED, at(3, 12), S.REPORTED_DONE)
    moved(2, S.REPORTED_DONE, at(3, 13), S.REOPENED)
    moved(9, S.REPORTED_DONE, at(3, 5))
    moved(9, S.REOPENED, at(3, 6), S.REPORTED_DONE)
    moved(7, S.REPORTED_DONE, at(2, 10))

    def code(number, created, used=None, rating=""):
        return f.ResidentCodeFactory(
            purpose="commitment", commitment=k[number], created_at=created, used_at=used, rating=rating
        )

    code(1, at(3, 8), at(3, 9), "satisfied")
    code(2, at(3, 11), at(3, 12), "dissatisfied")
    code(2, at(3, 13), at(3, 14), "basically")
    code(8, at(3, 16))
    code(9, at(3, 5), at(3, 6), "satisfied")
    code(5, at(2, 20), at(3, 18), "satisfied")
    return w


def test_area_figures_of_the_supervisors_scope_count_only_their_township(small):
    got = figures.area_figures(access(small.supervisor), None, MARCH, now=NOW)

    assert got.households == 3  # Wang, Zhao, never visited; the moved-out household is not counted
    # Two home visits to Wang, one to the moved-out household, a forum in V2; not the phone
    # callback, not February, not V3 or VB.
    assert got.visits == 4
    assert got.visit_coverage == Ratio(1, 3)  # only Wang; Zhao had only a phone callback
    assert got.villages_covered == Ratio(2, 2)  # V1 (posting), V2 (contact point)
    assert got.cadres_covered == Ratio(0, 1)  # the township unit's idle cadre
    assert got.never_acted_on == Ratio(1, 3)  # N = 14 (the inspectors' rung): the one of 1 March
    assert got.on_time == Ratio(1, 5)  # k1 of k1, k2, k4 (extended into March), k6, k8; k3 cancelled
    assert got.overdue == 3  # k6, k7, k8
    assert got.aging == {"1-7": 1, "8-30": 1, "31-90": 1, "90+": 0}
    assert got.satisfaction == Ratio(3, 4)  # used in March: k1 satisfied, k2 no then basically, k5
    assert got.reopen == Ratio(1, 4)
    assert got.burden_average == 9 / 4
    assert got.burden_heavy == Ratio(2, 4)
    assert got.confirmation == Ratio(1 + 3, 2 + 4)  # visits 1 of 2, commitment codes 3 of 4
    assert got.petitions is None


def test_a_region_and_the_administrators_view_add_what_lies_outside_the_township(small):
    admin = access(small.admin)
    county = figures.area_figures(admin, small.county_a, MARCH, now=NOW)
    assert county.households == 4  # + Sun in V3
    assert county.visits == 5  # + the visit to Sun
    assert county.visit_coverage == Ratio(2, 4)
    assert county.villages_covered == Ratio(2, 3)
    assert county.cadres_covered == Ratio(1, 2)  # Zhang (unit A) is assigned, Qian is not
    assert county.on_time == Ratio(2, 6)  # + k10
    assert county.never_acted_on == Ratio(2, 4)

    city = figures.area_figures(admin, None, MARCH, now=NOW)
    assert city.visits == 6
    assert city.overdue == 4  # + k9 in county B
    assert city.reopen == Ratio(2, 5)
    assert city.cadres_covered == Ratio(2, 3)

    assert figures.area_figures(access(small.outsider_user), small.county_b, MARCH, now=NOW).visits == 1


def test_a_plain_cadre_counts_only_their_own_rows(small):
    got = figures.area_figures(access(small.cadre_user), None, MARCH, now=NOW)
    # V1 and V2 (posting, contact point) and their own visit to Sun in V3.
    assert got.visits == 5
    assert got.overdue == 3


def test_child_area_figures_split_the_same_numbers_by_child_region(small):
    rows = figures.child_area_figures(access(small.admin), small.county_a, MARCH, now=NOW)
    assert [region for region, _ in rows] == [small.t1, small.t2]
    t1, t2 = (got for _, got in rows)
    assert (t1.visits, t2.visits) == (4, 1)
    assert (t1.visit_coverage, t2.visit_coverage) == (Ratio(1, 3), Ratio(1, 1))
    assert (t1.on_time, t2.on_time) == (Ratio(1, 5), Ratio(1, 1))

    scope = figures.child_area_figures(access(small.supervisor), None, MARCH, now=NOW)
    assert [region for region, _ in scope] == [small.t1]
    assert scope[0][1] == figures.area_figures(access(small.supervisor), None, MARCH, now=NOW)

    villages = figures.child_area_figures(access(small.supervisor), small.t1, MARCH, now=NOW)
    assert [(region, got.households, got.visits) for region, got in villages] == [(small.v1, 2, 2), (small.v2, 1, 2)]
    assert figures.child_area_figures(access(small.supervisor), small.v1, MARCH, now=NOW) == []


def test_petition_figures(small):
    def case(registered, **extra):
        extra.setdefault("village", small.v1)
        return f.PetitionCaseFactory(
            registered_at=registered, accept_due_at=registered + (at(1, 16) - at(1, 1)), owning_leader=small.cadre, **extra
        )

    case(at(3, 2), status="accepted", accepted_at=at(3, 5))  # accepted in time
    late = case(at(3, 3), status="declined")
    PetitionEvent.objects.create(case=late, kind="status", from_status="registered", to_status="declined", at=at(3, 19))
    first = case(at(1, 5), status="replied", accepted_at=at(1, 10), handle_due_at=at(3, 11), replied_at=at(3, 10), evaluation="satisfied")
    case(at(1, 10), status="replied", accepted_at=at(1, 12), handle_due_at=at(3, 16), replied_at=at(3, 17), evaluation="dissatisfied")
    case(at(3, 10), repeat_of=first)  # not decided yet, due 25 March
    case(at(3, 2), village=small.vb)  # county B

    got = figures.area_figures(access(small.supervisor), None, MARCH, now=NOW).petitions
    assert got.cases == 3
    assert got.accepted_on_time == Ratio(1, 3)
    assert got.replied_on_time == Ratio(1, 2)
    assert got.repeat == Ratio(1, 3)
    assert got.satisfaction == Ratio(1, 2)
    assert PetitionCase.objects.count() == 6


def test_cadre_and_unit_figures(small):
    supervisor = access(small.supervisor)
    rows = dict(figures.cadre_figures(supervisor, MARCH, now=NOW))
    zhang = rows[small.cadre]
    assert zhang.visits == 4  # the visit to Sun in T2 is outside the supervisor's scope
    assert zhang.flagged_visits == 1  # the back-dated phone callback
    assert zhang.coverage == Ratio(1, 2)  # Wang visited, the never-visited household not
    assert zhang.regularity == Ratio(1, 1)
    assert zhang.burst_share == Ratio(4, 4)
    assert zhang.on_time == Ratio(1, 5)
    assert (zhang.pledged, zhang.confirmed, zhang.overdue) == (6, 3, 3)
    assert zhang.satisfaction == Ratio(3, 4)
    assert zhang.reopen == Ratio(1, 4)
    assert rows[small.idle].visits == 0
    assert rows[small.idle].regularity == Ratio(0, 1)
    assert small.outsider not in rows

    quarter = dict(figures.cadre_figures(supervisor, Q1, now=NOW, cadres=[small.cadre]))
    assert quarter[small.cadre].regularity == Ratio(2, 3)  # February and March of three
    assert quarter[small.cadre].burst_share == Ratio(4, 5)

    units = figures.unit_figures(supervisor, MARCH, now=NOW)
    assert [(unit.name, got.visits, got.regularity) for unit, got in units] == [
        ("Township unit", 0, Ratio(0, 1)),
        ("Unit A", 4, Ratio(1, 1)),
    ]

    # On a region's page the tables count each cadre's work in that region only: Zhang visited
    # Wang in V1 twice, and the moved-out household and the forum in V2.
    in_v1 = dict(figures.cadre_figures(supervisor, MARCH, now=NOW, region=small.v1))
    assert in_v1[small.cadre].visits == 2
    in_v2 = figures.unit_figures(supervisor, MARCH, now=NOW, region=small.v2)
    assert [(unit.name, got.visits, got.burst_share) for unit, got in in_v2] == [("Unit A", 2, Ratio(2, 2))]


def test_concerns_by_category_and_monthly_trend(small):
    housing = f.CategoryFactory(code="housing", name="Housing")
    f.ConcernFactory(household=small.never, raised_at=at(3, 4), category=housing)
    f.ConcernFactory(household=None, village=small.v2, raised_at=at(3, 4), category=housing)
    got = figures.concerns_by_category(access(small.supervisor), small.t1, MARCH)
    employment = figures.Category.objects.get(code="employment")
    assert got.children == [small.v1, small.v2]
    assert got.cells[(small.v1.pk, employment.pk)] == figures.CategoryCell(2, 1)  # two from Wang
    assert got.cells[(small.v2.pk, employment.pk)] == figures.CategoryCell(1, 1)
    assert got.cells[(small.v2.pk, housing.pk)] == figures.CategoryCell(1, 0)
    assert got.totals[housing.pk] == figures.CategoryCell(2, 1)
    assert got.months[-1] == date(2026, 3, 1) and len(got.months) == 12
    assert got.trend[employment.pk][-2:] == [1, 3]  # February, March

    trend = figures.monthly_trend(access(small.supervisor), None, months=3, now=NOW)
    assert [point.month for point in trend] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert [point.visits for point in trend] == [0, 1, 4]
    # End of January and of February: k7 (due 1 January; k5 is due in April since its extension).
    # At NOW: k6, k7, k8.
    assert [point.overdue for point in trend] == [1, 1, 3]


def test_each_figure_runs_a_fixed_number_of_queries(small, django_assert_num_queries):
    """Computed live (no rollups yet); tests/reports/test_rollups.py pins the rolled-up reads."""
    supervisor = access(small.supervisor)
    with django_assert_num_queries(12):
        figures.area_figures(supervisor, None, MARCH, now=NOW)
    with django_assert_num_queries(13):
        figures.child_area_figures(supervisor, small.t1, MARCH, now=NOW)
    with django_assert_num_queries(9):
        figures.cadre_figures(supervisor, MARCH, now=NOW)
    with django_assert_num_queries(10):
        figures.unit_figures(supervisor, MARCH, now=NOW)
    with django_assert_num_queries(6):
        figures.concerns_by_category(supervisor, small.t1, MARCH)
    with django_assert_num_queries(3):
        figures.monthly_trend(supervisor, small.t1, now=NOW)
    # More of everything costs no more queries.
    for _ in range(3):
        f.VisitFactory(cadre=small.cadre, household=small.household_v2, visited_at=at(3, 11))
        f.ConcernFactory(household=small.household_v2, raised_at=at(3, 11), outcome=Concern.Outcome.NONE)
    with django_assert_num_queries(12):
        figures.area_figures(supervisor, None, MARCH, now=NOW)
    with django_assert_num_queries(9):
        figures.cadre_figures(supervisor, MARCH, now=NOW)


def test_never_acted_on_days_come_from_the_ladder(db):
    assert figures.never_acted_on_days() == figures.NEVER_ACTED_ON_DAYS
    f.EscalationRuleFactory(code="c7", subject="concern", offset_days=7, audience="owner")
    assert figures.never_acted_on_days() == 7
    f.EscalationRuleFactory(code="c30", subject="concern", offset_days=30, audience="inspectors")
    f.EscalationRuleFactory(code="c45", subject="concern", offset_days=45, audience="next_supervisor")
    assert figures.never_acted_on_days() == 30
    EscalationRule.objects.filter(code="c30").update(is_active=False)
    assert figures.never_acted_on_days() == 45
