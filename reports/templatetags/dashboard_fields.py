"""``{{ form.field|as_field }}``: a dashboard filter's field laid out as crispy-forms' bootstrap5
template lays it out (``as_crispy_field``), joined in Python for the plain case: a select or a
date box with a label, not required, no help text and no error. Crispy's template costs some
1.5 ms a field, and every dashboard page has at least four. Anything else (an error to show next
to the field, a checkbox) goes to crispy-forms itself."""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms, template
from django.forms import BoundField
from django.utils.html import format_html

register = template.Library()

# Bootstrap's class for each widget the plain case takes, as crispy-forms adds it.
BOOTSTRAP_CLASSES = {forms.Select: "form-select", forms.DateInput: "form-control"}


def _plain(field: BoundField) -> str | None:
    """The bootstrap class of ``field``'s widget when it is laid out the plain way, else None."""
    widget = field.field.widget
    bootstrap = next((css for kind, css in BOOTSTRAP_CLASSES.items() if isinstance(widget, kind)), None)
    if (
        bootstrap is None
        or field.errors
        or field.help_text
        or field.field.required
        or field.is_hidden
        or not field.label
        or field.css_classes()
        or "class" in widget.attrs
    ):
        return None
    # crispy-forms names the widget's class first (its class name, lower case), then bootstrap's.
    return f"{type(widget).__name__.lower()} {bootstrap}"


@register.filter
def as_field(field: BoundField):
    css = _plain(field)
    if css is None:
        return as_crispy_field(field)
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="form-label">{}</label>{}</div>',
        field.auto_id,
        field.id_for_label,
        field.label,
        field.as_widget(attrs={"class": css}),
    )
