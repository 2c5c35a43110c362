"""Builds each user's ``Access`` (see households.access) from their profile and assignments."""

from django.utils import timezone

from households.access import Access

from .models import Cadre, ContactPoint, Pairing, Posting, Scope

_CACHE_ATTR = "_grassroots_access"


def access_for(user) -> Access:
    """What ``user`` may see today. Four queries, cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return Access.anonymous()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached

    today = timezone.localdate()
    cadre_id, name = Cadre.objects.filter(user=user, is_active=True).values_list("pk", "name").first() or (
        None,
        user.get_full_name() or user.get_username(),
    )
    supervision, inspection = [], []
    for kind, path, unit_id in Scope.objects.current(today).filter(user=user).values_list(
        "kind", "region__path", "unit_id"
    ):
        (supervision if kind == Scope.Kind.SUPERVISION else inspection).append((path, unit_id))
    village_ids, household_ids = frozenset(), frozenset()
    if cadre_id:
        villages = ContactPoint.objects.current(today).filter(cadre_id=cadre_id).values_list("village_id").order_by()
        posted = Posting.objects.current(today).filter(cadre_id=cadre_id).values_list("village_id").order_by()
        village_ids = frozenset(v for (v,) in villages.union(posted))
        household_ids = frozenset(
            Pairing.objects.current(today).filter(cadre_id=cadre_id).values_list("household_id", flat=True)
        )

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
