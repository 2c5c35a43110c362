"""Reads for the cadre's pages: my work, a household, a visit."""

from datetime import date, datetime, time

from django.db.models import BooleanField, Case, F, Max, Q, When
from django.utils import timezone

from cadres.models import Cadre, Pairing
from casework.models import Commitment, Concern, PetitionCase
from households.access import Access
from households.models import Household, HouseholdTag

from .models import Visit


def own_cadre(access: Access) -> Cadre | None:
    """The user's own cadre profile, from what ``access_for`` has read already (id and name), without
    another query: any other field loads on first use. None when the user is not a cadre."""
    if access.cadre_id is None:
        return None
    return Cadre.from_db(None, ["id", "user_id", "name"], [access.cadre_id, access.user_id, access.display_name])


def period_start(today: date | None = None) -> date:
    """The current visiting period: the calendar quarter."""
    today = today or timezone.localdate()
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


# A list longer than this is cut; the page says so and offers the search.
MY_HOUSEHOLDS_SHOWN = 300


def my_households(access: Access, *, search: str = "", limit: int = MY_HOUSEHOLDS_SHOWN) -> list[Household]:
    """The cadre's paired households and those of their contact villages (or, with ``search``,
    any household in scope): not visited this period first, paired before village households,
    longest unvisited first. Ordered in the database, so a cut list keeps the right ones."""
    households = Household.objects.active().filter(
        Q(pk__in=access.household_ids) | Q(village_id__in=access.village_ids)
    )
    if search := search.strip():
        households = Household.objects.visible_to(access).active().filter(
            Q(head_name__contains=search) | Q(address__contains=search) | Q(members__name__contains=search)
        ).distinct()
    start = timezone.make_aware(datetime.combine(period_start(), time.min))
    households = (
        households.select_related("village__parent")
        .annotate(
            last_visit=Max("visits__visited_at", filter=~Q(visits__kind=Visit.Kind.PHONE_CALLBACK)),
            paired=Case(When(pk__in=access.household_ids, then=True), default=False, output_field=BooleanField()),
        )
        .annotate(
            visited_this_period=Case(When(last_visit__gte=start, then=True), default=False, output_field=BooleanField())
        )
        .order_by("visited_this_period", "-paired", F("last_visit").asc(nulls_first=True), "pk")
    )
    now = timezone.now()
    rows = list(households[:limit])
    for household in rows:
        household.days_since = (now - household.last_visit).days if household.last_visit else None
    return rows


def my_open_commitments(access: Access) -> list[Commitment]:
    if not access.cadre_id:
        return []
    return list(
        Commitment.objects.open()
        .filter(owner_id=access.cadre_id)
        .select_related("household", "village", "category")
        .order_by("due_at")
    )


def household_page(access: Access, pk: int) -> dict:
    household = Household.objects.select_related("village__parent__parent").get_visible_or_404(access, pk=pk)
    today = timezone.localdate()
    return {
        "household": household,
        "members": list(household.members.all()),
        "tags": list(HouseholdTag.objects.filter(household=household).select_related("tag")),
        "pairings": list(
            Pairing.objects.current(today).filter(household=household).select_related("cadre__unit")
        ),
        "visits": list(
            Visit.objects.filter(household=household)
            .select_related("cadre", "recorded_by")
            .order_by("-visited_at")[:50]
        ),
        "concerns": list(
            Concern.objects.filter(household=household)
            .select_related("category", "raised_by", "commitment")
            .order_by("-raised_at")[:100]
        ),
        "commitments": list(
            Commitment.objects.filter(household=household).select_related("owner", "category").order_by("-pledged_at")[:100]
        ),
    }


def petition_page(access: Access, pk: int) -> dict:
    """A petition case the user may see (404 otherwise), read only: its clocks, responsible
    units, timeline, the cases it repeats or that repeat it, and the concerns, commitments and
    visits linked to it that the user sees."""
    case = PetitionCase.objects.select_related(
        "village__parent", "category", "owning_leader__unit", "petitioner_household", "repeat_of"
    ).get_visible_or_404(access, pk=pk)
    visible_cases = PetitionCase.objects.visible_to(access)
    return {
        "case": case,
        "household_visible": Household.objects.visible_to(access).filter(pk=case.petitioner_household_id).exists(),
        "repeat_of_visible": visible_cases.filter(pk=case.repeat_of_id).exists(),
        "units": list(case.units.select_related("unit")),
        "events": list(case.events.select_related("by__cadre").order_by("at", "pk")),
        "repeats": list(visible_cases.filter(repeat_of=case).order_by("registered_at", "pk")),
        "concerns": list(
            Concern.objects.visible_to(access)
            .filter(petition_case=case)
            .select_related("category")
            .order_by("raised_at")
        ),
        "commitments": list(
            Commitment.objects.visible_to(access)
            .filter(petition_case=case)
            .select_related("owner")
            .order_by("pledged_at")
        ),
        "visits": list(
            Visit.objects.visible_to(access)
            .filter(followed_petitions=case)
            .select_related("cadre")
            .order_by("visited_at")
        ),
    }
