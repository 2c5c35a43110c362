"""Builds each user's ``Access`` (see households.access) from their profile and assignments."""

from django.db.models import BooleanField, Value
from django.utils import timezone

from households.access import Access

from .models import Cadre, ContactPoint, Pairing, Posting, Scope

_CACHE_ATTR = "_grassroots_access"


def access_for(user) -> Access:
    """What ``user`` may see today. Three queries, cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return Access.anonymous()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached

    today = timezone.localdate()
    # order_by(): the model's default ordering would join units and regions to fetch one row.
    cadre_id, name = Cadre.objects.filter(user=user, is_active=True).order_by().values_list("pk", "name").first() or (
        None,
        user.get_full_name() or user.get_username(),
    )
    supervision, inspection = [], []
    for kind, path, unit_id in (
        Scope.objects.current(today).filter(user=user).values_list("kind", "region__path", "unit_id")
    ):
        (supervision if kind == Scope.Kind.SUPERVISION else inspection).append((path, unit_id))
    village_ids, household_ids = frozenset(), frozenset()
    if cadre_id:
        # Covered villages and paired households in one round trip: (is a village?, id).
        villages = (
            ContactPoint.objects.current(today)
            .filter(cadre_id=cadre_id)
            .annotate(v=Value(True, output_field=BooleanField()))
        )
        posted = (
            Posting.objects.current(today)
            .filter(cadre_id=cadre_id)
            .annotate(v=Value(True, output_field=BooleanField()))
        )
        paired = (
            Pairing.objects.current(today)
            .filter(cadre_id=cadre_id)
            .annotate(v=Value(False, output_field=BooleanField()))
        )
        rows = (
            villages.values_list("v", "village_id")
            .order_by()
            .union(posted.values_list("v", "village_id").order_by(), paired.values_list("v", "household_id").order_by())
        )
        rows = list(rows)
        village_ids = frozenset(pk for is_village, pk in rows if is_village)
        household_ids = frozenset(pk for is_village, pk in rows if not is_village)

    access = Access(
        user_id=user.pk,
        display_name=name,
        is_admin=user.is_superuser or user.is_staff,
        cadre_id=cadre_id,
        supervision=tuple(sorted(supervision, key=lambda s: (s[0], s[1] or 0))),
        inspection=tuple(sorted(inspection, key=lambda s: (s[0], s[1] or 0))),
        village_ids=village_ids,
        household_ids=household_ids,
    )
    setattr(user, _CACHE_ATTR, access)
    return access
