"""Writes that create or close casework records: concerns, pledges, resident codes."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cadres.models import Cadre
from config.celery_app import enqueue_on_commit
from households.models import Household, Region

from .calendar import WorkingCalendar, working_days_after
from .models import Category, Commitment, Concern, DeadlinePolicy, ResidentCode, Urgency

# When an administrator has configured no policy at all, not even a default.
FALLBACK_WORKING_DAYS = 10
# A resident may confirm a completed pledge for this long after its due date.
COMMITMENT_CODE_GRACE = timedelta(days=90)


class DeadlinePolicies:
    """The configured deadline policies, read in one query: the category's own, else the
    default for the urgency, else FALLBACK_WORKING_DAYS."""

    def __init__(self):
        self.days = {
            (category_id, urgency): days
            for category_id, urgency, days in DeadlinePolicy.objects.values_list("category_id", "urgency", "working_days")
        }

    def working_days(self, category_id: int, urgency: str) -> int:
        return self.days.get((category_id, urgency)) or self.days.get((None, urgency)) or FALLBACK_WORKING_DAYS


def deadline_latest(
    *, category: Category, urgency: str, pledged_at: datetime, calendar=None, policies: DeadlinePolicies | None = None
) -> datetime:
    """The latest due date the deadline policy allows for a pledge made at ``pledged_at``."""
    days = (policies or DeadlinePolicies()).working_days(category.pk, urgency)
    return working_days_after(pledged_at, days, calendar or WorkingCalendar())


def deadline_table(*, now: datetime) -> dict[str, dict[str, str]]:
    """{category id: {urgency: latest local due date}} for pledges made now, for the visit form."""
    calendar, policies = WorkingCalendar(), DeadlinePolicies()
    return {
        str(category.pk): {
            urgency: timezone.localdate(
                deadline_latest(category=category, urgency=urgency, pledged_at=now, calendar=calendar, policies=policies)
            ).isoformat()
            for urgency in Urgency.values
        }
        for category in Category.objects.filter(is_active=True)
    }


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
    # A pledge already past a rung (a back-dated visit, a short deadline) is escalated now rather
    # than at the next scheduled sweep. With the broker down this is only logged: the pledge is
    # saved all the same, and the scheduled sweep, being time-based, catches it up.
    enqueue_on_commit("accountability.tasks.sweep_overdue")
    return commitment


def resident_code_issue(*, purpose: str, expires_at: datetime, commitment: Commitment | None = None, at=None) -> ResidentCode:
    """A fresh single-use code; a clash with an existing code (about 1 in 10¹¹) draws again."""
    for attempt in range(5):
        code = ResidentCode(purpose=purpose, commitment=commitment, created_at=at or timezone.now(), expires_at=expires_at)
        try:
            with transaction.atomic():
                code.save(force_insert=True)
            return code
        except IntegrityError:
            if attempt == 4:
                raise


# The longest comment a resident may leave with a rating.
RESIDENT_COMMENT_MAX_CHARS = 500


def resident_code_normalize(code: str) -> str:
    """What a resident typed or scanned, as stored: spaces dropped, upper case."""
    return "".join(code.split()).upper()


def _resident_code_refusal(item: ResidentCode | None) -> ValidationError:
    """Why a code cannot be used, saying nothing about the item behind it."""
    if item is None:
        return ValidationError(_("This code is not valid. Check that it was typed correctly."), code="unknown")
    if item.used_at is not None:
        return ValidationError(_("This code has already been used. Each code can be used only once."), code="used")
    return ValidationError(_("This code has expired."), code="expired")


@transaction.atomic
def resident_code_use(*, code: str, rating: str, comment: str, now: datetime | None = None) -> ResidentCode:
    """A resident confirms and rates the one item a code opens; the code is then spent.

    For a commitment reported done, a satisfied or basically satisfied rating confirms it and a
    dissatisfied one reopens it. A commitment not reported done yet is refused before the code
    is touched, so the resident can use it once the work is reported done.
    """
    now = now or timezone.now()
    comment = comment.strip()
    errors = {}
    if rating not in ResidentCode.Rating.values:
        errors["rating"] = _("Choose how satisfied you are.")
    if len(comment) > RESIDENT_COMMENT_MAX_CHARS:
        errors["comment"] = _("Please keep the comment under %(max)s characters.") % {"max": RESIDENT_COMMENT_MAX_CHARS}
    if errors:
        raise ValidationError(errors)
    code = resident_code_normalize(code)
    item = ResidentCode.objects.select_related("commitment").filter(code=code).first()
    if item is None or not item.is_usable(now):
        raise _resident_code_refusal(item)
    commitment = item.commitment
    if commitment is not None and commitment.status != Commitment.Status.REPORTED_DONE:
        if commitment.is_open:
            message = _("This pledge has not been reported done yet, so there is nothing to confirm. Your code stays valid.")
        else:
            message = _("This pledge is already closed, so there is nothing to confirm.")
        raise ValidationError(message, code="not_reported_done")
    # The guarded update is the claim: of two submissions of one code exactly one changes the row.
    claimed = ResidentCode.objects.filter(code=code, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now, rating=rating, comment=comment
    )
    if not claimed:
        raise _resident_code_refusal(ResidentCode.objects.filter(code=code).first())
    item.used_at, item.rating, item.comment = now, rating, comment
    if commitment is not None:
        if rating == ResidentCode.Rating.DISSATISFIED:
            commitment.transition(Commitment.Status.REOPENED, by=None, reason=comment or _("Resident not satisfied"), at=now)
        else:
            reason = _("Confirmed by the resident: %(rating)s") % {"rating": ResidentCode.Rating(rating).label}
            commitment.transition(
                Commitment.Status.CONFIRMED, by=None, reason=f"{reason} · {comment}" if comment else reason, at=now
            )
    return item
