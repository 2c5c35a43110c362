"""Writes that create or close casework records: concerns, pledges, resident codes."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from cadres.models import Cadre
from config.celery_app import enqueue_on_commit
from households.models import Household, Region

from .calendar import WorkingCalendar, working_days_after
from .models import (
    Category,
    Commitment,
    Concern,
    ConcernHistory,
    DeadlinePolicy,
    PetitionCase,
    ResidentCode,
    Urgency,
    generate_code,
)

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
            # order_by(): the model's ordering would join the categories for nothing.
            for category_id, urgency, days in DeadlinePolicy.objects.order_by().values_list(
                "category_id", "urgency", "working_days"
            )
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
    commitment = _pledge(concern, owner=owner, text=text, by=by, due_at=due_at, at=at, deadlines=_Deadlines())
    concern.set_outcome(Concern.Outcome.PLEDGED, by=by, at=at)
    commitment.save(force_insert=True)
    _resident_codes_save([_pledge_code(commitment)])
    _sweep_after_pledges()
    return commitment


class _Deadlines:
    """The policies and the calendar, each read once, on first use."""

    @cached_property
    def policies(self) -> DeadlinePolicies:
        return DeadlinePolicies()

    @cached_property
    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar()


def _pledge(concern: Concern, *, owner: Cadre, text: str, by, due_at: datetime | None, at: datetime, deadlines) -> Commitment:
    """An unsaved commitment on the concern, due within the deadline policy (the latest it allows
    when no date is given)."""
    latest = deadline_latest(
        category=concern.category,
        urgency=concern.urgency,
        pledged_at=at,
        calendar=deadlines.calendar,
        policies=deadlines.policies,
    )
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
    return Commitment(
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


def _pledge_code(commitment: Commitment) -> ResidentCode:
    return ResidentCode(
        purpose=ResidentCode.Purpose.COMMITMENT,
        commitment=commitment,
        created_at=commitment.pledged_at,
        expires_at=commitment.due_at + COMMITMENT_CODE_GRACE,
    )


def _sweep_after_pledges() -> None:
    # A pledge already past a rung (a back-dated visit, a short deadline) is escalated now rather
    # than at the next scheduled sweep. With the broker down this is only logged: the pledge is
    # saved all the same, and the scheduled sweep, being time-based, catches it up.
    enqueue_on_commit("accountability.tasks.sweep_overdue")


@dataclass
class ConcernDraft:
    """A concern as raised, with the outcome chosen for it at once (``none`` for later)."""

    category: Category
    urgency: str
    text: str
    outcome: str = Concern.Outcome.NONE
    note: str = ""  # resolved: what was done; not actionable: why
    pledge_text: str = ""
    owner: Cadre | None = None  # the pledge's owner; defaults to the cadre who raised the concern
    due_at: datetime | None = None  # the pledge's; defaults to the latest the deadline policy allows
    petition_case: PetitionCase | None = None


def concerns_record(
    *,
    drafts: list[ConcernDraft],
    village: Region,
    household: Household | None,
    raised_by: Cadre,
    raised_at: datetime,
    by,
    at: datetime,
    channel: str = Concern.Channel.VISIT,
    codes: list[ResidentCode] = (),
) -> list[Concern]:
    """Several concerns at once (a visit's), each with its outcome: what ``concern_record`` then
    ``Concern.set_outcome`` or ``commitment_pledge`` write one by one (outcome and its history
    row, the pledge's commitment and resident code), checked alike, in one bulk insert per table.

    ``codes`` are other fresh resident codes to issue with the pledges' (a visit's own). Everything
    is checked before anything is written.
    """
    deadlines = _Deadlines()
    concerns, history, commitments = [], [], []
    for draft in drafts:
        outcome_values = Concern.outcome_values(draft.outcome, by=by, note=draft.note, petition_case=draft.petition_case, at=at)
        concern = Concern(
            household=household,
            village=village,
            channel=channel,
            category=draft.category,
            urgency=draft.urgency,
            text=draft.text.strip(),
            raised_by=raised_by,
            raised_at=raised_at,
            outcome=draft.outcome,
            **outcome_values,
        )
        concerns.append(concern)
        if draft.outcome != Concern.Outcome.NONE:
            history.append(
                ConcernHistory(
                    concern=concern, from_outcome=Concern.Outcome.NONE, to_outcome=draft.outcome, by=by, at=at, note=draft.note.strip()
                )
            )
        if draft.outcome == Concern.Outcome.PLEDGED:
            owner = draft.owner or raised_by
            commitments.append(_pledge(concern, owner=owner, text=draft.pledge_text, by=by, due_at=draft.due_at, at=at, deadlines=deadlines))
        else:
            # Read by a representation of the concern: known to have no pledge, without a query.
            Concern.commitment.related.set_cached_value(concern, None)
    # bulk_create fills each row's foreign key from the object saved just before it.
    Concern.objects.bulk_create(concerns)
    ConcernHistory.objects.bulk_create(history)
    Commitment.objects.bulk_create(commitments)
    _resident_codes_save([_pledge_code(commitment) for commitment in commitments] + list(codes))
    if commitments:
        _sweep_after_pledges()
    return concerns


def _resident_codes_save(codes: list[ResidentCode]) -> None:
    """Insert fresh codes in one statement; a clash with an existing code (about 1 in 10⁵ at a
    city's scale of codes) draws them again, up to five times."""
    if not codes:
        return
    for attempt in range(5):
        try:
            with transaction.atomic():
                ResidentCode.objects.bulk_create(codes)
            return
        except IntegrityError:
            if attempt == 4:
                raise
            for code in codes:
                code.pk, code.code = None, generate_code()


def resident_code_issue(*, purpose: str, expires_at: datetime, commitment: Commitment | None = None, at=None) -> ResidentCode:
    """A fresh single-use code; a clash with an existing code draws again."""
    code = ResidentCode(purpose=purpose, commitment=commitment, created_at=at or timezone.now(), expires_at=expires_at)
    _resident_codes_save([code])
    return code


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
