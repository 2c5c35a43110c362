"""The overdue report's table (the page, its PDF, a snapshot), rendered in Python.

Its rows are ``selectors.TableRow``s, whose cells are text already. Placed by the template
engine, 50 rows still cost some 1,000 variable nodes a page (resolved, localized and escaped one
by one), several milliseconds and a sixth of the page's Python time; joined here with
``format_html``, a fifth of that. The markup is the template's as it was.
"""

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()

NUMBERS = mark_safe(' class="text-end"')  # the heading of a column of numbers

ROW = """
    <tr data-testid="overdue-row">
      <td data-label="{l_where}">{household}<span class="text-body-secondary">{village}</span></td>
      <td data-label="{l_pledge}">{pledge}<br><span class="text-body-secondary small">{category}</span></td>
      <td data-label="{l_owner}">{owner}<br><span class="text-body-secondary small">{unit}</span>{record}</td>
      <td data-label="{l_pledged}" class="text-nowrap">{pledged}</td>
      <td data-label="{l_due}" class="text-nowrap">{due}{extended}</td>
      <td data-label="{l_days}" class="text-end fw-semibold" data-testid="days-overdue">{days}</td>
      <td data-label="{l_bucket}">{bucket}</td>
      <td data-label="{l_level}">{level}</td>
      <td data-label="{l_status}">{status}</td>
    </tr>"""


def _labels() -> dict[str, str]:
    """The columns' headings, translated once a table (each cell carries its column's, which the
    phone layout shows above it: static/reports/report.css)."""
    return {
        "l_where": _("Household / village"),
        "l_pledge": _("Pledge"),
        "l_owner": _("Owner"),
        "l_pledged": _("Pledged"),
        "l_due": _("Due"),
        "l_days": _("Days overdue"),
        "l_bucket": _("Aging bucket"),
        "l_level": _("Escalation level"),
        "l_status": _("Status"),
    }


@register.simple_tag(takes_context=True)
def overdue_table(context, rows, links=False):
    """The table of ``rows`` (``selectors.table_rows``), stacked into cards on a phone. With
    ``links``, each pledge links to its commitment and, for inspectors, the row offers to record
    an accountability action on its owner (that pledge ticked)."""
    labels = _labels()
    head = format_html_join(
        "", '\n      <th scope="col"{}>{}</th>', ((NUMBERS if key == "l_days" else "", label) for key, label in labels.items())
    )
    # URLs reversed once a table: a commitment's is its list's followed by its id (a test holds
    # it to commitment_detail's).
    commitments = reverse("commitment_list") if links else ""
    actions = reverse("action_create") if links and context["access"].is_inspector else ""
    record = _("Record an accountability action")

    def cells(row) -> dict:
        return {
            **labels,
            "household": format_html("{}<br>", row.household) if row.household else "",
            "village": row.village_name,
            "pledge": format_html('<a href="{}{}/">{}</a>', commitments, row.pk, row.text) if commitments else row.text,
            "category": row.category_name,
            "owner": row.owner_name,
            "unit": row.unit_name,
            "record": format_html(
                '<br><a class="small no-print" href="{}?cadre={}&amp;commitments={}" data-testid="record-action">{}</a>',
                actions,
                row.owner_id,
                row.pk,
                record,
            )
            if actions
            else "",
            "pledged": row.pledged_on,
            "due": row.due_on,
            "extended": format_html('<br><span class="small text-body-secondary">{}</span>', row.extended) if row.extended else "",
            "days": row.days_overdue,
            "bucket": row.bucket_label,
            "level": row.level_name or "—",
            "status": row.status_label,
        }

    body = format_html_join("", ROW, (cells(row) for row in rows))
    return format_html(
        '<table class="table table-sm align-top report-table mb-0" data-testid="overdue-rows">\n  <thead>\n    <tr>{}\n    </tr>\n  </thead>\n  <tbody>{}\n  </tbody>\n</table>',
        head,
        body,
    )
