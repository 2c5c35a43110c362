"""The overdue report page: scope, filters, bad input, keyset pagination, query count."""

import re
from datetime import timedelta

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports.forms import Select
from tests import factories as f
from tests.reports.conftest import overdue

URL = reverse("overdue_report")


def texts(response) -> list[str]:
    return [row.text for row in response.context["page"].rows]


def test_an_inspector_sees_what_is_overdue_in_their_scope_only(client, world, spread):
    client.force_login(world.inspector)

    response = client.get(URL)

    assert response.status_code == 200
    # Oldest due first; not yet due, closed and out-of-scope pledges are not there.
    assert texts(response) == ["Fix the well in V2", "Pave the lane in V1"]
    html = response.content.decode()
    assert "Township 1" in html and "2 overdue commitments" in html
    for hidden in ("Repair the bridge in V3", "Clear the ditch in VB", "Not due yet", "Already confirmed"):
        assert hidden not in html


def test_each_row_shows_its_figures(client, world):
    rung = f.EscalationRuleFactory(code="overdue-7", name="Overdue 7 days", offset_days=7)
    due = timezone.now() - timedelta(days=9, hours=1)
    item = overdue(world, due_at=due, original_due_at=due - timedelta(days=5), text="Mend the roof", extension_count=2)
    f.EscalationFactory(commitment=item, rule=rung)
    client.force_login(world.supervisor)

    response = client.get(URL)

    row = response.context["page"].rows[0]
    assert (row.days_overdue, row.bucket_label, row.level_name) == (9, "8–30 days", "Overdue 7 days")
    html = response.content.decode()
    assert "Wang household" in html and "Village 1" in html and "Cadre Zhang" in html and "Unit A" in html
    assert "extended 2 times" in html and timezone.localdate(item.original_due_at).isoformat() in html
    assert "8–30 days" in html and "Pledged" in html


def test_each_row_links_its_pledge_and_an_inspector_may_record_an_action_on_its_owner(client, world):
    item = overdue(world, text="Mend the roof")
    client.force_login(world.inspector)

    html = client.get(URL).content.decode()

    assert f'<a href="{reverse("commitment_detail", args=[item.pk])}">Mend the roof</a>' in html
    action = f"{reverse('action_create')}?cadre={item.owner_id}&amp;commitments={item.pk}"
    assert f'href="{action}" data-testid="record-action"' in html
    # A supervisor reads the same row without the inspectors' action.
    client.force_login(world.supervisor)
    html = client.get(URL).content.decode()
    assert "Mend the roof" in html and 'data-testid="record-action"' not in html


def test_the_heading_names_each_region_of_the_viewers_scope(client, world, spread):
    f.ScopeFactory(user=world.inspector, region=world.vb, kind="inspection")
    client.force_login(world.inspector)

    response = client.get(URL)

    scope = response.context["report"].scope
    assert (scope.text, scope.path) == ("Township 1、Village B", world.city.path)
    assert "Clear the ditch in VB" in response.content.decode()


def test_what_residents_and_cadres_typed_is_escaped_in_the_rows(client, world):
    world.household_in.head_name = 'Li & "Sons"'
    world.household_in.save(update_fields=["head_name"])
    overdue(world, text="<script>alert(1)</script>")
    client.force_login(world.inspector)

    html = client.get(URL).content.decode()

    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;</a>" in html
    assert "Li &amp; &quot;Sons&quot; household<br>" in html


@pytest.mark.parametrize("role", ["cadre"])
def test_a_cadre_without_a_scope_is_told_the_report_is_not_for_them(client, world, spread, role):
    client.force_login(world.users[role])

    response = client.get(URL)

    assert response.status_code == 403
    assert "for supervisors, discipline inspectors and administrators" in response.content.decode()


def test_an_administrator_sees_every_region(client, world, spread):
    client.force_login(world.admin)

    response = client.get(URL)

    assert texts(response) == ["Clear the ditch in VB", "Repair the bridge in V3", "Fix the well in V2", "Pave the lane in V1"]


# --- filters -----------------------------------------------------------------------------------


def test_region_filter_narrows_to_a_village_in_scope(client, world, spread):
    client.force_login(world.inspector)

    response = client.get(URL, {"region": world.v1.pk})

    assert texts(response) == ["Pave the lane in V1"]
    assert "Village 1" in response.context["report"].scope.text


@pytest.mark.parametrize("region", ["vb", "county_b", "missing"])
def test_a_region_out_of_scope_or_unknown_is_refused_with_a_message(client, world, spread, region):
    client.force_login(world.inspector)
    pk = 999_999 if region == "missing" else getattr(world, region).pk

    response = client.get(URL, {"region": pk})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a region within your scope." in html
    assert "Clear the ditch in VB" not in html and "Pave the lane in V1" not in html
    # And no export of anything either.
    assert client.get(URL, {"region": pk, "format": "csv"}).status_code == 400


def test_unit_cadre_and_category_filters(client, world, spread):
    other_unit = f.UnitFactory(name="Unit C", region=world.t1)
    other = f.CadreFactory(name="Li Ming", unit=other_unit)
    health = f.CategoryFactory(code="health", name="Healthcare")
    mine = overdue(world, owner=other, text="Bring the doctor", concern__category=health)
    client.force_login(world.supervisor)

    assert texts(client.get(URL, {"unit": "unit c"})) == [mine.text]
    assert texts(client.get(URL, {"cadre": "li m"})) == [mine.text]
    response = client.get(URL, {"category": health.pk})
    assert texts(response) == [mine.text]
    assert '<span class="text-body-secondary small">Healthcare</span>' in response.content.decode()  # named in its row
    assert texts(client.get(URL, {"unit": "Unit A", "category": health.pk})) == []


def test_aging_bucket_and_escalation_level_filters(client, world):
    due, month = f.EscalationRuleFactory(code="due", offset_days=0), f.EscalationRuleFactory(code="month", offset_days=30)
    fresh = overdue(world, days=2, text="Fresh")
    weeks = overdue(world, days=20, text="Weeks")
    old = overdue(world, days=45, text="Old")
    ancient = overdue(world, days=200, text="Ancient")
    for item in (weeks, old, ancient):
        f.EscalationFactory(commitment=item, rule=due)
    for item in (old, ancient):
        f.EscalationFactory(commitment=item, rule=month)
    client.force_login(world.inspector)

    assert texts(client.get(URL, {"bucket": "1-7"})) == [fresh.text]
    assert texts(client.get(URL, {"bucket": "8-30"})) == [weeks.text]
    assert texts(client.get(URL, {"bucket": "31-90"})) == [old.text]
    assert texts(client.get(URL, {"bucket": "90+"})) == [ancient.text]
    assert texts(client.get(URL, {"level": "none"})) == [fresh.text]
    assert texts(client.get(URL, {"level": due.pk})) == [weeks.text]
    assert texts(client.get(URL, {"level": month.pk})) == [ancient.text, old.text]


def test_pledge_date_range_filter(client, world):
    now = timezone.now()
    early = overdue(world, text="Early", pledged_at=now - timedelta(days=60), due_at=now - timedelta(days=5))
    overdue(world, text="Late", pledged_at=now - timedelta(days=20), due_at=now - timedelta(days=4))
    client.force_login(world.inspector)
    day = timezone.localdate(early.pledged_at)

    response = client.get(URL, {"pledged_from": day.isoformat(), "pledged_to": day.isoformat()})

    assert texts(response) == ["Early"]


def test_a_period_ending_before_it_starts_is_refused_next_to_the_field(client, world, spread):
    client.force_login(world.inspector)

    response = client.get(URL, {"pledged_from": "2026-05-10", "pledged_to": "2026-05-01"})

    assert response.status_code == 400
    assert response.context["form"].errors == {"pledged_to": ["The end of the period is before its start."]}
    assert 'value="2026-05-10"' in response.content.decode()  # what was typed is kept


def test_a_refused_filter_is_marked_and_explained_next_to_its_field(client, world, spread):
    client.force_login(world.inspector)

    html = client.get(URL, {"pledged_to": "2026-05-01", "pledged_from": "2026-05-10", "region": 999_999}).content.decode()

    for name, message in (("pledged_to", "The end of the period is before its start."), ("region", "Choose a region")):
        field = re.search(rf'<(input|select) [^>]*name="{name}"[^>]*>', html).group(0)
        assert 'class="form-control is-invalid"' in field or 'class="form-select is-invalid"' in field
        assert f'aria-describedby="id_{name}_error"' in field
        feedback = re.search(rf'<div id="id_{name}_error" class="invalid-feedback"[^>]*>(.*?)</div>', html, re.S).group(1)
        assert message in feedback
    # The fields without errors are not marked.
    assert 'name="pledged_from" value="2026-05-10" class="form-control" id=' in html


@pytest.mark.parametrize(
    "params",
    [
        {"bucket": "forever"},
        {"level": "abc"},
        {"pledged_from": "not a date"},
        {"unit": "x" * 101},
        {"category": "999999"},
        {"format": "docx"},
        {"region": "'; drop table"},
        {"region": "²"},
        {"region": "9" * 25},
    ],
)
def test_bad_filters_answer_with_a_message_not_an_error(client, world, spread, params):
    client.force_login(world.inspector)

    response = client.get(URL, params)

    assert response.status_code == 400
    assert response.context["form"].errors
    assert "Pave the lane in V1" not in response.content.decode()


def test_a_broken_page_link_shows_the_first_page_with_a_message(client, world, spread):
    client.force_login(world.inspector)

    response = client.get(URL, {"after": "yesterday.x"})

    assert response.status_code == 200
    assert texts(response) == ["Fix the well in V2", "Pave the lane in V1"]
    assert "That page link is not valid any more" in response.content.decode()


# --- keyset pagination -------------------------------------------------------------------------


def test_pages_follow_each_other_without_duplicates_or_gaps(client, world):
    now = timezone.now()
    # 130 pledges, many sharing a due date, so that ties are broken by id across page ends.
    made = [
        overdue(world, text=f"Pledge {i}", due_at=now - timedelta(days=1 + i // 7), pledged_at=now - timedelta(days=90))
        for i in range(130)
    ]
    expected = [c.pk for c in sorted(made, key=lambda c: (c.due_at, c.pk))]
    client.force_login(world.inspector)

    seen, params, pages = [], {}, 0
    while True:
        response = client.get(URL, params)
        seen += [row.pk for row in response.context["page"].rows]
        pages += 1
        cursor = response.context["page"].next_cursor
        if not cursor:
            break
        params = {"after": cursor}
    assert pages == 3
    assert seen == expected


def test_the_next_page_starts_the_index_scan_at_the_cursor(client, world):
    for i in range(55):
        overdue(world, days=i + 1)
    client.force_login(world.inspector)
    cursor = client.get(URL).context["page"].next_cursor

    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"after": cursor})

    assert len(response.context["page"].rows) == 5
    rows_query = next(q["sql"] for q in queries if "LIMIT 51" in q["sql"])
    # A leading bound besides the OR, so that the due-date index is used.
    assert re.search(r'\."due_at" >= ', rows_query)
    assert not re.search(r"\bOFFSET\s+\d", rows_query)


def test_the_page_takes_the_same_queries_for_few_or_many_rows(client, world, django_assert_num_queries):
    f.EscalationRuleFactory(code="due", offset_days=0)
    overdue(world)
    client.force_login(world.inspector)
    client.get(URL)  # warm the session

    # The region chosen is found, and the scope's regions named, in the filter's list of regions.
    with django_assert_num_queries(12):
        client.get(URL, {"region": world.t1.pk})
    with django_assert_num_queries(12):
        client.get(URL)

    for i in range(60):
        item = overdue(world, household=world.household_v2, days=i, owner=f.CadreFactory(unit=f.UnitFactory(region=world.t1)))
        f.EscalationFactory(commitment=item, rule_id=f.EscalationRuleFactory(code="due").pk)
    with django_assert_num_queries(12):
        response = client.get(URL, {"region": world.t1.pk})
    assert len(response.context["page"].rows) == 50


def test_a_long_list_is_counted_only_so_far(client, world, spread, monkeypatch):
    from reports import selectors

    monkeypatch.setattr(selectors, "COUNT_SHOWN", 1)
    client.force_login(world.inspector)

    response = client.get(URL)

    assert response.context["total"] == 2
    assert "More than 1 overdue commitments" in response.content.decode()


def test_the_region_list_drills_down_from_the_scope(client, world):
    client.force_login(world.admin)

    top = [label.strip("\u3000") for _pk, label in client.get(URL).context["form"].fields["region"].widget.choices][1:]
    drilled = client.get(URL, {"region": world.county_a.pk}).context["form"].fields["region"].widget.choices

    assert top == ["City", "County A", "County B"]
    assert [label.strip("\u3000") for _pk, label in drilled][1:] == ["City", "County A", "Township 1", "Township 2", "County B"]


def test_the_filters_selects_render_exactly_as_djangos():
    choices = [("", "Any"), ("a&b", 'Say "hi" <b>'), (3, "Three")]
    attrs = {"id": "id_f", "class": "select form-select", "required": True, "disabled": False, "aria-x": 'a"b'}
    for value in ("", "a&b", 3, None):
        assert Select(choices=choices).render("f", value, attrs) == forms.Select(choices=choices).render("f", value, attrs)
    grouped = [("Group", [(1, "One"), (2, "Two")]), (3, "Three")]
    assert Select(choices=grouped).render("f", 2) == forms.Select(choices=grouped).render("f", 2)
