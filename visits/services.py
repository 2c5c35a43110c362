"""Recording a visit on the ground, with the concerns it raised, in one transaction."""

import hashlib
import json
import math
import uuid
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from cadres.models import Cadre
from casework.models import Commitment, ResidentCode
from casework.services import ConcernDraft, concerns_record
from households.models import Household, Region

from .models import Visit, VisitAmendment

# A resident may confirm a visit for this long.
VISIT_CODE_VALIDITY = timedelta(days=30)
# Summaries shorter than this ("无", "好") are too common to mean copying.
COPIED_MIN_CHARS = 20
SUMMARY_FIELDS = ("thoughts", "wants", "hopes", "complaints")


# Fields a correction or an amendment may change. The household, village, location and concerns
# stay: concerns are casework records with their own history.
AMENDABLE_FIELDS = (
    "kind",
    "visited_at",
    "backdate_reason",
    "companions",
    "thoughts",
    "wants",
    "hopes",
    "complaints",
    "policies_explained",
    "help_delivered",
)


class VisitConflict(Exception):
    """The visit's id is taken by a different submission; ``message`` says why it was refused."""

    def __init__(self, visit_id, message: str = ""):
        super().__init__(visit_id)
        self.message = message or _(
            "This visit was already sent with different content. Open the recorded visit to amend it."
        )


@dataclass
class ConcernInput(ConcernDraft):
    """One concern raised on the visit and the outcome chosen for it now (or ``none`` for later);
    a pledge's owner defaults to the visiting cadre."""

    def fingerprint(self) -> dict:
        return {
            "category": self.category.pk,
            "urgency": self.urgency,
            "text": self.text.strip(),
            "outcome": self.outcome,
            "note": self.note.strip(),
            "pledge_text": self.pledge_text.strip(),
            "owner": self.owner.pk if self.owner else None,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "petition_case": self.petition_case.pk if self.petition_case else None,
        }


@dataclass
class VisitInput:
    id: uuid.UUID
    cadre: Cadre
    kind: str
    visited_at: datetime
    village: Region
    household: Household | None = None
    backdate_reason: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    accuracy_m: int | None = None
    companions: int = 0
    thoughts: str = ""
    wants: str = ""
    hopes: str = ""
    complaints: str = ""
    policies_explained: str = ""
    help_delivered: str = ""
    concerns: list[ConcernInput] = field(default_factory=list)
    followed_commitments: list[Commitment] = field(default_factory=list)

    @classmethod
    def from_cleaned(cls, data: dict, **values) -> "VisitInput":
        """From a form's or serializer's cleaned data: the keys named like fields, then ``values``."""
        names = {f.name for f in dataclass_fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names and value is not None} | values)

    def amendable_values(self) -> dict:
        """The AMENDABLE_FIELDS as they are stored: texts stripped."""
        values = {name: getattr(self, name) for name in AMENDABLE_FIELDS}
        return values | {name: value.strip() for name, value in values.items() if isinstance(value, str)}

    def fingerprint(self) -> str:
        """The submission in two halves: what a correction may not change, then AMENDABLE_FIELDS.
        A resend that differs only in the second half is a correction (see ``visit_record``)."""
        fixed = {
            "cadre": self.cadre.pk,
            "village": self.village.pk,
            "household": self.household.pk if self.household else None,
            "location": [str(self.latitude), str(self.longitude), self.accuracy_m],
            "concerns": [concern.fingerprint() for concern in self.concerns],
            "followed": sorted(c.pk for c in self.followed_commitments),
        }
        amendable = self.amendable_values() | {"visited_at": self.visited_at.astimezone(UTC).isoformat()}
        return _digest(fixed) + _digest(amendable)


def _digest(body: dict) -> str:
    """128 bits of a body's SHA-256: two of them fill Visit.payload_hash."""
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]


def visit_record(
    *, data: VisitInput, recorded_by, now: datetime | None = None, correct: bool = False
) -> tuple[Visit, bool]:
    """Record a visit once. Returns (visit, created).

    The client generates the id: the same submission replayed any number of times, or sent twice
    at once, creates one visit and answers the same; a different body under that id is refused
    with VisitConflict. With ``correct``, a different body from the visit's author inside the
    edit window that changes only AMENDABLE_FIELDS is a correction instead (``_resend``).
    """
    now = now or timezone.now()
    payload_hash = data.fingerprint()
    existing = Visit.objects.filter(pk=data.id).first()
    if existing is None:
        try:
            with transaction.atomic():
                return _create(data, recorded_by=recorded_by, payload_hash=payload_hash, now=now), True
        except IntegrityError:
            # A parallel submission of the same id won the race; answer as for a replay.
            existing = Visit.objects.filter(pk=data.id).first()
            if existing is None:
                raise
    if existing.payload_hash == payload_hash:
        return existing, False
    if not correct:
        raise VisitConflict(data.id)
    return _resend(data, by=recorded_by, payload_hash=payload_hash, now=now), False


@transaction.atomic
def _resend(data: VisitInput, *, by, payload_hash: str, now: datetime) -> Visit:
    """A different body under a visit's id, taken as the author's correction, as the visit page's."""
    # Locked: of two corrections sent at once the second waits, then finds itself a replay or
    # applies on top of the first.
    visit = Visit.objects.select_for_update(of=("self",)).select_related("cadre", "village", "household").get(pk=data.id)
    if visit.payload_hash == payload_hash:
        return visit
    if by.pk != visit.recorded_by_id:
        raise VisitConflict(data.id, _("This visit was recorded by someone else: only its author can correct it."))
    if not visit.is_editable_by(by, now):
        raise VisitConflict(data.id, _("The 24-hour edit window has passed: open the visit to amend it with a reason."))
    if visit.payload_hash[:32] != payload_hash[:32]:
        raise VisitConflict(
            data.id,
            _(
                "Sending a visit again can correct its kind, time, reason for late entry, companions and "
                "texts. Its household, village, location and concerns stay as first sent."
            ),
        )
    visit_amend(visit=visit, by=by, values=data.amendable_values(), now=now)
    # The corrected body is now the one a replay must match.
    visit.payload_hash = payload_hash
    visit.save(update_fields=["payload_hash", "updated_at"])
    return visit


def _create(data: VisitInput, *, recorded_by, payload_hash: str, now: datetime) -> Visit:
    """The visit, its concerns with their outcomes, and its resident code: a few bulk inserts."""
    _validate(data, now=now)
    visit = Visit(
        id=data.id,
        cadre=data.cadre,
        recorded_by=recorded_by,
        household=data.household,
        village=data.village,
        kind=data.kind,
        visited_at=data.visited_at,
        received_at=now,
        backdate_reason=data.backdate_reason.strip(),
        latitude=data.latitude,
        longitude=data.longitude,
        accuracy_m=data.accuracy_m,
        companions=data.companions,
        thoughts=data.thoughts.strip(),
        wants=data.wants.strip(),
        hopes=data.hopes.strip(),
        complaints=data.complaints.strip(),
        policies_explained=data.policies_explained.strip(),
        help_delivered=data.help_delivered.strip(),
        payload_hash=payload_hash,
    )
    _set_flags(visit)
    visit.resident_code = ResidentCode(
        purpose=ResidentCode.Purpose.VISIT, created_at=now, expires_at=now + VISIT_CODE_VALIDITY
    )
    # The visit's code is issued with its pledges' codes, in one statement.
    visit.concern_list = concerns_record(
        drafts=data.concerns,
        village=visit.village,
        household=visit.household,
        raised_by=visit.cadre,
        raised_at=visit.visited_at,
        by=recorded_by,
        at=now,
        codes=[visit.resident_code],
    )
    visit.save(force_insert=True)
    Visit.concerns.through.objects.bulk_create(
        [Visit.concerns.through(visit_id=visit.pk, concern_id=concern.pk) for concern in visit.concern_list]
    )
    Visit.followed_commitments.through.objects.bulk_create(
        [Visit.followed_commitments.through(visit_id=visit.pk, commitment_id=c.pk) for c in data.followed_commitments]
    )
    return visit


def _validate(data: VisitInput, *, now: datetime):
    errors = {}
    if data.visited_at > now + timedelta(minutes=5):
        errors["visited_at"] = _("A visit cannot be in the future.")
    elif now - data.visited_at > timedelta(hours=settings.VISIT_BACKDATE_HOURS) and not data.backdate_reason.strip():
        errors["backdate_reason"] = _("This visit was more than %(hours)s hours ago: say why it is recorded only now.") % {
            "hours": settings.VISIT_BACKDATE_HOURS
        }
    if data.household is None and data.kind not in Visit.VILLAGE_LEVEL_KINDS:
        errors["household"] = _("Choose the household visited (only a forum or a reception may be for a whole village).")
    if data.household is not None and data.household.village_id != data.village.pk:
        errors["household"] = _("The household lives in another village.")
    if errors:
        raise ValidationError(errors)


def _set_flags(visit: Visit, exclude=None):
    """Integrity flags for a supervisor to review; they never block the cadre.

    ``exclude`` is the visit's own id when it is already saved (an amendment)."""
    visit.flag_proxy = visit.cadre.user_id != visit.recorded_by.pk
    visit.flag_backdated = visit.received_at - visit.visited_at > timedelta(hours=settings.VISIT_BACKDATE_HOURS)
    visit.flag_far = _distance_km(visit) > settings.VISIT_FAR_KM
    summary = "\n".join(getattr(visit, name) for name in SUMMARY_FIELDS).strip()
    visit.summary_hash = hashlib.sha256(summary.encode()).hexdigest() if len(summary) >= COPIED_MIN_CHARS else ""
    others = Visit.objects.exclude(pk=exclude).order_by()
    window = timedelta(minutes=settings.VISIT_BURST_MINUTES)
    nearby = (
        others.filter(cadre=OuterRef("pk"), visited_at__gte=visit.visited_at - window, visited_at__lte=visit.visited_at + window)
        .values("cadre")
        .annotate(n=Count("pk"))
        .values("n")
    )
    copied = Exists(others.filter(summary_hash=visit.summary_hash)) if visit.summary_hash else Value(False)
    # Both questions in one round trip, asked of the cadre's row (visit_cadre_idx, visit_summary_hash_idx).
    nearby_count, visit.flag_copied = (
        Cadre.objects.filter(pk=visit.cadre.pk).order_by().values_list(Coalesce(Subquery(nearby), 0), copied).get()
    )
    visit.flag_burst = nearby_count + 1 > settings.VISIT_BURST_COUNT


def _distance_km(visit: Visit) -> float:
    """Great-circle distance from the village centroid; 0 when either point is unknown."""
    village = visit.village
    if None in (visit.latitude, visit.longitude, village.latitude, village.longitude):
        return 0.0
    lat1, lng1, lat2, lng2 = map(math.radians, map(float, (visit.latitude, visit.longitude, village.latitude, village.longitude)))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def visit_can_amend(visit: Visit, user) -> bool:
    """The recorder and the visiting cadre may correct or amend a visit; nobody deletes one."""
    return user.pk in (visit.recorded_by_id, visit.cadre.user_id)


@transaction.atomic
def visit_amend(*, visit: Visit, by, values: dict, reason: str = "", now: datetime | None = None) -> VisitAmendment | None:
    """Change a visit and keep what it was. Inside the author's edit window no reason is needed;
    afterwards the change is an amendment and must say why. Returns the history row, or None
    when nothing changed."""
    now = now or timezone.now()
    if not visit_can_amend(visit, by):
        raise PermissionDenied
    in_window = visit.is_editable_by(by, now)
    if not in_window and not reason.strip():
        raise ValidationError({"reason": _("The 24-hour edit window has passed: say why you amend this visit.")})
    changes = {}
    for name in AMENDABLE_FIELDS:
        if name in values and values[name] != getattr(visit, name):
            before, after = getattr(visit, name), values[name]
            changes[name] = [_jsonable(before), _jsonable(after)]
            setattr(visit, name, after)
    if not changes:
        return None
    data = VisitInput(
        id=visit.pk, cadre=visit.cadre, kind=visit.kind, visited_at=visit.visited_at, village=visit.village,
        household=visit.household, backdate_reason=visit.backdate_reason,
    )
    _validate(data, now=visit.received_at)
    _set_flags(visit, exclude=visit.pk)
    visit.save()
    return VisitAmendment.objects.create(
        visit=visit,
        by=by,
        at=now,
        reason=reason.strip() or _("Corrected by the author within 24 hours."),
        changes=changes,
    )


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else value
