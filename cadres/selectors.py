"""Reads for the home pages."""

from django.db.models import Count, Q

from households.access import Access
from households.models import Household, Region

from .models import Cadre, ContactPoint, Posting, Scope


def cadre_responsibilities(access: Access) -> dict:
    """A cadre's profile, current contact villages and postings, with their regions."""
    if not access.cadre_id:
        return {}
    cadre = Cadre.objects.select_related("unit", "user").get(pk=access.cadre_id)
    contact_points = list(
        ContactPoint.objects.current()
        .filter(cadre_id=access.cadre_id)
        .select_related("village__parent")
        .annotate(
            active_households=Count(
                "village__households", filter=Q(village__households__status=Household.Status.ACTIVE)
            )
        )
        .order_by("village__path")
    )
    postings = list(
        Posting.objects.current().filter(cadre_id=access.cadre_id).select_related("village__parent")
    )
    return {"cadre": cadre, "contact_points": contact_points, "postings": postings}


def scope_summaries(access: Access) -> list[dict]:
    """Each current scope of the user, with how many child regions and villages it holds."""
    scopes = list(
        Scope.objects.current()
        .filter(user_id=access.user_id)
        .select_related("region__parent", "unit")
        .order_by("kind", "region__path")
    )
    if not scopes:
        return []
    paths = sorted({scope.region.path for scope in scopes})
    # One query for all scopes: a conditional count per scope region.
    villages = Region.objects.villages().aggregate(
        **{f"p{i}": Count("pk", filter=Q(path__startswith=path)) for i, path in enumerate(paths)}
    )
    children = dict(
        Region.objects.filter(parent__path__in=paths)
        .values("parent__path")
        .annotate(n=Count("pk"))
        .values_list("parent__path", "n")
    )
    return [
        {
            "scope": scope,
            "villages": villages[f"p{paths.index(scope.region.path)}"],
            "children": children.get(scope.region.path, 0),
        }
        for scope in scopes
    ]
