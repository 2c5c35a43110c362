"""The one way a status changes in every app: check the allowed map, guard the row, record it.

It lives in the lowest app so that casework and accountability share it without importing
each other in the wrong direction.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _


class TransitionError(ValidationError):
    """A status change not allowed from the current state, or lost to a concurrent change."""


class StatusChange(models.Model):
    """A history row: who changed an item, and when. Subclasses add the item, from, to and why."""

    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        abstract = True
        ordering = ["at", "pk"]


def change_status(obj, *, field: str, to: str, transitions: dict, updates: dict | None = None) -> str:
    """Move ``obj.<field>`` to ``to`` if the map allows it and nobody changed it meanwhile.

    The update is guarded by the old value, so of two concurrent changes exactly one wins and
    the other gets a TransitionError. Returns the old value for the caller's history row.
    """
    old = getattr(obj, field)
    item = capfirst(obj._meta.verbose_name)
    labels = dict(obj._meta.get_field(field).choices or ())
    if to not in transitions.get(old, ()):
        raise TransitionError(
            _("%(item)s cannot go from “%(old)s” to “%(new)s”.")
            % {"item": item, "old": labels.get(old, old), "new": labels.get(to, to)}
        )
    values = {field: to, **(updates or {})}
    if not type(obj)._default_manager.filter(pk=obj.pk, **{field: old}).update(**values):
        raise TransitionError(_("%(item)s was changed by someone else meanwhile; reload and try again.") % {"item": item})
    for name, value in values.items():
        setattr(obj, name, value)
    return old
