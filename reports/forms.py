from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from casework.models import Category
from households.access import Access, id_from, path_q
from households.models import Region

from . import figures

# Query parameters that are not filters: the page cursor and the export format.
NOT_FILTERS = ("after", "format")


class Select(forms.Select):
    """Django's select, rendered as Django renders it (the same HTML), its options joined in
    Python instead of through two templates each: the report's filters list some sixty options
    on every page, and their templates cost about 3 ms of it."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        if any(group_name for group_name, _options, _index in widget["optgroups"]):
            return super().render(name, value, attrs, renderer)
        options = format_html_join(
            "",
            '\n  <option value="{}"{}>{}</option>\n',
            (
                (str(option["value"]), _attributes(option["attrs"]), option["label"])
                for _group, options, _index in widget["optgroups"]
                for option in options
            ),
        )
        return format_html('<select name="{}"{}>{}\n</select>', widget["name"], _attributes(widget["attrs"]), options)


def _attributes(attrs: dict) -> str:
    """HTML attributes as django/forms/widgets/attrs.html writes them."""
    return format_html_join(
        "",
        " {}{}",
        (
            (name, "" if value is True else format_html('="{}"', str(value)))
            for name, value in attrs.items()
            if value is not False
        ),
    )


class BoundField(forms.BoundField):
    """Bootstrap's invalid state on the widget of a field with errors, as crispy-forms marks it."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors:
            attrs["class"] = f"{(widget or self.field.widget).attrs.get('class', '')} is-invalid"
        return attrs


class ListedRegionField(forms.ModelChoiceField):
    """A region among those the form lists (``listed``, by id), found there instead of by a query
    of its own: the form lists the chosen region whenever it is in the viewer's scope."""

    listed: dict[int, Region]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        region = self.listed.get(id_from(value))
        if region is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return region


class OverdueFilterForm(forms.Form):
    """The overdue report's filters, limited to the viewer's scope. Every field is optional.

    Rendered by a plain template (templates/reports/overdue.html) in Bootstrap's markup, each
    error next to its field: through crispy-forms its eight fields took a sixth of the page's time."""

    bound_field_class = BoundField
    # Two a row on a phone; the others take the whole row.
    half_width = ("bucket", "level", "pledged_from", "pledged_to")

    region = ListedRegionField(
        queryset=Region.objects.none(),
        required=False,
        widget=Select,
        label=_("Region"),
        empty_label=_("All of my scope"),
        error_messages={"invalid_choice": _("Choose a region within your scope.")},
    )
    unit = forms.CharField(required=False, max_length=100, label=_("Owner's unit (name)"))
    cadre = forms.CharField(required=False, max_length=50, label=_("Owner cadre (name)"))
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(),
        required=False,
        widget=Select,
        label=_("Category"),
        empty_label=_("Any category"),
        error_messages={"invalid_choice": _("Choose one of the categories listed.")},
    )
    bucket = forms.ChoiceField(required=False, label=_("Days overdue"), widget=Select)
    level = forms.ChoiceField(required=False, label=_("Escalation level"), widget=Select)
    pledged_from = forms.DateField(
        required=False, label=_("Pledged from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    pledged_to = forms.DateField(
        required=False, label=_("Pledged until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, data, *, access: Access, rungs, **kwargs):
        super().__init__(data, **kwargs)
        self.access = access
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        self.fields["region"].queryset = in_scope = (
            Region.objects.all() if access.is_admin else Region.objects.filter(path_q("path", access.scope_paths))
        )
        # Any region in scope is accepted. The list is kept short whatever the scope's size: the
        # scope's regions and their children, and the children of the region chosen, to drill down.
        roots = Q(parent__isnull=True) if access.is_admin else Q(path__in=access.scope_paths)
        listed = Q(pk__in=in_scope.filter(roots).values("pk")) | Q(parent__in=in_scope.filter(roots).values("pk"))
        if chosen := id_from(self.data.get("region", "")):
            listed |= Q(pk=chosen) | Q(parent_id=chosen)
        options = list(in_scope.filter(listed).order_by("path").only("pk", "name", "level", "path"))
        self.fields["region"].listed = {region.pk: region for region in options}
        # The scope's own regions are among them: the report's heading names them from here.
        self.scope_names = [region.name for region in options if region.path in access.scope_paths]
        top = min((region.level for region in options), default=Region.Level.CITY)
        self.fields["region"].widget.choices = [("", self.fields["region"].empty_label)] + [
            (region.pk, "\u3000" * (region.level - top) + region.name) for region in options
        ]
        # Read as a list, not by the field's iterator (a server-side cursor on PostgreSQL: three
        # round trips instead of one); the report's rows are named from it too (``categories``).
        category = self.fields["category"]
        self.categories = {item.pk: category.label_from_instance(item) for item in category.queryset}
        category.widget.choices = [("", category.empty_label), *self.categories.items()]
        self.fields["bucket"].choices = [("", _("Any"))] + [(b.code, b.label) for b in figures.AGING_BUCKETS]
        self.rungs = {rung.pk: rung for rung in rungs}
        self.fields["level"].choices = (
            [("", _("Any")), ("none", _("Not escalated"))] + [(str(rung.pk), rung.name) for rung in rungs]
        )

    def clean(self):
        cleaned = super().clean()
        start: date | None = cleaned.get("pledged_from")
        end: date | None = cleaned.get("pledged_to")
        if start and end and end < start:
            self.add_error("pledged_to", _("The end of the period is before its start."))
        return cleaned

    def filter_values(self) -> dict:
        """The filters as given (query parameters), without empty ones: to store and run again."""
        return {name: self.data[name] for name in self.fields if self.data.get(name)}

    def describe(self) -> str:
        """The filters in words, for the exports' headers and the audit log."""
        parts = []
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            if name == "bucket":
                value = figures.BUCKETS_BY_CODE[value].label
            elif name == "level":
                value = _("Not escalated") if value == "none" else self.rungs[int(value)].name
            elif isinstance(value, date):
                value = value.isoformat()
            parts.append(f"{field.label}: {value}")
        return "; ".join(str(part) for part in parts) or str(_("none"))
