"""The GET forms of the lists behind the dashboard's numbers (``reports.rows``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre
from households.access import Access

from .dashboard_forms import PERIOD_FIELDS, AreaListForm, CadreListForm, _carried


def part_field(label, parts):
    """Which part of a list's rows to keep (``reports.rows.Listing``; none: all of them). For a
    ratio's denominator, ``parts`` names "yes", its numerator's rows, and "no", the rest."""
    return forms.ChoiceField(
        required=False,
        label=label,
        choices=[("", _("Any")), *parts],
        error_messages={"invalid_choice": _("Choose one of the options offered.")},
    )


def ratio_field(label, counted, rest):
    return part_field(label, [("yes", counted), ("no", rest)])


class RowsForm(AreaListForm):
    """A list behind a number: the period and the region (none: the whole scope)."""

    # The field that keeps one part of the rows (``part_field``).
    part = ""

    def filter_fields(self):
        """The list's own filters (shown above the period's)."""
        return [field for field in self.visible_fields() if field.name not in PERIOD_FIELDS]


class CadreRowsForm(RowsForm):
    """A list behind a number that the tables by unit and by cadre show too: from those, the unit,
    the cadre, or all the cadres the unit table sums (``listed``)."""

    unit = CadreListForm.base_fields["unit"]
    cadre = _carried(Cadre.objects.none(), _("Choose a cadre within your scope."))
    listed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, data, *, access: Access, **kwargs):
        super().__init__(data, access=access, **kwargs)
        self.fields["cadre"].queryset = Cadre.objects.visible_to(access)


class VisitRowsForm(CadreRowsForm):
    heavy = ratio_field(_("Companions"), _("More than two companions"), _("Two companions or fewer"))
    flagged = forms.BooleanField(
        required=False,
        label=_("Only visits with an integrity flag"),
        help_text=_("Visits of any kind, phone callbacks too: a flag is for review, never a penalty."),
    )
    part = "heavy"


class CadreMonthRowsForm(CadreRowsForm):
    regular = ratio_field(_("Months with a visit"), _("A visit in every month"), _("A month without a visit"))
    part = "regular"


class PledgeRowsForm(CadreRowsForm):
    on_time = ratio_field(_("Fulfilled on time"), _("Confirmed by the due date"), _("Not confirmed by the due date"))
    part = "on_time"


class StatusChangeRowsForm(CadreRowsForm):
    to = part_field(_("Status change"), [("reported", _("Reported done")), ("reopened", _("Reopened"))])
    part = "to"


class RatingRowsForm(CadreRowsForm):
    satisfied = ratio_field(_("Rating"), _("Satisfied or basically satisfied"), _("Dissatisfied"))
    part = "satisfied"


class ConfirmationRowsForm(CadreRowsForm):
    confirmed = ratio_field(_("Confirmed"), _("Confirmed by the resident"), _("Not confirmed"))
    part = "confirmed"


class VillageRowsForm(RowsForm):
    assigned = ratio_field(_("Assigned cadre"), _("With an assigned cadre"), _("Without an assigned cadre"))
    part = "assigned"


class CadreAssignmentRowsForm(RowsForm):
    assigned = ratio_field(
        _("Contact village or pairing"), _("With a contact village, posting or pairing"), _("Without any")
    )
    part = "assigned"


class PairingRowsForm(CadreRowsForm):
    visited = ratio_field(_("Visited in person in the period"), _("Visited"), _("Not visited"))
    part = "visited"


# A petition figure's numerator and the rest, by the figure (``reports.rows.PETITION_FIGURES``).
PETITION_PARTS = {
    "registered": (_("Repeat petitions"), _("First petitions")),
    "accept_due": (_("Accepted or declined on time"), _("Not on time")),
    "reply_due": (_("Replied on time"), _("Not on time")),
    "evaluated": (_("Satisfied or basically satisfied"), _("Dissatisfied")),
}


class PetitionRowsForm(RowsForm):
    figure = forms.ChoiceField(
        required=False,
        label=_("Cases"),
        choices=[
            ("registered", _("Registered in the period")),
            ("accept_due", _("Due to be accepted or declined in the period")),
            ("reply_due", _("Due to be replied to in the period")),
            ("evaluated", _("Replied to and evaluated in the period")),
        ],
        error_messages={"invalid_choice": _("Choose one of the options offered.")},
    )
    counted = ratio_field(_("Of those"), *PETITION_PARTS["registered"])
    part = "counted"

    def __init__(self, data, **kwargs):
        super().__init__(data, **kwargs)
        # The parts are named after the figure chosen (an unknown one is refused by its field).
        counted, rest = PETITION_PARTS.get(self.data.get("figure") or "registered", PETITION_PARTS["registered"])
        self.fields["counted"].choices = [("", _("Any")), ("yes", counted), ("no", rest)]

    def clean_figure(self):
        return self.cleaned_data["figure"] or "registered"
