"""Rollups give the figures the live computation from the raw rows gives, on random worlds,
regions, periods and viewers; they are refreshed set-based, idempotently, and read with fewer
queries."""

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from cadres.models import ContactPoint, Pairing, Posting, Scope
from casework.models import Commitment, CommitmentTransition, PetitionCase, PetitionEvent
from households.models import Household
from reports import figures, rollups
from reports.figures import Period
from reports.rollup_models import CadreVillagePeriod, RollupPeriod, VillagePeriod
from tests import factories as f
from tests.conftest import access

TZ = ZoneInfo("Asia/Shanghai")
S = Commitment.Status
NOW = datetime(2026, 4, 15, 15, 30, tzinfo=TZ)
FIRST = date(2025, 12, 1)


def moment(rng: random.Random, *, before: datetime = NOW) -> datetime:
    start = datetime.combine(FIRST, time(0), tzinfo=TZ)
    return start + (before - start) * rng.random()


def build(world, seed: int):
    """A random world on top of the shared one: households (some moved out, some never visited),
    pairings, visits of every kind, concerns, pledges in every state with history and codes,
    petition cases."""
    rng = random.Random(seed)
    for model in (Pairing, ContactPoint, Posting, Scope):
        model.objects.update(start=date(2025, 1, 1))
    villages = [world.v1, world.v2, world.v3, world.vb]
    cadres = [
        world.cadre,
        world.outsider,
        f.CadreFactory(user__username="third", unit=f.UnitFactory(region=world.t2)),
        f.CadreFactory(user__username="fourth", unit=world.unit_a),  # a unit of two cadres
    ]
    categories = [f.CategoryFactory(), f.CategoryFactory(code="housing", name="Housing")]
    households = [world.household_in, world.household_v2, world.household_v3, world.household_out]
    for i in range(12):
        status = Household.Status.MOVED_OUT if i % 5 == 0 else Household.Status.ACTIVE
        households.append(f.HouseholdFactory(village=rng.choice(villages), status=status))
    for household in rng.sample(households[4:], 6):
        f.PairingFactory(cadre=rng.choice(cadres), household=household, start=date(2025, 6, 1))
    f.ContactPointFactory(cadre=cadres[2], village=world.v3, start=date(2026, 3, 10))  # from March on

    for _ in range(60):
        household = rng.choice(households)
        kind = rng.choice(["home", "home", "home", "phone", "petition", "forum"])
        when = moment(rng)
        code = None
        if rng.random() < 0.4:
            used = rng.random() < 0.5
            code = f.ResidentCodeFactory(
                created_at=when, used_at=when + timedelta(hours=2) if used else None, rating="satisfied" if used else ""
            )
        f.VisitFactory(
            cadre=rng.choice(cadres),
            household=None if kind == "forum" else household,
            village=household.village,
            kind=kind,
            visited_at=when,
            companions=rng.choice([0, 1, 2, 3, 5]),
            resident_code=code,
            flag_far=rng.random() < 0.1,
        )

    for _ in range(30):
        household = rng.choice(households)
        raised = moment(rng)
        outcome = rng.choice(["none", "none", "resolved"])
        f.ConcernFactory(
            household=household if rng.random() < 0.8 else None,
            village=household.village,
            category=rng.choice(categories),
            raised_at=raised,
            outcome=outcome,
            outcome_note="done" if outcome == "resolved" else "",
            outcome_at=raised + timedelta(days=3) if outcome == "resolved" else None,
        )

    for _ in range(30):
        household = rng.choice(households)
        pledged = moment(rng)
        original = pledged + timedelta(days=rng.randint(1, 40))
        due = original + timedelta(days=rng.choice([0, 0, 20]))
        status = rng.choice(list(S.values))
        closed = None
        if status in (S.CONFIRMED, S.CANCELLED):
            closed = min(pledged + timedelta(days=rng.randint(1, 60)), NOW)
        commitment = f.CommitmentFactory(
            concern__household=household,
            concern__category=rng.choice(categories),
            concern__raised_at=pledged,
            owner=rng.choice(cadres),
            pledged_at=pledged,
            original_due_at=original,
            due_at=due,
            extension_count=int(due > original),
            status=status,
            closed_at=closed,
        )
        reported = moment(rng)
        if reported > pledged:
            CommitmentTransition.objects.create(
                commitment=commitment, from_status=S.IN_PROGRESS, to_status=S.REPORTED_DONE, at=reported
            )
            if rng.random() < 0.4:
                CommitmentTransition.objects.create(
                    commitment=commitment, from_status=S.REPORTED_DONE, to_status=S.REOPENED, at=reported + timedelta(days=2)
                )
            used = rng.random() < 0.6
            f.ResidentCodeFactory(
                purpose="commitment",
                commitment=commitment,
                created_at=reported,
                used_at=reported + timedelta(days=1) if used else None,
                rating=rng.choice(["satisfied", "basically", "dissatisfied"]) if used else "",
            )

    cases = []
    for _ in range(8):
        registered = moment(rng)
        accepted = rng.random() < 0.6
        accepted_at = registered + timedelta(days=rng.randint(1, 25)) if accepted else None
        replied_at = accepted_at + timedelta(days=rng.randint(10, 70)) if accepted and rng.random() < 0.7 else None
        case = f.PetitionCaseFactory(
            village=rng.choice(villages),
            owning_leader=rng.choice(cadres),
            registered_at=registered,
            status="replied" if replied_at else ("accepted" if accepted else "registered"),
            accepted_at=accepted_at,
            handle_due_at=accepted_at + timedelta(days=PetitionCase.HANDLE_DAYS) if accepted else None,
            replied_at=replied_at,
            evaluation=rng.choice(["satisfied", "dissatisfied", ""]) if replied_at else "",
            repeat_of=rng.choice(cases) if cases and rng.random() < 0.3 else None,
        )
        if not accepted and rng.random() < 0.5:
            case.status = "declined"
            case.save(update_fields=["status"])
            PetitionEvent.objects.create(
                case=case, kind="status", from_status="registered", to_status="declined",
                at=registered + timedelta(days=rng.randint(1, 25)),
            )
        cases.append(case)
    return rng


PERIODS = [
    Period.of("month", date(2026, 1, 1)),
    Period.of("month", date(2026, 3, 1)),
    Period.of("month", date(2026, 4, 1)),
    Period.of("quarter", date(2026, 1, 1)),
    Period.of("quarter", date(2026, 4, 1)),
    Period.of("year", date(2026, 1, 1)),
    Period.of("year", date(2025, 1, 1)),
]


def everything(world, viewer, region, period):
    who = access(world.users[viewer])
    return (
        figures.area_figures(who, region, period, now=NOW),
        figures.child_area_figures(who, region, period, now=NOW),
        figures.cadre_figures(who, period, now=NOW, region=region),
        figures.unit_figures(who, period, now=NOW, region=region),
        figures.concerns_by_category(who, region, period, months=6, now=NOW),
        figures.monthly_trend(who, region, months=6, now=NOW),
    )


def without_as_of(results):
    area, children, cadres, units, concerns, trend = results
    strip = lambda got: {**vars(got), "as_of": None}  # noqa: E731
    return (strip(area), [(region, strip(got)) for region, got in children], cadres, units, strip(concerns), trend)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_give_the_live_figures_on_random_regions_and_periods(world, seed):
    rng = build(world, seed)
    regions = [None, world.city, world.county_a, world.county_b, world.t1, world.v1, world.v3]
    cases = [("admin", rng.choice(regions), rng.choice(PERIODS)) for _ in range(4)]
    cases += [("supervisor", rng.choice([None, world.t1, world.v2]), rng.choice(PERIODS)) for _ in range(3)]
    cases += [("outsider", rng.choice([None, world.county_b]), rng.choice(PERIODS)), ("cadre", None, PERIODS[1])]
    live = [everything(world, *case) for case in cases]
    assert all(results[0].as_of is None for results in live)

    refreshed = rollups.rollups_refresh(periods=rollups.every_period(since=date(2025, 1, 1), today=NOW.date()), now=NOW)
    assert refreshed.skipped == []
    rolled = [everything(world, *case) for case in cases]

    for case, before, after in zip(cases, live, rolled, strict=True):
        viewer, region, period = case
        assert without_as_of(after) == without_as_of(before), case
        if viewer != "cadre":  # a cadre without a scope sees only their own rows: always live
            assert after[0].as_of == NOW, case
            assert after[4].as_of == NOW, case


def one_by_one(who, region, period):
    """What the dashboard shows, each figure read on its own."""
    units = figures.unit_figures(who, period, now=NOW, region=region)
    return figures.DashboardFigures(
        area=figures.area_figures(who, region, period, now=NOW),
        before=figures.area_figures(who, region, period.previous(), now=NOW),
        children=figures.child_area_figures(who, region, period, now=NOW),
        concerns=figures.concerns_by_category(who, region, period, now=NOW),
        trend=figures.monthly_trend(who, region, now=NOW),
        units=figures.UnitSummary(len(units), sum((got for _unit, got in units), figures.CadreFigures()) if units else None, units),
    )


@pytest.mark.parametrize("seed", [4, 5])
def test_the_dashboards_figures_read_together_are_those_read_one_by_one(world, seed):
    rng = build(world, seed)
    regions = [None, world.city, world.county_a, world.t1, world.v1]
    cases = [("admin", rng.choice(regions), rng.choice(PERIODS)) for _ in range(3)]
    cases += [("supervisor", rng.choice([None, world.t1, world.v2]), rng.choice(PERIODS)) for _ in range(2)]
    # The previous year has no rollups: this period's figures are read from them, the previous
    # period's computed live.
    cases += [("admin", world.county_a, Period.of("year", date(2025, 1, 1))), ("outsider", None, PERIODS[1])]
    cases += [("cadre", None, PERIODS[0])]
    for refreshed in (False, True):
        if refreshed:
            rollups.rollups_refresh(periods=rollups.every_period(since=date(2025, 1, 1), today=NOW.date()), now=NOW)
        for viewer, region, period in cases:
            who = access(world.users[viewer])
            together = figures.dashboard_figures(who, region, period, now=NOW, units_at_most=10)
            assert together == one_by_one(who, region, period), (viewer, region, period)
            if refreshed and viewer != "cadre":
                assert together.area.as_of == together.concerns.as_of == NOW, (viewer, region, period)


@pytest.mark.parametrize("seed", [6, 7])
def test_the_unit_summary_is_every_units_figures_summed_with_them_listed_only_when_few(world, seed):
    rng = build(world, seed)
    cases = [("admin", region, rng.choice(PERIODS)) for region in (None, world.city, world.t1, world.t2)]
    cases += [("supervisor", None, rng.choice(PERIODS)), ("supervisor", world.t1, PERIODS[5])]
    for refreshed in (False, True):
        if refreshed:
            rollups.rollups_refresh(periods=rollups.every_period(since=date(2025, 1, 1), today=NOW.date()), now=NOW)
        for viewer, region, period in cases:
            who = access(world.users[viewer])
            units = figures.unit_figures(who, period, now=NOW, region=region)
            total = sum((got for _unit, got in units), figures.CadreFigures())
            assert len(units) >= 2, (viewer, region)
            for at_most in (0, len(units) - 1, len(units), 100):
                summary = figures.unit_summary(who, period, now=NOW, region=region, at_most=at_most)
                assert (summary.count, summary.total) == (len(units), total), (viewer, region, period, at_most)
                assert summary.units == (units if len(units) <= at_most else None), (viewer, region, at_most)


def test_reads_from_rollups_run_fewer_fixed_queries(world, django_assert_num_queries):
    build(world, 4)
    rollups.rollups_refresh(periods=rollups.every_period(since=date(2025, 1, 1), today=NOW.date()), now=NOW)
    supervisor, admin = access(world.supervisor), access(world.admin)
    march = PERIODS[1]
    for who in (supervisor, admin):
        # When the periods were rolled up, then the region rows (and the child regions).
        with django_assert_num_queries(2):
            assert figures.area_figures(who, None, march, now=NOW).as_of == NOW
        with django_assert_num_queries(3):
            figures.child_area_figures(who, None, march, now=NOW)
        # Inside a scope, whether its regions' cadres were rolled up, then them, their figures
        # and overdue count.
        with django_assert_num_queries(6 if who is supervisor else 5):
            figures.cadre_figures(who, march, now=NOW)
        # The administrator's whole city: which regions are the roots.
        with django_assert_num_queries(3 if who is supervisor else 4):
            figures.unit_figures(who, march, now=NOW)
        # When they were rolled up, the child regions, their category rows, the categories.
        with django_assert_num_queries(4):
            assert figures.concerns_by_category(who, world.t1, march, now=NOW).as_of == NOW
        with django_assert_num_queries(2):
            figures.monthly_trend(who, world.t1, now=NOW)
        # A page of many figures reads when each period was rolled up once, not a query a figure.
        with figures.refreshes_read_once():
            with django_assert_num_queries(1):
                assert figures.area_figures(who, None, march, now=NOW).as_of == NOW
            with django_assert_num_queries(1):
                figures.monthly_trend(who, world.t1, now=NOW)
            assert figures.area_figures(who, None, Period.of("month", date(2020, 1, 1)), now=NOW).as_of is None
        # The dashboard's: when each period was rolled up, the child regions, the region rows of
        # every period, the category rows and categories, the unit rows and units (and the roots
        # for the administrator's whole city).
        with django_assert_num_queries(7 if who is supervisor else 8):
            figures.dashboard_figures(who, None, march, now=NOW, units_at_most=10)


def test_a_refresh_rewrites_its_periods_and_drops_rows_nothing_backs_any_more(world):
    march = Period.of("month", date(2026, 3, 1))
    visit = f.VisitFactory(cadre=world.cadre, household=world.household_in, visited_at=datetime(2026, 3, 3, 10, tzinfo=TZ))
    rollups.rollups_refresh(periods=[march], now=NOW)
    rows = VillagePeriod.objects.filter(kind="month", start=march.start, village=world.v1)
    assert rows.get().visits == 1
    assert CadreVillagePeriod.objects.get(kind="month", start=march.start, cadre=world.cadre, village=world.v1).visits == 1
    count = VillagePeriod.objects.count()

    later = NOW + timedelta(minutes=10)
    rollups.rollups_refresh(periods=[march], now=later)  # nothing changed: the same rows, newer
    assert VillagePeriod.objects.count() == count
    assert rows.get().visits == 1 and rows.get().refreshed_at == later
    assert rollups.rollups_as_of(march) == later == rollups.rollups_as_of()

    visit.delete()
    rollups.rollups_refresh(periods=[march], now=later + timedelta(minutes=10))
    assert rows.get().visits == 0  # every village keeps a row (it is counted in "villages")
    assert not CadreVillagePeriod.objects.filter(kind="month", start=march.start).exists()


def test_default_periods_are_the_current_and_previous_calendar_periods(db):
    assert rollups.default_periods(date(2026, 4, 15)) == [
        Period.of("month", date(2026, 4, 1)),
        Period.of("month", date(2026, 3, 1)),
        Period.of("quarter", date(2026, 4, 1)),
        Period.of("quarter", date(2026, 1, 1)),
        Period.of("year", date(2026, 1, 1)),
    ]
    # In the first quarter, late entries may still land in the previous year.
    assert rollups.default_periods(date(2026, 2, 10))[-2:] == [
        Period.of("year", date(2026, 1, 1)),
        Period.of("year", date(2025, 1, 1)),
    ]
    assert len(rollups.every_period(since=date(2025, 11, 20), today=date(2026, 4, 15))) == 6 + 3 + 2
    assert rollups.every_period(since=None, today=date(2026, 4, 15)) == []
    with pytest.raises(ValueError):
        rollups.rollups_refresh(periods=[Period("custom", date(2026, 3, 1), date(2026, 3, 9))])
    assert rollups.rollups_as_of() is None


def test_custom_ranges_and_missing_periods_are_computed_live(world):
    march = Period.of("month", date(2026, 3, 1))
    admin = access(world.admin)
    rollups.rollups_refresh(periods=[march], now=NOW)
    # The overdue count comes from the current month's rows: without them, all is live.
    assert figures.area_figures(admin, None, march, now=NOW).as_of is None
    rollups.rollups_refresh(periods=[Period.of("month", NOW.date())], now=NOW)
    assert figures.area_figures(admin, None, march, now=NOW).as_of == NOW
    assert figures.area_figures(admin, None, Period("custom", date(2026, 3, 1), date(2026, 3, 31)), now=NOW).as_of is None
    assert figures.area_figures(admin, None, Period.of("month", date(2026, 2, 1)), now=NOW).as_of is None


def test_a_quarter_rolls_up_the_months_it_needs_first(world):
    f.VisitFactory(cadre=world.cadre, household=world.household_in, visited_at=datetime(2026, 2, 3, 10, tzinfo=TZ))
    quarter = Period.of("quarter", date(2026, 1, 1))
    result = rollups.rollups_refresh(periods=[quarter], now=NOW)
    assert result.periods == [Period.of("month", date(2026, month, 1)) for month in (1, 2, 3)] + [quarter]
    assert VillagePeriod.objects.get(kind="quarter", start=quarter.start, village=world.v1).visits == 1
    assert VillagePeriod.objects.get(kind="quarter", start=quarter.start, village=world.v1).visited_households == 1


def test_refresh_rollups_command_backfills_every_period(world, capsys):
    f.VisitFactory(cadre=world.cadre, household=world.household_in, visited_at=datetime(2025, 11, 3, 10, tzinfo=TZ))
    call_command("refresh_rollups", "--all")
    months = set(RollupPeriod.objects.filter(kind="month").values_list("start", flat=True))
    assert date(2025, 11, 1) in months and date(2025, 12, 1) in months
    assert "periods" in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapping_refreshes_of_a_period_write_it_once(world):
    from tests.conftest import race

    march = Period.of("month", date(2026, 3, 1))
    f.VisitFactory(cadre=world.cadre, household=world.household_in, visited_at=datetime(2026, 3, 3, 10, tzinfo=TZ))
    outcomes = race(*[lambda: rollups.rollups_refresh(periods=[march], now=NOW)] * 3)
    assert all(isinstance(outcome, rollups.Refreshed) for outcome in outcomes), outcomes
    assert sum(len(outcome.periods) for outcome in outcomes) >= 1
    assert VillagePeriod.objects.get(kind="month", start=march.start, village=world.v1).visits == 1


@pytest.mark.django_db(transaction=True)
def test_moving_the_cadre_coverage_into_the_region_rollups_forgets_the_refreshes_so_figures_are_live_until_the_next():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("reports", "0008_cadre_regions_by_unit")], [("reports", "0009_region_rollups_count_cadres")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        old.get_model("reports", "RollupPeriod").objects.create(kind="month", start=date(2026, 3, 1), refreshed_at=NOW)
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        assert not executor.loader.project_state(after).apps.get_model("reports", "RollupPeriod").objects.exists()
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
