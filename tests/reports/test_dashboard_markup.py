"""The dashboard's tables, links and filter fields, joined in Python rather than by templates,
reverse() and crispy-forms: the same markup and the same URLs as those would make, escaped alike."""

import re

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.template import Context, Template
from django.urls import reverse, set_script_prefix
from django.utils import translation
from django.utils.http import urlencode

from households.access import Access
from reports.dashboard import Cell, Table, cell_html, link, row_html
from reports.dashboard_forms import ConcernListForm, HouseholdListForm, PeriodForm
from reports.templatetags.dashboard_fields import as_field

# What templates/reports/dashboard_table.html included for each cell before its rows were joined
# in Python: the reference the joined markup is held to.
CELL_TEMPLATE = Template(
    '{% if header %}<th scope="row"{% else %}<td class="{% if cell.numeric %}text-end{% endif %}"{% endif %}'
    ' data-sort="{{ cell.sort }}"{% if cell.title %} title="{{ cell.title }}"{% endif %}>'
    '{% if cell.url %}<a href="{{ cell.url }}">{{ cell.text }}</a>{% else %}{{ cell.text }}{% endif %}'
    '{% if cell.flag %} <span class="badge text-bg-warning" data-testid="for-review">{{ cell.flag }}</span>{% endif %}'
    "{% if header %}</th>{% else %}</td>{% endif %}"
)

CELLS = [
    Cell('Village <1> & "2"', "330102/'a'/", url="/dashboard/regions/5/?period=month&on=2026-01-01"),
    Cell("12", "12.0", url="/reports/overdue/?region=5&unit=A+%26+B"),
    Cell("37.5%", "0.375", title="3 / 8"),
    Cell("—", "", title="0 / 0"),
    Cell("5", "5.0", url="/dashboard/concerns/?category=3", title='2 "households" <b>'),
    Cell("Unit 'A'", "Unit 'A'", numeric=False),
    Cell("3", "3.0", url="/x/?a=1", flag="for <review>"),
    Cell(""),
]


@pytest.mark.parametrize("header", [True, False])
@pytest.mark.parametrize("cell", CELLS)
def test_a_cell_is_marked_up_as_the_cell_template_did(cell, header):
    assert cell_html(cell, header) == CELL_TEMPLATE.render(Context({"cell": cell, "header": header}))


def test_a_row_is_its_cells_the_first_as_its_header():
    assert row_html(CELLS) == "".join(cell_html(cell, index == 0) for index, cell in enumerate(CELLS))
    assert row_html(CELLS).startswith('<th scope="row" data-sort="330102/&#x27;a&#x27;/">')
    assert "&lt;1&gt; &amp; &quot;2&quot;" in row_html(CELLS) and "<1>" not in row_html(CELLS)


def test_a_table_gives_its_rows_and_total_as_markup():
    unit = next(cell for cell in CELLS if cell.text == "Unit 'A'")
    table = Table("units", [], [CELLS[:3], CELLS[3:]], footer=[unit, CELLS[-1]])

    assert table.rows_html() == [row_html(CELLS[:3]), row_html(CELLS[3:])]
    assert (
        table.footer_html()
        == '<th scope="row" data-sort="Unit &#x27;A&#x27;">Unit &#x27;A&#x27;</th><td class="text-end" data-sort=""></td>'
    )
    assert Table("units", [], []).footer_html() == ""


@pytest.mark.parametrize(
    ("name", "args", "query"),
    [
        ("dashboard", [], {}),
        ("dashboard_region", [7], {}),
        ("dashboard_households", [1234], {"visited": "no"}),
        ("dashboard_cadres", [], {"region": 5, "unit": 12}),
        ("overdue_report", [], {"region": None, "bucket": "8-30", "unit": "Unit A & B/中文", "cadre": "", "x": False}),
        ("overdue_report", [], {"flag": True, "zero": 0}),
    ],
)
def test_links_are_what_reverse_and_urlencode_make(name, args, query):
    kept = {key: value for key, value in query.items() if value not in (None, "", False)}
    expected = reverse(name, args=args) + (f"?{urlencode(kept)}" if kept else "")

    assert link(name, *args, **query) == expected
    assert link(name, *args, **query) == expected  # reversed once, then from memory


def test_links_follow_the_script_prefix():
    link("dashboard_region", 7)
    set_script_prefix("/grassroots/")
    try:
        assert (
            link("dashboard_region", 7) == "/grassroots/dashboard/regions/7/" == reverse("dashboard_region", args=[7])
        )
    finally:
        set_script_prefix("/")
    assert link("dashboard_region", 7) == "/dashboard/regions/7/"


def test_a_region_name_is_escaped_in_the_tables(client, world):
    world.v1.name = 'Village <b>"1"</b> & Co'
    world.v1.save()
    client.force_login(world.supervisor)

    html = client.get(reverse("dashboard")).content.decode()

    assert "<b>" not in html
    assert "Village &lt;b&gt;&quot;1&quot;&lt;/b&gt; &amp; Co</a></th>" in html


# --- the filters' fields, laid out as crispy-forms does -------------------------------------------


def squeezed(html: str) -> str:
    """Markup without the whitespace around its tags (crispy's templates leave plenty)."""
    return re.sub(r"\s*([<>])\s*", r"\1", re.sub(r"\s+", " ", str(html))).strip()


FORMS = [
    (PeriodForm, {}),
    (PeriodForm, {"period": "month", "on": "2026-05-01"}),
    (PeriodForm, {"period": "custom", "start": "2026-01-01", "end": "2026-03-31"}),
    (PeriodForm, {"period": "week", "on": "2026-13-01"}),  # errors next to both fields
    (PeriodForm, {"period": "custom", "start": "2026-03-01", "end": "2026-01-01"}),
    (PeriodForm, {"period": '<b>"month"</b>'}),
    (HouseholdListForm, {"visited": "no", "sort": "-name"}),
    (HouseholdListForm, {"visited": "maybe"}),
]


@pytest.mark.parametrize(("form_class", "data"), FORMS)
def test_a_filter_field_is_laid_out_as_crispy_forms_does(form_class, data):
    ours, crispys = form_class(data), form_class(data)
    ours.is_valid(), crispys.is_valid()

    for name in ours.fields:
        if ours[name].is_hidden:
            continue
        assert squeezed(as_field(ours[name])) == squeezed(as_crispy_field(crispys[name])), name


@pytest.mark.parametrize("data", [{"category": "", "never_acted_on": "on"}, {"category": "999"}])
def test_the_concern_filters_are_laid_out_as_crispy_forms_does(world, data):
    data |= {"region": world.t1.pk}
    ours, crispys = (ConcernListForm(data, access=Access(user_id=None, is_admin=True)) for _ in range(2))
    ours.is_valid(), crispys.is_valid()

    for name in ("category", "never_acted_on", "period", "on"):
        assert squeezed(as_field(ours[name])) == squeezed(as_crispy_field(crispys[name])), name


def test_an_invalid_date_keeps_its_message_next_to_the_field():
    with translation.override("en"):
        form = PeriodForm({"on": "1999-01-01"})
        assert not form.is_valid()

        html = squeezed(as_field(form["on"]))

    assert 'class="dateinput form-control is-invalid"' in html
    assert "<strong>Choose a date between 2000 and 2099.</strong>" in html
