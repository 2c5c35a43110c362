"""What a signed-in user may see, as plain values every app can read.

Built once per request by ``cadres.access.access_for`` (which knows assignments and scopes) and
handed to each model's ``visible_to(access)``. It lives here, in the lowest app, so that every
app can scope its querysets without importing the apps above it.
"""

from dataclasses import dataclass, field

from django.db.models import Q


@dataclass(frozen=True)
class Access:
    user_id: int | None
    display_name: str = ""
    is_admin: bool = False
    cadre_id: int | None = None
    # (region path, unit id or None) for each active scope.
    supervision: tuple[tuple[str, int | None], ...] = ()
    inspection: tuple[tuple[str, int | None], ...] = ()
    # Villages the cadre covers (contact points, postings) and households they are paired with.
    village_ids: frozenset[int] = field(default_factory=frozenset)
    household_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def anonymous(cls):
        return cls(user_id=None)

    @property
    def is_cadre(self) -> bool:
        return self.cadre_id is not None

    @property
    def is_supervisor(self) -> bool:
        return bool(self.supervision)

    @property
    def is_inspector(self) -> bool:
        return bool(self.inspection)

    @property
    def scope_paths(self) -> tuple[str, ...]:
        """Region subtrees the user reads in full (supervision and inspection alike)."""
        return tuple(sorted({path for path, _unit in self.supervision + self.inspection}))

    @property
    def roles(self) -> tuple[str, ...]:
        roles = []
        if self.is_cadre:
            roles.append("cadre")
        if self.is_supervisor:
            roles.append("supervisor")
        if self.is_inspector:
            roles.append("inspector")
        if self.is_admin:
            roles.append("admin")
        return tuple(roles)


def id_from(value) -> int | None:
    """The id a request's parameter names, or None when it names none. Ids are ASCII digits that
    fit a bigint: Python's int() also reads "²" (and fails) or "١" (as 1, another row), and a
    longer number fails in the database rather than in the form."""
    value = str(value)
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def path_q(lookup: str, paths) -> Q:
    """``Q`` matching rows whose region path (at ``lookup``) lies under any of ``paths``."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{lookup}__startswith": path})
    return q


class ScopedQuerySet:
    """Mixin: every model's queryset has ``visible_to(access)`` and one lookup for views."""

    def visible_to(self, access: Access):  # pragma: no cover - each model defines it
        raise NotImplementedError

    def get_visible_or_404(self, access: Access, **lookup):
        """The object if the user may see it; otherwise 404, as if it did not exist."""
        from django.shortcuts import get_object_or_404

        return get_object_or_404(self.visible_to(access), **lookup)
