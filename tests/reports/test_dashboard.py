"""The supervisor dashboard's pages: who reads them, scope, drill-down, links to the rows behind
each number, bad input, fixed query counts."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cadres.access import access_for
from reports import dashboard
from tests import factories as f
from tests.reports.conftest import overdue

URL = reverse("dashboard")
# The most statements a page may take: its own reads, the session, the user and their access, a
# savepoint pair, the inbox badge, and the figures' fixed number of reads (reports.figures pins
# those). What the tests pin exactly is that the count does not grow with regions, units or rows.
DASHBOARD_MOST = 70
LIST_MOST = 20


def region_url(region) -> str:
    return reverse("dashboard_region", args=[region.pk])


def households_url(region) -> str:
    return reverse("dashboard_households", args=[region.pk])


def last_30_days() -> dict:
    """A custom period around what the tests create (now, or a few days ago)."""
    today = timezone.localdate()
    return {"period": "custom", "start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}


def tile(response, key):
    return next(t for t in response.context["page"].tiles if t.key == key)


def part(t, key):
    return next(p for p in t.parts if p.key == key)


def first_cells(table) -> list[str]:
    return [row[0].text for row in table.rows]


def visit(world, household, *, cadre=None, days_ago=1, **extra):
    return f.VisitFactory(
        cadre=cadre or world.cadre, household=household, visited_at=timezone.now() - timedelta(days=days_ago), **extra
    )


# --- who reads it -------------------------------------------------------------------------------


def test_a_cadre_without_a_scope_is_told_the_dashboard_is_not_for_them(client, world):
    client.force_login(world.cadre_user)

    for url in (URL, region_url(world.v1), households_url(world.v1), reverse("dashboard_concerns")):
        response = client.get(url)
        assert response.status_code == 403
        assert "The dashboard is for supervisors, discipline inspectors and administrators." in response.content.decode()


def test_a_supervisor_of_one_township_lands_on_its_dashboard(client, world):
    client.force_login(world.supervisor)

    response = client.get(URL)

    assert response.status_code == 200
    assert response.context["region"] == world.t1
    assert first_cells(response.context["page"].regions) == ["Village 1", "Village 2"]
    html = response.content.decode()
    assert 'data-testid="nav-dashboard"' in html and "Township 1" in html


def test_an_administrator_starts_at_the_city_and_sees_both_counties(client, world):
    client.force_login(world.admin)

    response = client.get(URL)

    assert response.context["region"] == world.city
    assert first_cells(response.context["page"].regions) == ["County A", "County B"]


def test_a_viewer_with_two_separate_scopes_sees_both_at_the_top(client, world):
    f.ScopeFactory(user=world.supervisor, region=world.tb, kind="inspection")
    client.force_login(world.supervisor)

    response = client.get(URL)

    assert response.context["region"] is None
    assert first_cells(response.context["page"].regions) == ["Township 1", "Township B"]
    assert "My whole scope" in response.content.decode()


@pytest.mark.parametrize("name", ["dashboard_region", "dashboard_households"])
def test_a_region_outside_the_scope_is_not_found(client, world, name):
    client.force_login(world.supervisor)

    for region in (world.county_a, world.t2, world.v3, world.vb):  # above, beside and outside the scope
        assert client.get(reverse(name, args=[region.pk])).status_code == 404
    assert client.get(reverse(name, args=[999_999])).status_code == 404


# --- scope of every number ------------------------------------------------------------------------


def test_a_supervisor_never_sees_a_number_that_includes_rows_outside_their_scope(client, world, spread):
    for household, cadre in ((world.household_in, world.cadre), (world.household_v3, world.cadre), (world.household_out, world.outsider)):
        visit(world, household, cadre=cadre)
    client.force_login(world.supervisor)

    response = client.get(URL, last_30_days())

    # In township 1: two overdue pledges (3 and 12 days), one visit, two households of which one visited.
    assert tile(response, "overdue").value == "2"
    assert [part(tile(response, "overdue"), f"aging-{code}").value for code in ("1-7", "8-30", "31-90", "90+")] == ["1", "1", "0", "0"]
    assert tile(response, "visits").value == "1"
    assert response.context["page"].tiles[0].detail == "1 of 2 active households visited in person"
    charts = response.context["page"].charts
    assert charts["aging"]["series"][0]["data"] == [1, 1, 0, 0]
    assert charts["coverage"]["labels"] == ["Village 1", "Village 2"]
    assert charts["coverage"]["series"][0]["data"] == [100.0, 0.0]


def test_an_administrator_counts_every_region(client, world, spread):
    client.force_login(world.admin)

    response = client.get(URL, last_30_days())

    assert tile(response, "overdue").value == "4"
    rows = {row[0].text: row for row in response.context["page"].regions.rows}
    assert rows["County A"][7].text == "3" and rows["County B"][7].text == "1"


# --- links to the rows behind each number ----------------------------------------------------------


def test_overdue_numbers_open_the_overdue_report_with_the_same_filters(client, world, spread):
    client.force_login(world.supervisor)

    response = client.get(URL)

    overdue_tile = tile(response, "overdue")
    assert overdue_tile.url == f"/reports/overdue/?region={world.t1.pk}"
    assert part(overdue_tile, "aging-8-30").url == f"/reports/overdue/?region={world.t1.pk}&bucket=8-30"
    # The link really opens those rows.
    report = client.get(part(overdue_tile, "aging-8-30").url)
    assert [row.text for row in report.context["page"].rows] == ["Fix the well in V2"]
    v1_row = response.context["page"].regions.rows[0]
    assert v1_row[7].url == f"/reports/overdue/?region={world.v1.pk}"


def test_coverage_opens_the_households_visited_or_not_and_phone_callbacks_do_not_count(client, world):
    visit(world, world.household_in, kind="phone")
    visit(world, world.household_v2)
    client.force_login(world.supervisor)
    period = last_30_days()

    response = client.get(URL, period)

    coverage = tile(response, "visit_coverage")
    assert coverage.value == "50.0%"
    not_visited = client.get(part(coverage, "not_visited").url)
    visited = client.get(part(coverage, "visited").url)
    assert [h.head_name for h in not_visited.context["page"]] == ["Wang"]
    assert [h.head_name for h in visited.context["page"]] == ["Zhao"]
    # The links carry the period along.
    assert f"start={period['start']}" in part(coverage, "visited").url


def test_each_child_region_links_to_its_own_dashboard_with_the_same_period(client, world):
    client.force_login(world.admin)
    period = last_30_days()

    response = client.get(URL, period)

    county_a = response.context["page"].regions.rows[0][0]
    assert county_a.url.startswith(region_url(world.county_a) + "?") and "period=custom" in county_a.url
    down = client.get(county_a.url)
    assert first_cells(down.context["page"].regions) == ["Township 1", "Township 2"]
    assert [step.name for step in down.context["trail"]] == ["City", "County A"]


def test_a_village_lists_its_households_with_their_last_in_person_visit(client, world):
    earlier = visit(world, world.household_in, days_ago=5)
    visit(world, world.household_in, days_ago=1, kind="phone")  # a phone callback is not a visit
    f.HouseholdFactory(village=world.v1, head_name="Moved", status="moved_out")
    client.force_login(world.supervisor)

    response = client.get(region_url(world.v1))

    households = response.context["page"].households
    assert [(h.head_name, h.last_visit) for h in households] == [("Wang", earlier.visited_at)]
    html = response.content.decode()
    assert reverse("household_detail", args=[world.household_in.pk]) in html
    assert timezone.localtime(earlier.visited_at).strftime("%Y-%m-%d") in html


def test_an_empty_list_says_so_with_its_count_rather_than_showing_nothing(client, world):
    visit(world, world.household_in)  # the village's one active household, visited
    client.force_login(world.supervisor)

    response = client.get(households_url(world.v1), last_30_days() | {"visited": "no"})

    html = response.content.decode()
    assert 'data-testid="households-summary"' in html and "0 active households not visited" in html
    assert 'data-testid="no-households"' in html


def test_a_village_shows_its_first_page_of_households_and_a_link_to_the_rest(client, world, django_assert_num_queries):
    client.force_login(world.supervisor)
    client.get(URL)
    pinned = statements(client, region_url(world.v1))
    f.HouseholdFactory.create_batch(dashboard.HOUSEHOLDS_PAGE_SIZE - 1, village=world.v1)

    with django_assert_num_queries(pinned):
        response = client.get(region_url(world.v1))
    assert len(response.context["page"].households) == dashboard.HOUSEHOLDS_PAGE_SIZE
    assert 'data-testid="more-households"' not in response.content.decode()

    f.HouseholdFactory(village=world.v1, head_name="Zzz")
    response = client.get(region_url(world.v1))
    assert len(response.context["page"].households) == dashboard.HOUSEHOLDS_PAGE_SIZE
    assert "Zzz" not in [h.head_name for h in response.context["page"].households]
    more = client.get(households_url(world.v1), {"page": 2})
    assert f'href="{households_url(world.v1)}?page=2"' in response.content.decode()
    assert [h.head_name for h in more.context["page"]] == ["Zzz"]


def test_the_household_list_sorts_by_each_column_both_ways(client, world):
    f.HouseholdFactory(village=world.v1, head_name="Anhe", address="9 West Road")
    visit(world, world.household_in, days_ago=3)
    client.force_login(world.supervisor)

    def names(sort):
        response = client.get(households_url(world.t1), {"sort": sort})
        assert response.status_code == 200
        return [h.head_name for h in response.context["page"]]

    assert names("name") == ["Anhe", "Wang", "Zhao"]
    assert names("-name") == ["Zhao", "Wang", "Anhe"]
    assert names("last_visit") == ["Anhe", "Zhao", "Wang"]  # never visited first
    assert names("-last_visit")[0] == "Wang"
    assert names("visited")[-1] == "Wang" and names("-visited")[0] == "Wang"
    assert names("village") == ["Anhe", "Wang", "Zhao"]
    response = client.get(households_url(world.t1), {"sort": "name"})
    headers = {link.key: link for link in response.context["sorts"]}
    assert headers["name"].state == "ascending" and "sort=-name" in headers["name"].url


def test_the_concern_table_sums_by_category_and_region_and_each_cell_opens_its_concerns(client, world):
    housing = f.CategoryFactory(code="housing", name="Housing")
    employment = f.CategoryFactory()
    for household, category in (
        (world.household_in, housing),
        (world.household_in, housing),
        (world.household_v2, housing),
        (world.household_v2, employment),
        (world.household_v3, housing),  # outside township 1
    ):
        f.ConcernFactory(household=household, category=category)
    client.force_login(world.supervisor)

    response = client.get(URL, last_30_days())

    table = response.context["page"].concerns
    assert [column.label for column in table.columns][1:] == ["Employment", "Housing"]
    cells = {row[0].text: [cell.text for cell in row[1:]] for row in table.rows}
    assert cells == {"Village 1": ["0", "2"], "Village 2": ["1", "1"]}
    assert [cell.text for cell in table.footer[1:]] == ["1", "3"]
    housing_in_v1 = table.rows[0][2]
    concerns = client.get(housing_in_v1.url)
    assert concerns.status_code == 200
    assert {c.village_id for c in concerns.context["page"]} == {world.v1.pk}
    assert len(concerns.context["page"].object_list) == 2
    all_housing = client.get(table.footer[2].url)
    assert len(all_housing.context["page"].object_list) == 3


def test_concerns_never_acted_on_open_those_concerns(client, world):
    old = timezone.now() - timedelta(days=20)
    idle = f.ConcernFactory(household=world.household_in, raised_at=old - timedelta(days=20))
    f.ConcernFactory(household=world.household_in)  # too recent to count
    client.force_login(world.supervisor)
    today = timezone.localdate()
    period = {"period": "custom", "start": (today - timedelta(days=60)).isoformat(), "end": today.isoformat()}

    response = client.get(URL, period)

    never = tile(response, "never_acted_on")
    listed = client.get(never.url)
    assert [c.pk for c in listed.context["page"]] == [idle.pk]
    assert never.detail == "1 / 2"


def test_the_charts_have_their_data_in_the_page_and_the_library_is_served_locally(client, world):
    visit(world, world.household_in)
    client.force_login(world.supervisor)

    response = client.get(URL)

    html = response.content.decode()
    charts = json.loads(html.split('<script id="dashboard-charts" type="application/json">')[1].split("</script>")[0])
    assert set(charts) == {"trend", "aging", "coverage", "concerns"}
    assert len(charts["trend"]["labels"]) == 12 and charts["trend"]["series"][0]["data"][-1] == 1
    assert "/static/vendor/chartjs-4.6.1/chart.umd.min.js" in html
    assert "<script>" not in html  # no inline script: data goes by json_script
    for key in ("trend", "aging", "coverage", "concerns"):
        assert f'data-chart="{key}"' in html


def test_every_figure_shows_its_change_from_the_previous_period(client, world):
    today = timezone.localdate()
    visit(world, world.household_in, days_ago=1)
    visit(world, world.household_in, days_ago=45)
    visit(world, world.household_v2, days_ago=50)
    client.force_login(world.supervisor)
    period = {"period": "custom", "start": (today - timedelta(days=29)).isoformat(), "end": today.isoformat()}

    response = client.get(URL, period)

    # Previous 30 days: both households visited (100%); this one: one of two (50%).
    assert tile(response, "visit_coverage").change == "-50.0 pp"
    assert tile(response, "visits").change == "-1"
    satisfaction = tile(response, "satisfaction")
    assert [p.key for p in satisfaction.parts] == ["reopen"]  # never alone
    html = response.content.decode()
    assert "-50.0 pp compared with the previous period" in html


def test_units_and_cadres_show_their_figures_side_by_side_and_flagged_cadres_are_marked_not_ranked(client, world):
    second = f.CadreFactory(name="Aaron Wu", unit=world.unit_a)
    f.PairingFactory(cadre=second, household=world.household_v2)
    visit(world, world.household_in, flag_proxy=True)
    visit(world, world.household_v2, cadre=second)
    visit(world, world.household_out, cadre=world.outsider)  # outside township 1
    client.force_login(world.supervisor)

    response = client.get(URL, last_30_days())

    units = response.context["page"].units
    assert first_cells(units) == ["Unit A"]
    columns = [column.key for column in units.columns]
    assert columns == [
        "name", "region", "visits", "on_time", "coverage", "regularity", "burst_share", "satisfaction", "reopen", "overdue", "flagged"
    ]
    assert [cell.text for cell in units.rows[0][1:3]] == ["City · County A", "2"]  # where the unit is, its visits
    assert units.footer[0].text == "All units"
    cadres = client.get(units.rows[0][0].url)
    assert cadres.status_code == 200
    table = cadres.context["table"]
    # By name, the flagged cadre marked for review, not moved down.
    assert first_cells(table) == ["Aaron Wu", "Cadre Zhang"]
    flags = {row[0].text: row[-1].flag for row in table.rows}
    assert flags == {"Aaron Wu": "", "Cadre Zhang": "for review"}
    assert 'data-testid="for-review"' in cadres.content.decode()
    # A name opens the cadre's performance archive for the same period.
    archive = client.get(table.rows[1][0].url)
    assert archive.status_code == 200 and archive.context["cadre"] == world.cadre
    assert archive.context["form"].cleaned_data["start"].isoformat() == last_30_days()["start"]


def test_a_region_with_more_units_than_a_dashboard_lists_shows_their_total_and_the_unit_list_has_each(client, world):
    visit(world, world.household_in)
    overdue(world, household=world.household_in, owner=world.cadre, days=3)
    extra = dashboard.DASHBOARD_UNITS  # with Unit A, one more than the dashboard lists
    for i in range(extra):
        unit = f.UnitFactory(name=f"Unit {i:02d}", region=world.t1)
        visit(world, world.household_v2, cadre=f.CadreFactory(name=f"Cadre {i:02d}", unit=unit))
    client.force_login(world.supervisor)

    response = client.get(URL, last_30_days())

    page = response.context["page"]
    assert page.units_count == dashboard.DASHBOARD_UNITS + 1
    assert page.units.rows == []
    total = [cell.text for cell in page.units.footer[:3]]
    assert total == ["All units", "", str(extra + 1)]  # every unit's visits, the dashboard's own among them
    html = response.content.decode()
    assert f"{dashboard.DASHBOARD_UNITS + 1} units: too many to list here." in html
    assert 'data-testid="row-units"' not in html

    every = client.get(reverse("dashboard_units"), {"region": world.t1.pk, **last_30_days()})
    assert every.status_code == 200
    listed = every.context["table"]
    assert len(listed.rows) == dashboard.DASHBOARD_UNITS + 1
    assert first_cells(listed) == sorted(first_cells(listed))
    assert [cell.text for cell in listed.footer] == [cell.text for cell in page.units.footer]
    # Each unit opens its cadres, as on a dashboard that lists them.
    assert client.get(listed.rows[0][0].url).context["table"].rows[0][0].text == "Cadre 00"


def test_the_unit_list_shows_a_page_at_a_time_with_the_total_of_every_unit_on_each(client, world):
    for i in range(dashboard.UNITS_PAGE_SIZE + 2):
        unit = f.UnitFactory(name=f"Unit {i:02d}", region=world.t1)
        visit(world, world.household_v2, cadre=f.CadreFactory(unit=unit))
    client.force_login(world.supervisor)
    url = reverse("dashboard_units")

    first = client.get(url, last_30_days())
    second = client.get(url, {**last_30_days(), "page": 2})

    assert len(first.context["table"].rows) == dashboard.UNITS_PAGE_SIZE
    assert first_cells(second.context["table"]) == ["Unit 50", "Unit 51", "Unit A"]
    for response in (first, second):
        assert response.context["table"].footer[2].text == str(dashboard.UNITS_PAGE_SIZE + 2)
    assert "53 units, figures for" in first.content.decode()
    assert "Page 2 of 2" in second.content.decode()


def test_the_unit_list_refuses_a_region_outside_the_scope_and_an_impossible_period(client, world):
    visit(world, world.household_out, cadre=world.outsider)
    client.force_login(world.supervisor)
    url = reverse("dashboard_units")

    for query in ({"region": world.vb.pk}, {"region": "x"}, {"period": "custom", "start": "2026-03-02", "end": "2026-03-01"}):
        response = client.get(url, query)
        assert response.status_code == 400, query
        assert "Unit B" not in response.content.decode()
    assert "Unit B" not in client.get(url, last_30_days()).content.decode()


def test_names_typed_by_users_are_escaped_in_every_table_the_dashboard_builds(client, world):
    evil = "<script>alert(1)</script>\"'&"
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&amp;"
    for obj in (world.v1, world.unit_a, world.cadre):
        obj.name = f"{type(obj).__name__}{evil}"
        obj.save(update_fields=["name"])
    category = f.CategoryFactory(name=f"Category{evil}")
    f.ConcernFactory(household=world.household_in, category=category)
    visit(world, world.household_in)
    client.force_login(world.supervisor)
    pages = {
        region_url(world.t1): ["Unit", "Region", "Category"],
        reverse("dashboard_cadres") + f"?region={world.t1.pk}": ["Cadre"],
        reverse("dashboard_units") + f"?region={world.t1.pk}": ["Unit"],
        reverse("dashboard_concerns") + f"?region={world.t1.pk}": ["Region", "Category"],
    }

    for url, names in pages.items():
        html = client.get(url, last_30_days()).content.decode()

        assert "<script>alert" not in html, url
        for name in names:
            assert f"{name}{escaped}" in html, (url, name)


def test_the_page_says_when_its_figures_were_computed(client, world):
    from reports.figures import Period
    from reports.rollups import rollups_as_of, rollups_refresh

    client.force_login(world.supervisor)
    quarter = Period.of("quarter", timezone.localdate())

    live = client.get(URL, {"period": "quarter"})
    assert live.context["page"].rolled_up_at is None
    assert "the lists behind the numbers are live" not in live.content.decode()

    rollups_refresh(periods=[quarter, quarter.previous()])
    rolled_up = client.get(URL, {"period": "quarter"})

    at = rollups_as_of(quarter)
    assert rolled_up.context["page"].rolled_up_at == at
    html = rolled_up.content.decode()
    assert f"as of {timezone.localtime(at):%Y-%m-%d %H:%M}; the lists behind the numbers are live" in html


def test_overdue_is_a_count_now_so_it_is_not_compared_with_the_previous_period(client, world, spread):
    client.force_login(world.supervisor)

    overdue_tile = tile(client.get(URL), "overdue")

    assert overdue_tile.change == "" and overdue_tile.detail == "open and past due, whatever the period"


def test_a_village_sums_its_concerns_in_one_row_named_after_it(client, world):
    f.ConcernFactory(household=world.household_in)
    client.force_login(world.supervisor)

    table = client.get(region_url(world.v1)).context["page"].concerns

    assert table.rows == [] and [cell.text for cell in table.footer] == ["Village 1", "1"]


def test_the_home_page_points_a_supervisor_to_the_dashboard_of_each_scope(client, world):
    client.force_login(world.supervisor)

    html = client.get(reverse("home")).content.decode()

    assert f'href="{region_url(world.t1)}" data-testid="scope-dashboard"' in html


# --- bad input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"period": "custom", "start": "2026-03-10", "end": "2026-03-01"}, "end", "The end of the period is before its start."),
        ({"period": "fortnight"}, "period", "Choose a month, a quarter, a year or a custom range."),
        ({"period": "custom", "start": "2026-03-10"}, "end", "Give the last day of the range."),
        ({"period": "month", "on": "0001-01-01"}, "on", "Choose a date between 2000 and 2099."),
        ({"period": "custom", "start": "2000-01-01", "end": "2099-12-31"}, "end", "A custom range is at most five years long."),
        ({"period": "month", "on": "2026-02-30"}, "on", "Enter a valid date."),
    ],
)
def test_an_impossible_period_is_refused_next_to_its_field_with_no_figures(client, world, spread, query, field, message):
    client.force_login(world.supervisor)

    for url in (URL, region_url(world.v1), households_url(world.v1), reverse("dashboard_concerns")):
        response = client.get(url, query)
        assert response.status_code == 400, url
        assert message in response.context["form"].errors[field]
        assert message in response.content.decode()
        assert "page" not in response.context or response.context["page"] is None


def test_the_concern_list_refuses_a_region_outside_the_scope_or_unknown(client, world):
    f.ConcernFactory(household=world.household_out)
    client.force_login(world.supervisor)

    for region in (world.vb.pk, world.county_a.pk, 999_999, "abc"):
        response = client.get(reverse("dashboard_concerns"), {"region": region})
        assert response.status_code == 400
        assert "Choose a region within your scope." in response.content.decode()
        assert "Needs help" not in response.content.decode()


def test_the_cadre_list_refuses_a_region_or_unit_it_cannot_show(client, world):
    client.force_login(world.supervisor)
    cadres = reverse("dashboard_cadres")

    for query in ({"region": world.vb.pk}, {"region": "x"}, {"unit": 999_999}):
        response = client.get(cadres, query)
        assert response.status_code == 400
        assert "Outsider Li" not in response.content.decode()
    assert client.get(cadres, {"region": world.t1.pk, "unit": world.unit_a.pk}).status_code == 200


def test_an_unknown_sort_or_visited_value_is_refused(client, world):
    client.force_login(world.supervisor)

    assert client.get(households_url(world.v1), {"sort": "id_number"}).status_code == 400
    assert client.get(households_url(world.v1), {"visited": "maybe"}).status_code == 400
    # A page number past the end shows the last page rather than failing.
    assert client.get(households_url(world.v1), {"page": "99"}).status_code == 200


def test_only_get_is_answered(client, world):
    client.force_login(world.supervisor)

    assert client.post(URL).status_code == 405


# --- fixed query counts ----------------------------------------------------------------------------------


def grow(world, villages: int, *, first: int = 0):
    """More villages in township 1, each with a cadre of a unit of its own, two households they
    are paired with and visit, and a concern and an overdue pledge for each household."""
    for i in range(first, first + villages):
        village = f.region(f"Extra {i}", f"3301020019{i:02d}", world.t1)
        cadre = f.CadreFactory(name=f"Extra cadre {i}", unit=f.UnitFactory(name=f"Extra unit {i}", region=world.t1))
        for j in range(2):
            household = f.HouseholdFactory(village=village, head_name=f"H{i}-{j}")
            f.PairingFactory(cadre=cadre, household=household)
            visit(world, household, cadre=cadre)
            f.ConcernFactory(household=household, category=f.CategoryFactory(code=f"c{j}", name=f"Category {j}"))
            overdue(world, household=household, owner=cadre, days=5 + 30 * j)


def statements(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_dashboard_takes_the_same_queries_however_many_regions_and_rows(client, world, django_assert_num_queries):
    grow(world, 1)  # one of each kind of row, against many of each below
    client.force_login(world.supervisor)
    client.get(URL)  # the first request after signing in also saves the session
    pinned = statements(client, URL)
    assert pinned <= DASHBOARD_MOST

    grow(world, 5, first=1)

    with django_assert_num_queries(pinned):
        response = client.get(URL)
    assert len(response.context["page"].regions.rows) == 8
    assert len(response.context["page"].units.rows) == 7


def test_a_village_dashboard_takes_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    client.force_login(world.supervisor)
    client.get(URL)
    pinned = statements(client, region_url(world.v1))
    assert pinned <= DASHBOARD_MOST

    for i in range(8):
        visit(world, f.HouseholdFactory(village=world.v1, head_name=f"More {i}"))

    with django_assert_num_queries(pinned):
        response = client.get(region_url(world.v1))
    assert len(response.context["page"].households) == 9


def test_the_trail_shows_the_ancestors_within_the_scope_and_takes_no_query_at_its_top(world, django_assert_num_queries):
    supervisor, admin = access_for(world.supervisor), access_for(world.admin)

    with django_assert_num_queries(0):
        assert dashboard.trail(supervisor, world.t1) == [world.t1]
        assert dashboard.trail(admin, world.city) == [world.city]
    with django_assert_num_queries(1):
        assert dashboard.trail(supervisor, world.v1) == [world.t1, world.v1]
    assert dashboard.trail(admin, world.v1) == [world.city, world.county_a, world.t1, world.v1]

    f.ScopeFactory(user=world.supervisor, region=world.county_a, kind="inspection")
    wider = access_for(type(world.supervisor).objects.get(pk=world.supervisor.pk))
    assert dashboard.trail(wider, world.v1) == [world.county_a, world.t1, world.v1]
    assert dashboard.trail(wider, world.t1) == [world.county_a, world.t1]


@pytest.mark.parametrize(
    ("name", "before", "after"),
    [("dashboard_households", 2, 12), ("dashboard_concerns", 1, 21), ("dashboard_cadres", 1, 6), ("dashboard_units", 1, 6)],
)
def test_the_lists_take_a_fixed_number_of_queries(client, world, django_assert_num_queries, name, before, after):
    client.force_login(world.supervisor)
    client.get(URL)
    f.ConcernFactory(household=world.household_in)
    url = reverse(name, args=[world.t1.pk]) if name == "dashboard_households" else reverse(name)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert len(response.context["page"]) == before
    assert len(queries) <= LIST_MOST

    grow(world, 5)

    with django_assert_num_queries(len(queries)):
        response = client.get(url)
    assert len(response.context["page"]) == after
