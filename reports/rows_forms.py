"""The GET forms of the lists behind the dashboard's numbers (``reports.rows``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre
from households.access import Access

from .dashboard_forms import PERIOD_FIELDS, AreaListForm, CadreListForm, _carried


def part_field(label, counted, rest, refusal):
    """Whether to keep only the rows a ratio's numerator counts ("yes"), only the rest ("no") or all."""
    return forms.ChoiceField(
        required=False,
        label=label,
        choices=[("", _("Any")), ("yes", counted), ("no", rest)],
        error_messages={"invalid_choice": refusal},
    )


class RowsForm(AreaListForm):
    """A list behind a number: the period, the region (none: the whole scope) and, from the tables
    by unit and by cadre, the unit, the cadre, or all the cadres the unit table sums (``listed``)."""

    unit = CadreListForm.base_fields["unit"]
    cadre = _carried(Cadre.objects.none(), _("Choose a cadre within your scope."))
    listed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    # The field that keeps a ratio's numerator or the rest (None: the list is not a ratio's).
    part = None

    def __init__(self, data, *, access: Access, **kwargs):
        super().__init__(data, access=access, **kwargs)
        self.fields["cadre"].queryset = Cadre.objects.visible_to(access)

    def filter_fields(self):
        """The list's own filters (shown above the period's)."""
        return [field for field in self.visible_fields() if field.name not in PERIOD_FIELDS]


class VisitRowsForm(RowsForm):
    heavy = part_field(
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
