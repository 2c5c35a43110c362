"""The GET forms of the lists behind the dashboard's numbers (``reports.rows``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre
from households.access import Access

from .dashboard_forms import PERIOD_FIELDS, AreaListForm, CadreListForm, _carried


def part_field(label, parts, refusal):
    """Which part of a list's rows to keep (``reports.rows.Listing``; none: all of them). For a
    ratio's denominator, ``parts`` names "yes", its numerator's rows, and "no", the rest."""
    return forms.ChoiceField(
        required=False, label=label, choices=[("", _("Any")), *parts], error_messages={"invalid_choice": refusal}
    )


def ratio_field(label, counted, rest, refusal):
    return part_field(label, [("yes", counted), ("no", rest)], refusal)


class RowsForm(AreaListForm):
    """A list behind a number: the period, the region (none: the whole scope) and, from the tables
    by unit and by cadre, the unit, the cadre, or all the cadres the unit table sums (``listed``)."""

    unit = CadreListForm.base_fields["unit"]
    cadre = _carried(Cadre.objects.none(), _("Choose a cadre within your scope."))
    listed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    # The field that keeps one part of the rows (``part_field``).
    part = ""

    def __init__(self, data, *, access: Access, **kwargs):
        super().__init__(data, access=access, **kwargs)
        self.fields["cadre"].queryset = Cadre.objects.visible_to(access)

    def filter_fields(self):
        """The list's own filters (shown above the period's)."""
        return [field for field in self.visible_fields() if field.name not in PERIOD_FIELDS]


class VisitRowsForm(RowsForm):
    heavy = ratio_field(
        _("Companions"),
        _("More than two companions"),
        _("Two companions or fewer"),
        _("Choose more than two companions, two or fewer, or any."),
    )
    flagged = forms.BooleanField(
        required=False,
        label=_("Only visits with an integrity flag"),
        help_text=_("Visits of any kind, phone callbacks too: a flag is for review, never a penalty."),
    )
    part = "heavy"


class PledgeRowsForm(RowsForm):
    on_time = ratio_field(
        _("Fulfilled on time"),
        _("Confirmed by the due date"),
        _("Not confirmed by the due date"),
        _("Choose confirmed by the due date, not, or any."),
    )
    part = "on_time"


class StatusChangeRowsForm(RowsForm):
    to = part_field(
        _("Status change"),
        [("reported", _("Reported done")), ("reopened", _("Reopened"))],
        _("Choose reported done, reopened, or any."),
    )
    part = "to"


class RatingRowsForm(RowsForm):
    satisfied = ratio_field(
        _("Rating"),
        _("Satisfied or basically satisfied"),
        _("Dissatisfied"),
        _("Choose satisfied, dissatisfied, or any."),
    )
    part = "satisfied"


class ConfirmationRowsForm(RowsForm):
    confirmed = ratio_field(
        _("Confirmed"),
        _("Confirmed by the resident"),
        _("Not confirmed"),
        _("Choose confirmed, not confirmed, or any."),
    )
    part = "confirmed"
