"""The overdue report's table (the page, its PDF, a snapshot), rendered in Python.

Its rows are ``selectors.TableRow``s, whose cells are text already. Placed by the template
engine, 50 rows still cost some 1,000 variable nodes a page (resolved, localized and escaped one
by one), several milliseconds and a sixth of the page's Python time. Here what is the same in
every row of a table (the column labels each cell carries, the links' URLs, the action's name)
is put into the row's format once, escaped, and each row is one ``format_html`` of its own
values. The markup is the template's as it was.
"""

import re

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()

_NAME = re.compile(r"\[(\w+)\]")

NUMBERS = mark_safe(' class="text-end"')  # the heading of a column of numbers

ROW = """
    <tr data-testid="overdue-row">
      <td data-label="[where]">{household}<span class="text-body-secondary">{village}</span></td>
      <td data-label="[pledge]">[text_cell]<br><span class="text-body-secondary small">{category}</span></td>
      <td data-label="[owner]">{owner}<br><span class="text-body-secondary small">{unit}</span>[record_cell]</td>
      <td data-label="[pledged]" class="text-nowrap">{pledged}</td>
      <td data-label="[due]" class="text-nowrap">{due}{extended}</td>
      <td data-label="[days]" class="text-end fw-semibold" data-testid="days-overdue">{days}</td>
      <td data-label="[bucket]">{bucket}</td>
      <td data-label="[level]">{level}</td>
      <td data-label="[status]">{status}</td>
    </tr>"""
# [text_cell] with links: the pledge linked to its commitment, whose URL is its list's followed by
# its id (a test holds it to commitment_detail's). [record_cell]: for inspectors, the action on
# its owner.
LINKED_TEXT = '<a href="[commitments]{pk}/">{text}</a>'
RECORD = '<br><a class="small no-print" href="[actions]?cadre={owner_id}&amp;commitments={pk}" data-testid="record-action">[record]</a>'


def _labels() -> dict[str, str]:
    """The columns' headings, translated once a table (each cell carries its column's, which the
    phone layout shows above it: static/reports/report.css)."""
    return {
        "where": _("Household / village"),
        "pledge": _("Pledge"),
        "owner": _("Owner"),
        "pledged": _("Pledged"),
        "due": _("Due"),
        "days": _("Days overdue"),
        "bucket": _("Aging bucket"),
        "level": _("Escalation level"),
        "status": _("Status"),
    }


def _put(format: str, **constants: str) -> str:
    """``format`` with each ``[name]`` replaced by its constant, escaped and with its braces
    doubled, so that the result is still a format for ``format_html`` (in one pass: a constant is
    never read for names)."""
    return _NAME.sub(lambda name: conditional_escape(constants[name[1]]).replace("{", "{{").replace("}", "}}"), format)


@register.simple_tag(takes_context=True)
def overdue_table(context, rows, links=False):
    """The table of ``rows`` (``selectors.table_rows``), stacked into cards on a phone. With
    ``links``, each pledge links to its commitment and, for inspectors, the row offers to record
    an accountability action on its owner (that pledge ticked)."""
    labels = _labels()
    head = format_html_join(
        "", '\n      <th scope="col"{}>{}</th>', ((NUMBERS if key == "days" else "", label) for key, label in labels.items())
    )
    text, record, constants = "{text}", "", dict(labels)
    if links:
        text, constants["commitments"] = LINKED_TEXT, reverse("commitment_list")
        if context["access"].is_inspector:
            record, constants["actions"] = RECORD, reverse("action_create")
            constants["record"] = _("Record an accountability action")
    row_format = _put(ROW.replace("[text_cell]", text).replace("[record_cell]", record), **constants)
    body = format_html_join(
        "",
        row_format,
        (
            {
                "household": format_html("{}<br>", row.household) if row.household else "",
                "village": row.village_name,
                "pk": row.pk,
                "text": row.text,
                "category": row.category_name,
                "owner": row.owner_name,
                "owner_id": row.owner_id,
                "unit": row.unit_name,
                "pledged": row.pledged_on,
                "due": row.due_on,
                "extended": format_html('<br><span class="small text-body-secondary">{}</span>', row.extended)
                if row.extended
                else "",
                "days": row.days_overdue,
                "bucket": row.bucket_label,
                "level": row.level_name or "—",
                "status": row.status_label,
            }
            for row in rows
        ),
    )
    return format_html(
        '<table class="table table-sm align-top report-table mb-0" data-testid="overdue-rows">\n  <thead>\n    <tr>{}\n    </tr>\n  </thead>\n  <tbody>{}\n  </tbody>\n</table>',
        head,
        body,
    )
