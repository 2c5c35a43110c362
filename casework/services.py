"""Writes that create or close casework records: concerns, pledges, resident codes."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cadres.models import Cadre
from households.models import Household, Region

from .calendar import WorkingCalendar, working_days_after
from .models import Category, Commitment, Concern, DeadlinePolicy, ResidentCode

# When an administrator has configured no policy at all, not even a default.
FALLBACK_WORKING_DAYS = 10
# A resident may confirm a completed pledge for this long after its due date.
COMMITMENT_CODE_GRACE = timedelta(days=90)


def deadline_working_days(*, category: Category, urgency: str) -> int:
    """The policy for the category and urgency, else the default for the urgency."""
    days = (
        DeadlinePolicy.objects.filter(Q(category=category) | Q(category__isnull=True), urgency=urgency)
        .order_by(F("category").asc(nulls_last=True))
        .values_list("working_days", flat=True)
        .first()
    )
    return days or FALLBACK_WORKING_DAYS


def deadline_latest(*, category: Category, urgency: str, pledged_at: datetime, calendar=None) -> datetime:
    """The latest due date the deadline policy allows for a pledge made at ``pledged_at``."""
    days = deadline_working_days(category=category, urgency=urgency)
    return working_days_after(pledged_at, days, calendar or WorkingCalendar())


def concern_record(
    *,
    village: Region,
    category: Category,
    urgency: str,
    text: str,
    raised_by: Cadre | None,
    raised_at: datetime,
    household: Household | None = None,
    channel: str = Concern.Channel.VISIT,
) -> Concern:
    return Concern.objects.create(
        household=household,
        village=village,
        channel=channel,
        category=category,
        urgency=urgency,
        text=text.strip(),
        raised_by=raised_by,
        raised_at=raised_at,
    )


@transaction.atomic
def commitment_pledge(
    *, concern: Concern, owner: Cadre, text: str, by, due_at: datetime | None = None, at: datetime | None = None
) -> Commitment:
    """Turn a concern into a commitment due within the deadline policy, with a resident code."""
    at = at or timezone.now()
    latest = deadline_latest(category=concern.category, urgency=concern.urgency, pledged_at=at)
    due_at = due_at or latest
    if due_at > latest:
        raise ValidationError(
            {
                "due_at": _("The deadline policy allows %(latest)s at the latest.")
                % {"latest": formats.date_format(timezone.localtime(latest), "DATE_FORMAT")}
            }
        )
    if due_at <= at:
        raise ValidationError({"due_at": _("The due date must be in the future.")})
    concern.set_outcome(Concern.Outcome.PLEDGED, by=by, at=at)
    commitment = Commitment.objects.create(
        concern=concern,
        household=concern.household,
        village=concern.village,
        owner=owner,
        pledged_by=by,
        text=text.strip(),
        category=concern.category,
        urgency=concern.urgency,
        pledged_at=at,
        original_due_at=due_at,
        due_at=due_at,
        status_changed_at=at,
    )
    resident_code_issue(purpose=ResidentCode.Purpose.COMMITMENT, commitment=commitment, expires_at=due_at + COMMITMENT_CODE_GRACE, at=at)
    return commitment


def resident_code_issue(*, purpose: str, expires_at: datetime, commitment: Commitment | None = None, at=None) -> ResidentCode:
    """A fresh single-use code; a clash with an existing code (about 1 in 10¹¹) draws again."""
    for _attempt in range(5):
        code = ResidentCode(purpose=purpose, commitment=commitment, created_at=at or timezone.now(), expires_at=expires_at)
        if not ResidentCode.objects.filter(code=code.code).exists():
            code.save()
            return code
    raise RuntimeError("could not draw an unused resident code")
