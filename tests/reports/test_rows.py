"""The lists behind the dashboard's numbers: each number links to exactly the rows it counts.

On the hand-computed world of tests/reports/test_figures_dashboard.py (March 2026, seen on 20
March), every linked number of the dashboard, its table by region and its tables by unit and by
cadre is compared with the rows of the page it opens: a count with the rows listed, a ratio's
denominator with the rows listed and its numerator with the rows the page marks as counted.
"""

import itertools
import re
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadres.models import Pairing
from casework.models import CommitmentTransition, PetitionEvent
from reports import dashboard_urls, rows_views
from reports.figures import Ratio
from reports.rows import PAGE_SIZE
from tests import factories as f
from tests.reports.test_figures_dashboard import NOW, at, small  # noqa: F401 - ``small`` is a fixture

MARCH = {"period": "month", "on": "2026-03-20"}
Q1 = {"period": "quarter", "on": "2026-03-20"}
DASHBOARD = reverse("dashboard")
# The lists this module tests (the overdue report, households and concerns have their own tests),
# with the part of their rows a ratio's numerator counts.
LISTS = {
    reverse(name): numerator
    for name, numerator in (
        ("dashboard_visits", "yes"),
        ("dashboard_pledges", "yes"),
        ("dashboard_pledge_changes", "reopened"),
        ("dashboard_ratings", "yes"),
        ("dashboard_confirmations", "yes"),
        ("dashboard_villages", "yes"),
        ("dashboard_cadre_assignments", "yes"),
        ("dashboard_pairings", "yes"),
        ("dashboard_petitions", "yes"),
    )
}
LIST_MOST = 20
CADRE_MONTHS = reverse("dashboard_cadre_months")


@pytest.fixture
def march(small):  # noqa: F811 - the fixture imported above
    """The world, seen on 20 March 2026."""
    with time_machine.travel(NOW, tick=False):
        yield small


def fraction(text: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d+) / (\d+)", text or "")
    return (int(match[1]), int(match[2])) if match else None


def listed(client, url: str):
    """The page of rows at ``url``, checked to list as many rows as it says it has."""
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.context["page"]
    assert len(page.object_list) == min(page.paginator.count, PAGE_SIZE)
    return response


def check(client, url: str, value: str, fraction_text: str = "", column: str = "") -> bool:
    """Whether ``url`` is one of these lists; if so, that it holds the rows the number counts
    (``column``: the table's column the number is in)."""
    path = url.split("?")[0]
    if path == CADRE_MONTHS:
        return check_cadre_months(client, url, column, fraction_text)
    if path not in LISTS:
        return False
    response = listed(client, url)
    count, tally = response.context["page"].paginator.count, response.context["tally"]
    ratio = fraction(fraction_text)
    if ratio:
        numerator, denominator = ratio
        # A ratio opens its denominator's rows (or, "yes", its numerator's), and the page counts
        # its numerator's.
        assert count == (numerator if "=yes" in url else denominator), url
        assert tally[LISTS[path]] == numerator, url
    elif "." in value:  # companions per visit, over the visits listed
        rows = response.context["page"].object_list
        assert value == f"{sum(row.companions for row in rows) / len(rows):.1f}", url
    else:
        assert response.context["page"].paginator.count == int(value), url
    return True


def check_cadre_months(client, url: str, column: str, fraction_text: str) -> bool:
    """The cadres behind a regularity or burst share (``column``): their months' visits add up
    to its numerator and denominator; those with a visit in every month are the part "yes"."""
    response = listed(client, url)
    cadres, tally = response.context["page"].object_list, response.context["tally"]
    assert response.context["page"].paginator.count == len(cadres), url  # all on one page here
    total = Ratio(0, 0)
    for cadre in cadres:
        total += getattr(cadre, column)
    assert (total.numerator, total.denominator) == fraction(fraction_text), (url, column)
    regular = [cadre for cadre in cadres if all(visits for _month, visits in cadre.months)]
    assert tally["yes"] == len(regular) and all(cadre.counted for cadre in regular), url
    return True


def linked_numbers(client, url: str, query: dict) -> list[str]:
    """Check every number of the dashboard at ``url`` (and of its unit's cadres) that opens one of
    these lists; the keys of those checked."""
    response = client.get(url, query)
    assert response.status_code == 200
    page = response.context["page"]
    checked = []
    for tile in page.tiles:
        for number in [tile, *tile.parts]:
            if number.url and check(client, number.url, number.value, number.detail):
                checked.append(f"tile:{tile.key}" + (f":{number.key}" if number is not tile else ""))
    tables = [page.regions, page.units]
    for unit_row in page.units.rows:
        tables.append(client.get(unit_row[0].url).context["table"])
    for table in tables:
        for row in table.rows + ([table.footer] if table.footer else []):
            for column, cell in zip(table.columns, row, strict=True):
                if cell.url and check(client, cell.url, cell.text, cell.title, column.key):
                    checked.append(f"{table.key}:{column.key}")
    return checked


@pytest.mark.parametrize("period", [MARCH, Q1])
def test_every_number_of_a_supervisors_dashboard_opens_exactly_its_rows(client, march, period):
    client.force_login(march.supervisor)

    checked = linked_numbers(client, DASHBOARD, period)

    assert {
        "tile:visits",
        "tile:burden",
        "tile:burden:burden_heavy",
        "regions:visits",
        "units:visits",
        "cadres:visits",
        "tile:on_time",
        "tile:satisfaction",
        "tile:satisfaction:reopen",
        "tile:confirmation",
        "regions:on_time",
        "regions:satisfaction",
        "regions:reopen",
        "regions:confirmation",
        "units:on_time",
        "units:satisfaction",
        "units:reopen",
        "cadres:on_time",
        "cadres:satisfaction",
        "cadres:reopen",
        "tile:villages_covered",
        "tile:cadres_covered",
        "regions:villages_covered",
        "units:coverage",
        "cadres:coverage",
        "units:regularity",
        "units:burst_share",
        "cadres:regularity",
        "cadres:burst_share",
    } <= set(checked)
    assert {"units:flagged", "cadres:flagged"} <= set(checked)


@pytest.mark.parametrize("period", [MARCH, Q1])
def test_numbers_read_from_the_rollups_open_the_same_rows(client, march, period):
    from reports.figures import Period
    from reports.rollups import rollups_refresh

    shown = Period.of(period["period"], date(2026, 3, 20))
    rollups_refresh(periods=[shown, shown.previous(), Period.of("month", date(2026, 3, 1))])
    for user in (march.supervisor, march.admin):
        client.force_login(user)
        response = client.get(DASHBOARD, period)
        assert response.context["page"].rolled_up_at is not None

        checked = linked_numbers(client, DASHBOARD, period)

        assert {"tile:visits", "tile:on_time", "regions:visits", "units:visits", "units:coverage"} <= set(checked)


def test_every_number_of_an_administrators_region_opens_exactly_its_rows(client, march):
    client.force_login(march.admin)

    checked = linked_numbers(client, reverse("dashboard_region", args=[march.county_a.pk]), MARCH)

    assert "regions:visits" in checked and "units:visits" in checked


def test_every_number_of_the_demo_supervisors_dashboard_opens_exactly_its_rows(client, db, settings):
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("seed_demo", households=400, stdout=StringIO())
    client.force_login(get_user_model().objects.get(username="demo-supervisor"))

    checked = linked_numbers(client, DASHBOARD, {})

    assert {
        "tile:visits",
        "tile:on_time",
        "tile:satisfaction",
        "tile:petitions",
        "tile:villages_covered",
        "regions:visits",
        "units:visits",
        "cadres:visits",
    } <= set(checked)


# --- visits ------------------------------------------------------------------------------------


def visits(client, **query):
    return client.get(reverse("dashboard_visits"), MARCH | query)


def test_the_visits_are_the_in_person_ones_of_the_period_in_scope(client, march):
    client.force_login(march.supervisor)

    response = visits(client)

    # Two home visits to Wang, one to the moved-out household, a forum in V2; not the phone
    # callback, not February's, not those in T2 or county B.
    rows = list(response.context["page"])
    assert len(rows) == 4 and {visit.kind for visit in rows} == {"home", "forum"}
    assert [(row.companions, row.counted) for row in rows] == [(3, True), (5, True), (1, False), (0, False)]
    assert response.context["tally"] == {"all": 4, "yes": 2, "no": 2}
    html = response.content.decode()
    assert 'data-testid="count-yes">2<' in html and reverse("visit_detail", args=[rows[0].pk]) in html
    heavy = visits(client, heavy="yes")
    assert [row.companions for row in heavy.context["page"]] == [3, 5]
    assert [row.companions for row in visits(client, heavy="no").context["page"]] == [1, 0]


def test_flagged_visits_are_of_any_kind_as_the_cadre_table_counts_them(client, march):
    client.force_login(march.supervisor)

    response = visits(client, flagged="on", cadre=march.cadre.pk)

    assert [row.kind for row in response.context["page"]] == ["phone"]
    assert "Visits with an integrity flag" in response.content.decode()


def test_a_list_of_more_rows_than_are_counted_says_so_and_pages_its_first_rows(client, march, monkeypatch):
    monkeypatch.setattr("reports.rows.COUNT_SHOWN", 3)
    client.force_login(march.supervisor)

    response = visits(client)  # four visits, two with more than two companions

    assert response.context["tally"] == {"all": None, "yes": None, "no": None}
    page = response.context["page"]
    assert page.paginator.more and page.paginator.count == 3
    assert [row.companions for row in page] == [3, 5, 1]
    html = response.content.decode()
    assert 'data-testid="count-all">more than 3<' in html and 'data-testid="count-yes"' not in html
    assert "Only the first 3 rows are listed" in html
    # The part chosen is counted when it is no more than that.
    heavy = visits(client, heavy="yes")
    assert heavy.context["tally"] == {"all": None, "yes": 2, "no": None}
    assert not heavy.context["page"].paginator.more and [row.companions for row in heavy.context["page"]] == [3, 5]
    assert 'data-testid="count-yes">2<' in heavy.content.decode()
    assert "Only the first" not in heavy.content.decode()
    assert visits(client, page="2").status_code == 400


def test_a_units_visits_are_those_of_its_chosen_cadres_in_the_region(client, march):
    f.VisitFactory(cadre=march.idle, household=march.household_v3, visited_at=at(3, 9))  # T2: outside the region
    client.force_login(march.admin)

    in_t1 = visits(client, region=march.t1.pk, unit=march.unit_a.pk)
    everywhere = visits(client, unit=march.unit_a.pk)

    assert in_t1.context["page"].paginator.count == 4
    assert everywhere.context["page"].paginator.count == 5  # and Zhang's visit to Sun in T2
    assert visits(client, region=march.t1.pk, unit=march.idle.unit_id).context["page"].paginator.count == 0


# --- pledges ----------------------------------------------------------------------------------


def listing(client, name, **query):
    response = client.get(reverse(name), MARCH | query)
    assert response.status_code == 200
    return response


def test_the_pledges_due_are_those_on_time_fulfilment_counts(client, march):
    k = march.k
    client.force_login(march.supervisor)

    response = listing(client, "dashboard_pledges")

    # Due in March in township 1: k6, k1, k2, k8 and k4 (extended into March); not k3
    # (cancelled), k5 (extended into April), k9 (county B), k10 (T2). Only k1 was confirmed by
    # its due date; k2 was confirmed after it.
    rows = list(response.context["page"])
    assert [row.pk for row in rows] == [k[6].pk, k[1].pk, k[2].pk, k[8].pk, k[4].pk]
    assert [row.pk for row in rows if row.counted] == [k[1].pk]
    assert response.context["tally"] == {"all": 5, "yes": 1, "no": 4}
    late = listing(client, "dashboard_pledges", on_time="no")
    assert [row.pk for row in late.context["page"]] == [k[6].pk, k[2].pk, k[8].pk, k[4].pk]
    html = response.content.decode()
    assert reverse("commitment_detail", args=[k[4].pk]) in html and "extended 1 time" in html


def test_reports_of_done_and_reopenings_are_listed_apart(client, march):
    k = march.k
    client.force_login(march.supervisor)

    reported = listing(client, "dashboard_pledge_changes", to="reported")
    reopened = listing(client, "dashboard_pledge_changes", to="reopened")

    assert [change.commitment_id for change in reported.context["page"]] == [k[8].pk, k[2].pk, k[2].pk, k[1].pk]
    assert [change.commitment_id for change in reopened.context["page"]] == [k[2].pk]
    assert reported.context["tally"] == {"all": 5, "reported": 4, "reopened": 1}
    assert "Pledges reopened" in reopened.content.decode()


def test_ratings_are_the_pledges_codes_used_in_the_period(client, march):
    k = march.k
    client.force_login(march.supervisor)

    response = listing(client, "dashboard_ratings")

    # k5's code was offered in February and used in March: its rating counts in March.
    rows = list(response.context["page"])
    assert [(code.commitment_id, code.rating, code.counted) for code in rows] == [
        (k[5].pk, "satisfied", True),
        (k[2].pk, "basically", True),
        (k[2].pk, "dissatisfied", False),
        (k[1].pk, "satisfied", True),
    ]


def test_codes_offered_are_those_of_the_visits_and_the_pledges_of_the_period(client, march):
    k = march.k
    client.force_login(march.supervisor)

    response = listing(client, "dashboard_confirmations")

    rows = list(response.context["page"])
    assert response.context["tally"] == {"all": 6, "yes": 4, "no": 2}
    assert sorted((code.purpose, code.used_at is not None) for code in rows) == [
        ("commitment", False),
        ("commitment", True),
        ("commitment", True),
        ("commitment", True),
        ("visit", False),
        ("visit", True),
    ]
    assert k[5].pk not in {code.commitment_id for code in rows}  # offered in February
    not_yet = listing(client, "dashboard_confirmations", confirmed="no")
    assert "not yet" in not_yet.content.decode() and len(not_yet.context["page"]) == 2


# --- assignments --------------------------------------------------------------------------------


def test_villages_are_listed_with_their_assigned_cadres(client, march):
    client.force_login(march.admin)

    response = listing(client, "dashboard_villages", region=march.county_a.pk)

    rows = [(village.name, village.counted) for village in response.context["page"]]
    assert rows == [("Village 1", True), ("Village 2", True), ("Village 3", False)]
    v1, v2 = list(response.context["page"])[:2]
    assert [p.cadre for p in v1.posted] == [march.cadre] and [c.cadre for c in v2.contacts] == [march.cadre]
    unassigned = listing(client, "dashboard_villages", region=march.county_a.pk, assigned="no")
    assert [village.name for village in unassigned.context["page"]] == ["Village 3"]


def test_cadres_of_the_units_are_listed_assigned_or_not(client, march):
    client.force_login(march.admin)

    response = listing(client, "dashboard_cadre_assignments", region=march.county_a.pk)

    assert [(cadre.name, cadre.counted) for cadre in response.context["page"]] == [
        ("Idle Qian", False),
        ("Cadre Zhang", True),
    ]


def test_paired_households_are_listed_once_per_cadre_visited_or_not(client, march):
    # A second pairing of the same cadre and household in force at the same time counts once.
    Pairing.objects.create(
        cadre=march.cadre, household=march.household_in, start=date(2026, 1, 1), end=date(2026, 12, 31)
    )
    # One that ended before the day counted does not hide a later one in force.
    fresh = f.HouseholdFactory(village=march.household_in.village, head_name="Fresh")
    Pairing.objects.create(cadre=march.cadre, household=fresh, start=date(2025, 1, 1), end=date(2025, 6, 30))
    Pairing.objects.create(cadre=march.cadre, household=fresh, start=date(2026, 1, 1))
    client.force_login(march.supervisor)

    response = listing(client, "dashboard_pairings", cadre=march.cadre.pk)

    rows = [(pairing.household.head_name, pairing.counted) for pairing in response.context["page"]]
    assert rows == [("Fresh", False), ("Never visited", False), ("Wang", True)]
    cadres = client.get(reverse("dashboard_cadres"), MARCH | {"region": march.t1.pk, "unit": march.unit_a.pk})
    table = cadres.context["table"]
    coverage = table.rows[0][[column.key for column in table.columns].index("coverage")]
    assert coverage.title == "1 / 3" and coverage.url.startswith(reverse("dashboard_pairings"))


# --- petition cases -----------------------------------------------------------------------------


@pytest.fixture
def petitions(march):
    """Cases of township 1 (and one of county B) around March: see each figure below."""

    def case(subject, registered, **extra):
        extra = {"village": march.v1, "owning_leader": march.cadre} | extra
        return f.PetitionCaseFactory(
            subject=subject, registered_at=registered, accept_due_at=registered + (at(1, 16) - at(1, 1)), **extra
        )

    accepted = case("Accepted in time", at(3, 2), status="accepted", accepted_at=at(3, 5))
    late = case("Declined late", at(3, 3), status="declined")
    PetitionEvent.objects.create(case=late, kind="status", from_status="registered", to_status="declined", at=at(3, 19))
    first = case(
        "Replied in time",
        at(1, 5),
        status="replied",
        accepted_at=at(1, 10),
        handle_due_at=at(3, 11),
        replied_at=at(3, 10),
        evaluation="satisfied",
    )
    case(
        "Replied late",
        at(1, 10),
        status="replied",
        accepted_at=at(1, 12),
        handle_due_at=at(3, 16),
        replied_at=at(3, 17),
        evaluation="dissatisfied",
    )
    case("Again", at(3, 10), repeat_of=first)  # not decided yet, due 25 March
    case("In county B", at(3, 2), village=march.vb, owning_leader=march.outsider)
    march.cases = {"accepted": accepted, "late": late, "first": first}
    return march


def subjects(response) -> list[tuple[str, bool]]:
    return [(case.subject, case.counted) for case in response.context["page"]]


def test_each_petition_figure_opens_its_cases(client, petitions):
    client.force_login(petitions.supervisor)

    checked = linked_numbers(client, DASHBOARD, MARCH)

    assert {
        "tile:petitions",
        "tile:petitions:accepted_on_time",
        "tile:petitions:replied_on_time",
        "tile:petitions:repeat",
        "tile:petitions:satisfaction",
    } <= set(checked)
    registered = listing(client, "dashboard_petitions")
    assert subjects(registered) == [("Again", True), ("Declined late", False), ("Accepted in time", False)]
    assert subjects(listing(client, "dashboard_petitions", figure="accept_due")) == [
        ("Again", False),
        ("Declined late", False),
        ("Accepted in time", True),
    ]
    assert subjects(listing(client, "dashboard_petitions", figure="reply_due")) == [
        ("Replied late", False),
        ("Replied in time", True),
    ]
    evaluated = listing(client, "dashboard_petitions", figure="evaluated", counted="yes")
    assert subjects(evaluated) == [("Replied in time", True)]
    html = evaluated.content.decode()
    assert (
        "Satisfied or basically satisfied: <" in html
        and "Petition cases · Replied to and evaluated in the period" in html
    )
    assert reverse("petition_detail", args=[petitions.cases["first"].pk]) in html


def test_an_unknown_petition_figure_is_refused(client, petitions):
    client.force_login(petitions.supervisor)

    response = client.get(reverse("dashboard_petitions"), MARCH | {"figure": "everything"})

    assert response.status_code == 400
    assert "Choose one of the options offered." in response.content.decode()


# --- bad input, scope, queries -----------------------------------------------------------------


# Every list behind the dashboard's numbers, as the URLconf names them (a new one is tested here
# and in the permission matrix without being listed again).
NAMES = [pattern.name for pattern in dashboard_urls.urlpatterns if pattern.callback.__module__ == rows_views.__name__]


def test_an_empty_part_of_a_list_says_so_with_its_count(client, march):
    client.force_login(march.supervisor)

    # Cadre Zhang of unit A visited in March: no cadre of the unit went a month without a visit.
    response = client.get(CADRE_MONTHS, MARCH | {"unit": march.unit_a.pk, "regular": "no"})

    html = response.content.decode()
    assert response.context["tally"] == {"all": 1, "yes": 1, "no": 0}
    assert 'data-testid="count-no">0<' in html and 'data-testid="no-rows"' in html


@pytest.mark.parametrize("name", NAMES)
def test_a_region_outside_the_scope_or_unknown_is_not_found(client, march, name):
    client.force_login(march.supervisor)

    for region in (march.county_a.pk, march.t2.pk, march.vb.pk, 999_999, "9" * 30):
        assert client.get(reverse(name), {"region": region}).status_code == 404
    village = client.get(reverse(name), {"region": march.v1.pk})
    assert village.status_code == 200 and village.context["region"] == march.v1
    assert village.context["trail"][-1] == march.v1
    # Not a number (a superscript two is a digit to Python, not to the database): told so.
    for region in ("²", "-1", "1.5"):
        response = client.get(reverse(name), {"region": region})
        assert response.status_code == 400 and "Choose a region within your scope." in response.content.decode()


# The lists the tables by unit and by cadre link to, which take a unit or a cadre.
CADRE_NAMES = [
    name for name in NAMES if name not in ("dashboard_villages", "dashboard_cadre_assignments", "dashboard_petitions")
]
BAD_FILTERS = [
    (
        {"period": "custom", "start": "2026-03-10", "end": "2026-03-01"},
        "end",
        "The end of the period is before its start.",
    ),
    ({"region": "abc"}, "region", "Choose a region within your scope."),
    ({"period": "custom", "start": "2026-03-10"}, "end", "Give the last day of the range."),
    ({"period": "week"}, "period", "Choose a month, a quarter, a year or a custom range."),
]
BAD_CADRE_FILTERS = [
    ({"unit": 999_999}, "unit", "That unit does not exist."),
    ({"cadre": "outsider"}, "cadre", "Choose a cadre within your scope."),
    ({"unit": "9" * 20}, "unit", "That unit does not exist."),
    ({"unit": "²"}, "unit", "That unit does not exist."),
    ({"cadre": "١"}, "cadre", "Choose a cadre within your scope."),
]


@pytest.mark.parametrize(
    ("name", "query", "field", "message"),
    [(name, *bad) for name in NAMES for bad in BAD_FILTERS]
    + [(name, *bad) for name in CADRE_NAMES for bad in BAD_CADRE_FILTERS],
)
def test_a_bad_filter_is_refused_next_to_its_field_with_no_rows(client, march, name, query, field, message):
    client.force_login(march.supervisor)
    if query.get("cadre") == "outsider":
        query = {"cadre": march.outsider.pk}

    response = client.get(reverse(name), query)

    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert message in response.content.decode()
    assert "page" not in response.context


def test_an_id_in_other_digits_is_refused_rather_than_read_as_another_row(client, march):
    client.force_login(march.supervisor)
    arabic_indic = "".join(chr(0x660 + int(digit)) for digit in str(march.cadre.pk))  # int() reads it

    response = client.get(reverse("dashboard_visits"), {"cadre": arabic_indic})

    assert response.status_code == 400
    assert "Choose a cadre within your scope." in response.context["form"].errors["cadre"]


def test_a_bad_part_is_refused(client, march):
    client.force_login(march.supervisor)

    response = visits(client, heavy="maybe")

    assert response.status_code == 400
    assert "Choose one of the options offered." in response.content.decode()


# Not page numbers ("²" and "١" are digits to Python's int(), not page numbers), or past the last
# page (each list here has one page of rows); a page given twice counts as the last one given.
BAD_PAGES = ["abc", "9" * 20, "²", "١", "-1", "0", "1.5", " 1", "2", ["1", "2"]]


@pytest.mark.parametrize("name", NAMES)
def test_a_page_that_is_not_one_of_the_lists_is_refused_with_no_rows(client, march, name):
    client.force_login(march.supervisor)

    for page in BAD_PAGES:
        response = client.get(reverse(name), MARCH | {"page": page})

        assert response.status_code == 400, page
        assert response.context["form"].non_field_errors() == ["Choose a page from 1 to 1."], page
        assert "Choose a page from 1 to 1." in response.content.decode() and "page" not in response.context
    for page in ("", "1"):
        assert client.get(reverse(name), MARCH | {"page": page}).context["page"].number == 1


def test_a_cadre_without_a_scope_is_told_the_lists_are_not_for_them(client, march):
    client.force_login(march.cadre_user)

    response = visits(client)

    assert response.status_code == 403
    assert "The dashboard is for supervisors, discipline inspectors and administrators." in response.content.decode()


VILLAGE_CODES = itertools.count(50)


def more_of_everything(world, n: int, *, elsewhere: bool = False):
    """``n`` more of each kind of row, in March: villages of township 1 each with a new cadre of
    the township's unit as contact; households of village 2 paired with the world's cadre, who
    visits them, pledges and reports done. ``elsewhere``: the same in township B, of unit B and
    the outsider."""
    township, unit, home, cadre, codes = (
        (world.tb, world.unit_b, world.vb, world.outsider, "3301030019")
        if elsewhere
        else (world.t1, world.idle.unit, world.v2, world.cadre, "3301020019")
    )
    for i in range(n):
        village = f.region(f"More village {i}", f"{codes}{next(VILLAGE_CODES):02d}", township)
        f.ContactPointFactory(cadre=f.CadreFactory(unit=unit), village=village, start=date(2026, 1, 1))
        household = f.HouseholdFactory(village=home, head_name=f"More {i}")
        f.PairingFactory(cadre=cadre, household=household, start=date(2026, 1, 1))
        code = f.ResidentCodeFactory(created_at=at(3, 11), used_at=at(3, 12), rating="satisfied")
        f.VisitFactory(
            cadre=cadre,
            household=household,
            visited_at=at(3, 11),
            companions=4,
            flag_far=True,
            resident_code=code,
        )
        pledge = f.CommitmentFactory(
            concern__household=household,
            owner=cadre,
            pledged_at=at(3, 1),
            original_due_at=at(3, 11),
            due_at=at(3, 11),
        )
        f.PetitionCaseFactory(village=home, owning_leader=cadre, registered_at=at(3, 11))
        CommitmentTransition.objects.create(
            commitment=pledge, from_status="in_progress", to_status="reported_done", at=at(3, 12)
        )
        f.ResidentCodeFactory(
            purpose="commitment", commitment=pledge, created_at=at(3, 11), used_at=at(3, 12), rating="satisfied"
        )


@pytest.mark.parametrize(
    ("name", "query", "rows_each"),
    [
        ("dashboard_visits", {}, 1),
        ("dashboard_visits", {"flagged": "on", "heavy": "yes"}, 1),
        ("dashboard_pledges", {"on_time": "no"}, 1),
        ("dashboard_pledge_changes", {"to": "reported"}, 1),
        ("dashboard_ratings", {}, 1),
        ("dashboard_confirmations", {"confirmed": "yes"}, 2),  # a visit's code and a pledge's
        ("dashboard_villages", {"assigned": "yes"}, 1),
        ("dashboard_cadre_assignments", {}, 1),
        ("dashboard_pairings", {"visited": "yes"}, 1),
        # A row a cadre: the unit that more_of_everything adds cadres to.
        ("dashboard_cadre_months", {"unit": lambda world: world.idle.unit_id}, 1),
        ("dashboard_petitions", {"figure": "registered"}, 1),
    ],
)
def test_the_lists_take_a_fixed_number_of_queries(client, march, django_assert_num_queries, name, query, rows_each):
    client.force_login(march.supervisor)
    client.get(DASHBOARD)
    query = MARCH | {"unit": march.unit_a.pk} | {key: value(march) if callable(value) else value for key, value in query.items()}
    more_of_everything(march, 1)
    with CaptureQueriesContext(connection) as queries:
        before = client.get(reverse(name), query).context["page"].paginator.count
    assert len(queries) <= LIST_MOST

    more_of_everything(march, 3)

    with django_assert_num_queries(len(queries)):
        response = client.get(reverse(name), query)
    assert response.context["page"].paginator.count == before + 3 * rows_each


@pytest.mark.parametrize("name", NAMES)
def test_a_supervisor_never_sees_the_rows_of_another_scope(client, march, name):
    more_of_everything(march, 2, elsewhere=True)  # in county B, of unit B
    client.force_login(march.admin)
    # Each list's rows in county B, of unit B's cadres where the list takes a unit.
    by_unit = {"unit": march.unit_b.pk} if name in CADRE_NAMES else {}
    elsewhere = {row.pk for row in listing(client, name, region=march.county_b.pk, **by_unit).context["page"]}
    assert len(elsewhere) >= 2
    client.force_login(march.supervisor)

    for query in ({}, {"region": march.t1.pk}, by_unit):
        shown = {row.pk for row in listing(client, name, **query).context["page"]}

        assert shown.isdisjoint(elsewhere), query
    if by_unit:  # units are everyone's to read, but only the rows in the viewer's scope are listed
        assert listing(client, name, **by_unit).context["page"].paginator.count == 0
