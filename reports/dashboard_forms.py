"""The supervisor dashboard's GET forms: the period, and the filters of its lists."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from cadres.models import Unit
from households.access import Access, id_from
from households.models import Region

from .dashboard import HOUSEHOLD_SORTS, dashboard_regions
from .figures import Period
from .forms import OverdueFilterForm, Select

# Dates outside these years are typing mistakes (and the previous period of year 1 does not exist).
FIRST_YEAR, LAST_YEAR = 2000, 2099
DEFAULT_KIND = "quarter"
# Figures by month cost a column a month: a range longer than this is no longer a dashboard's.
LONGEST_RANGE_DAYS = 5 * 366
PERIOD_FIELDS = ("period", "on", "start", "end")


def _date_field(label):
    return forms.DateField(
        required=False, label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class PeriodForm(forms.Form):
    """A month, quarter or year (the one containing a day, today by default) or a custom range."""

    period = forms.ChoiceField(
        required=False,
        label=_("Period"),
        choices=[("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year")), ("custom", _("Custom range"))],
        widget=Select,
        error_messages={"invalid_choice": _("Choose a month, a quarter, a year or a custom range.")},
    )
    on = _date_field(_("Containing the day"))
    start = _date_field(_("From"))
    end = _date_field(_("Until"))

    def __init__(self, data, *, today: date | None = None, **kwargs):
        super().__init__(data, **kwargs)
        self.today = today or timezone.localdate()

    def clean(self):
        cleaned = super().clean()
        for name in ("on", "start", "end"):
            day = cleaned.get(name)
            if day and not FIRST_YEAR <= day.year <= LAST_YEAR:
                self.add_error(name, _("Choose a date between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR})
        kind = cleaned.get("period") or ("custom" if cleaned.get("start") or cleaned.get("end") else DEFAULT_KIND)
        cleaned["period"] = kind
        if kind == "custom" and not self.errors:
            start, end = cleaned.get("start"), cleaned.get("end")
            if not start:
                self.add_error("start", _("Give the first day of the range."))
            if not end:
                self.add_error("end", _("Give the last day of the range."))
            if start and end and end < start:
                self.add_error("end", _("The end of the period is before its start."))
            elif start and end and (end - start).days >= LONGEST_RANGE_DAYS:
                self.add_error("end", _("A custom range is at most five years long."))
        return cleaned

    def to_period(self) -> Period:
        """The period chosen (call once the form is valid)."""
        data = self.cleaned_data
        if data["period"] == "custom":
            return Period("custom", data["start"], data["end"])
        return Period.of(data["period"], data.get("on") or self.today)

    def hidden_errors(self) -> list[str]:
        """Errors of the fields a page carries along unseen (region, unit, sort) and of the whole form."""
        return [str(error) for field in self.hidden_fields() for error in field.errors] + list(self.non_field_errors())

    def query(self) -> str:
        """The period as query parameters, to carry it along the dashboard's links ("" for the default)."""
        return urlencode({name: self.data[name] for name in PERIOD_FIELDS if self.data.get(name)})


class HouseholdListForm(PeriodForm):
    visited = forms.ChoiceField(
        required=False,
        label=_("Visited in person in the period"),
        choices=[("", _("Any")), ("yes", _("Visited")), ("no", _("Not visited"))],
        widget=Select,
        error_messages={"invalid_choice": _("Choose visited, not visited or any.")},
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[(value, value) for value in HOUSEHOLD_SORTS],
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Sort by one of the list's columns.")},
    )


class IdChoiceField(forms.ModelChoiceField):
    """A row chosen by its id, given as ASCII digits only."""

    def to_python(self, value):
        if value not in self.empty_values and id_from(value) is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


def _carried(queryset, refusal):
    """A choice the page carries along unseen, from a link (a region, a unit)."""
    return IdChoiceField(
        queryset=queryset, required=False, widget=forms.HiddenInput, error_messages={"invalid_choice": refusal}
    )


class AreaListForm(PeriodForm):
    """A list of the dashboard: a period, and a region of the viewer's scope (none: all of it)."""

    region = _carried(Region.objects.none(), _("Choose a region within your scope."))

    def __init__(self, data, *, access: Access, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["region"].queryset = dashboard_regions(access)


class ConcernListForm(AreaListForm):
    category = OverdueFilterForm.base_fields["category"]
    never_acted_on = forms.BooleanField(required=False, label=_("Only those never acted on"))


class CadreListForm(AreaListForm):
    unit = _carried(Unit.objects.all(), _("That unit does not exist."))
