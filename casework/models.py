"""Every obligation that must be acted on by a deadline, whatever channel it came through."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre, Unit
from households.access import Access, ScopedQuerySet, path_q
from households.history import StatusChange, change_status
from households.models import Household, Region


class Category(models.Model):
    """A kind of need (employment, healthcare, …): configurable by administrators."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class Urgency(models.TextChoices):
    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("urgent")
    CRITICAL = "critical", _("critical")


class CalendarOverride(models.Model):
    """A date the official-calendar package does not know, or gets wrong: workday or holiday."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("is a working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d}"


class DeadlinePolicy(models.Model):
    """限时办结: how many working days a pledge of a category and urgency may take."""

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Leave empty for the default of every category."),
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    working_days = models.PositiveSmallIntegerField(
        _("working days"), validators=[MinValueValidator(1), MaxValueValidator(365)]
    )

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        ordering = ["category__sort_order", "urgency"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "urgency"], condition=Q(category__isnull=False), name="deadline_policy_unique"
            ),
            models.UniqueConstraint(
                fields=["urgency"], condition=Q(category__isnull=True), name="deadline_policy_default_unique"
            ),
            models.CheckConstraint(
                name="deadline_policy_days_range", condition=Q(working_days__gte=1, working_days__lte=365)
            ),
        ]

    def __str__(self):
        category = self.category or _("any category")
        return f"{category} · {self.get_urgency_display()}: {self.working_days}"


def _scope_q(access: Access, *, village: str, own: Q) -> Q:
    """Rows the user answers for (``own``) or that lie in their regions."""
    return own | path_q(f"{village}__path", access.scope_paths)


class ConcernQuerySet(ScopedQuerySet, models.QuerySet):
    def visible_to(self, access: Access):
        if access.is_admin:
            return self.all()
        own = (
            Q(household_id__in=access.household_ids)
            | Q(village_id__in=access.village_ids)
            | (Q(raised_by_id=access.cadre_id) if access.cadre_id else Q(pk__in=[]))
        )
        return self.filter(_scope_q(access, village="village", own=own))

    def without_outcome(self):
        return self.filter(outcome=Concern.Outcome.NONE)


class Concern(models.Model):
    """诉求: what a resident needs. Ends in exactly one outcome."""

    class Channel(models.TextChoices):
        VISIT = "visit", _("raised on a visit")
        PHONE = "phone", _("phone")
        ONLINE = "online", _("online platform")
        PETITION = "petition", _("petition")

    class Outcome(models.TextChoices):
        NONE = "none", _("no outcome yet")
        PLEDGED = "pledged", _("pledged a commitment")
        RESOLVED = "resolved", _("resolved on the spot")
        REFERRED = "referred", _("referred to a petition case")
        NOT_ACTIONABLE = "not_actionable", _("not actionable")

    # Outcome changes allowed; a supervisor may send a "not actionable" back for another look.
    OUTCOME_TRANSITIONS = {
        Outcome.NONE: {Outcome.PLEDGED, Outcome.RESOLVED, Outcome.REFERRED, Outcome.NOT_ACTIONABLE},
        Outcome.NOT_ACTIONABLE: {Outcome.NONE},
    }

    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="concerns",
        help_text=_("Empty for a village-level concern (e.g. raised at a forum)."),
    )
    village = models.ForeignKey(
        Region,
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="concerns",
        limit_choices_to={"level": Region.Level.VILLAGE},
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.VISIT)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    text = models.TextField(_("what the resident needs"))
    raised_by = models.ForeignKey(
        Cadre, verbose_name=_("recorded by cadre"), null=True, blank=True, on_delete=models.PROTECT
    )
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.NONE)
    outcome_note = models.TextField(_("outcome note"), blank=True)
    outcome_at = models.DateTimeField(_("outcome at"), null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("outcome recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    petition_case = models.ForeignKey(
        "PetitionCase",
        verbose_name=_("petition case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="concerns",
    )

    objects = ConcernQuerySet.as_manager()

    class Meta:
        verbose_name = _("concern")
        verbose_name_plural = _("concerns")
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="concern_outcome_valid",
                condition=Q(outcome__in=["none", "pledged", "resolved", "referred", "not_actionable"]),
            ),
            models.CheckConstraint(
                name="concern_outcome_stamped",
                condition=Q(outcome="none", outcome_at__isnull=True) | (~Q(outcome="none") & Q(outcome_at__isnull=False)),
            ),
            models.CheckConstraint(
                name="concern_outcome_explained",
                condition=~Q(outcome__in=["resolved", "not_actionable"]) | ~Q(outcome_note=""),
            ),
            models.CheckConstraint(
                name="concern_referral_has_case",
                condition=~Q(outcome="referred") | Q(petition_case__isnull=False),
            ),
        ]
        indexes = [
            # "Recorded but never acted on": the sweep and the dashboard scan only open concerns.
            models.Index(fields=["raised_at"], condition=Q(outcome="none"), name="concern_no_outcome_idx"),
            # Household page: its concerns, newest first.
            models.Index(fields=["household", "-raised_at"], name="concern_household_idx"),
            # Concerns by category and region with their trend (dashboard).
            models.Index(fields=["village", "category", "raised_at"], name="concern_village_cat_idx"),
        ]

    def __str__(self):
        return self.text[:40]

    def clean(self):
        if self.household_id and self.village_id and self.household.village_id != self.village_id:
            raise ValidationError({"village": _("The household lives in another village.")})

    @classmethod
    def outcome_values(cls, outcome: str, *, by, note: str = "", petition_case=None, at) -> dict:
        """The fields an outcome stamps, once it is complete: what was done or why not (resolved,
        not actionable), the petition case (referred). Raises ValidationError otherwise."""
        if outcome in (cls.Outcome.RESOLVED, cls.Outcome.NOT_ACTIONABLE) and not note.strip():
            raise ValidationError({"outcome_note": _("Say what was done, or why it is not actionable.")})
        if outcome == cls.Outcome.REFERRED and petition_case is None:
            raise ValidationError({"petition_case": _("Choose the petition case it was referred to.")})
        reached = outcome != cls.Outcome.NONE
        return {
            "outcome_note": note.strip() if reached else "",
            "outcome_at": at if reached else None,
            "outcome_by": by if reached else None,
            "petition_case": petition_case,
        }

    @transaction.atomic
    def set_outcome(self, outcome: str, *, by, note: str = "", petition_case=None, at=None):
        """The one way an outcome changes: checks the map, stamps it and writes history."""
        at = at or timezone.now()
        updates = self.outcome_values(outcome, by=by, note=note, petition_case=petition_case, at=at)
        old = change_status(self, field="outcome", to=outcome, transitions=self.OUTCOME_TRANSITIONS, updates=updates)
        ConcernHistory.objects.create(concern=self, from_outcome=old, to_outcome=outcome, by=by, at=at, note=note.strip())


class ConcernHistory(StatusChange):
    concern = models.ForeignKey(
        Concern, verbose_name=_("concern"), on_delete=models.CASCADE, related_name="history"
    )
    from_outcome = models.CharField(_("from"), max_length=16, choices=Concern.Outcome.choices)
    to_outcome = models.CharField(_("to"), max_length=16, choices=Concern.Outcome.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta(StatusChange.Meta):
        verbose_name = _("concern outcome change")
        verbose_name_plural = _("concern outcome changes")

    def __str__(self):
        return f"{self.concern_id}: {self.from_outcome} → {self.to_outcome}"


class CommitmentQuerySet(ScopedQuerySet, models.QuerySet):
    def visible_to(self, access: Access):
        if access.is_admin:
            return self.all()
        own = (
            (Q(owner_id=access.cadre_id) if access.cadre_id else Q(pk__in=[]))
            | Q(household_id__in=access.household_ids)
            | Q(village_id__in=access.village_ids)
        )
        return self.filter(_scope_q(access, village="village", own=own))

    def open(self):
        return self.filter(status__in=Commitment.OPEN_STATES)

    def overdue(self, now=None):
        """Derived, never stored: open and past due."""
        return self.open().filter(due_at__lt=now or timezone.now())


class Commitment(models.Model):
    """承诺事项: a pledged follow-up with a deadline."""

    class Status(models.TextChoices):
        PLEDGED = "pledged", _("pledged")
        IN_PROGRESS = "in_progress", _("in progress")
        REPORTED_DONE = "reported_done", _("reported done")
        REOPENED = "reopened", _("reopened")
        CONFIRMED = "confirmed", _("confirmed")
        CANCELLED = "cancelled", _("cancelled")

    OPEN_STATES = ("pledged", "in_progress", "reported_done", "reopened")
    TRANSITIONS = {
        Status.PLEDGED: {Status.IN_PROGRESS, Status.REPORTED_DONE, Status.CANCELLED},
        Status.IN_PROGRESS: {Status.REPORTED_DONE, Status.CANCELLED},
        Status.REPORTED_DONE: {Status.CONFIRMED, Status.REOPENED, Status.CANCELLED},
        Status.REOPENED: {Status.IN_PROGRESS, Status.REPORTED_DONE, Status.CANCELLED},
        Status.CONFIRMED: set(),
        Status.CANCELLED: set(),
    }
    # Moving to these states must say why.
    NEEDS_REASON = {Status.CANCELLED, Status.REOPENED}

    concern = models.OneToOneField(
        Concern, verbose_name=_("origin concern"), on_delete=models.PROTECT, related_name="commitment"
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commitments",
    )
    # Copied from the concern so that scoping and dashboards need no join through it.
    village = models.ForeignKey(Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        Cadre, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="commitments"
    )
    pledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("pledged by"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("what was pledged"))
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    pledged_at = models.DateTimeField(_("pledged at"), default=timezone.now)
    original_due_at = models.DateTimeField(_("original due date"))
    due_at = models.DateTimeField(_("due date"))
    extension_count = models.PositiveSmallIntegerField(_("extensions"), default=0)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.PLEDGED)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    last_progress_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    petition_case = models.ForeignKey(
        "PetitionCase",
        verbose_name=_("petition case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commitments",
    )

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["due_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="commitment_status_valid",
                condition=Q(
                    status__in=["pledged", "in_progress", "reported_done", "reopened", "confirmed", "cancelled"]
                ),
            ),
            models.CheckConstraint(name="commitment_due_after_pledge", condition=Q(original_due_at__gte=F("pledged_at"))),
            models.CheckConstraint(name="commitment_extension_not_earlier", condition=Q(due_at__gte=F("original_due_at"))),
            models.CheckConstraint(
                name="commitment_closed_stamped",
                condition=(
                    Q(status__in=["confirmed", "cancelled"], closed_at__isnull=False)
                    | (~Q(status__in=["confirmed", "cancelled"]) & Q(closed_at__isnull=True))
                ),
            ),
        ]
        indexes = [
            # The overdue sweep: open commitments by due date (catch-up scan from a watermark).
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=["pledged", "in_progress", "reported_done", "reopened"]),
                name="commitment_open_due_idx",
            ),
            # The sweep's "no progress for N days" rung: open commitments by their last activity.
            models.Index(
                Coalesce("last_progress_at", "pledged_at"),
                condition=Q(status__in=["pledged", "in_progress", "reported_done", "reopened"]),
                name="commitment_open_idle_idx",
            ),
            # "My commitments" on a cadre's home, by due date.
            models.Index(fields=["owner", "status", "due_at"], name="commitment_owner_idx"),
            # Household page and dashboards by region.
            models.Index(fields=["household", "-pledged_at"], name="commitment_household_idx"),
            models.Index(fields=["village", "due_at"], name="commitment_village_due_idx"),
            # A period's pledges due, a page at a time (the list behind on-time fulfilment): a
            # city's first page without sorting its quarter's pledges.
            models.Index(fields=["due_at", "id"], name="commitment_due_idx"),
            # The overdue report of a township or a village: its open commitments by due date,
            # without reading the closed ones (six in seven) that the index above also holds.
            models.Index(
                fields=["village", "due_at"],
                condition=Q(status__in=["pledged", "in_progress", "reported_done", "reopened"]),
                name="commitment_open_village_idx",
            ),
            # The supervisor's queue: completions waiting for verification, oldest first.
            models.Index(
                fields=["status_changed_at"], condition=Q(status="reported_done"), name="commitment_to_verify_idx"
            ),
        ]

    def __str__(self):
        return self.text[:40]

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATES

    def is_overdue(self, now=None) -> bool:
        return self.is_open and (now or timezone.now()) > self.due_at

    def overdue_days(self, now=None) -> int:
        """Whole days past due, counted from the due date itself."""
        if not self.is_overdue(now):
            return 0
        return ((now or timezone.now()) - self.due_at).days

    @transaction.atomic
    def transition(self, to: str, *, by, reason: str = "", at=None):
        """The one way status changes: checks the map, guards against races, writes history."""
        at = at or timezone.now()
        if to in self.NEEDS_REASON and not reason.strip():
            raise ValidationError({"reason": _("Give a reason for this change.")})
        closed_at = at if to in (self.Status.CONFIRMED, self.Status.CANCELLED) else None
        old = change_status(
            self,
            field="status",
            to=to,
            transitions=self.TRANSITIONS,
            updates={"status_changed_at": at, "closed_at": closed_at},
        )
        CommitmentTransition.objects.create(
            commitment=self, from_status=old, to_status=to, by=by, at=at, reason=reason.strip()
        )


class CommitmentTransition(StatusChange):
    """History: who moved a commitment from which state to which, when and why."""

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(_("from"), max_length=14, choices=Commitment.Status.choices)
    to_status = models.CharField(_("to"), max_length=14, choices=Commitment.Status.choices)
    reason = models.TextField(_("reason"), blank=True)

    class Meta(StatusChange.Meta):
        verbose_name = _("commitment status change")
        verbose_name_plural = _("commitment status changes")

    def __str__(self):
        return f"{self.commitment_id}: {self.from_status} → {self.to_status}"


class CommitmentProgress(models.Model):
    """A progress update on the commitment's timeline."""

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.CASCADE, related_name="progress_updates"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    text = models.TextField(_("progress"))
    evidence = models.FileField(_("evidence"), upload_to="commitments/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["at", "pk"]

    def __str__(self):
        return self.text[:40]


class CommitmentRequestQuerySet(ScopedQuerySet, models.QuerySet):
    def visible_to(self, access: Access):
        """A request is seen by whoever sees its commitment."""
        return self.filter(commitment__in=Commitment.objects.visible_to(access))


class CommitmentRequest(models.Model):
    """An extension or a cancellation, asked by the owner and decided by a supervisor."""

    class Kind(models.TextChoices):
        EXTENSION = "extension", _("extension")
        CANCELLATION = "cancellation", _("cancellation")

    class Decision(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.CASCADE, related_name="requests"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    reason = models.TextField(_("reason"))
    proposed_due_at = models.DateTimeField(_("proposed due date"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)


    objects = CommitmentRequestQuerySet.as_manager()
    class Meta:
        verbose_name = _("commitment request")
        verbose_name_plural = _("commitment requests")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="commitment_request_extension_has_date",
                condition=Q(kind="extension", proposed_due_at__isnull=False) | Q(kind="cancellation"),
            ),
            models.CheckConstraint(name="commitment_request_reason_given", condition=~Q(reason="")),
            models.CheckConstraint(
                name="commitment_request_decided_stamped",
                condition=Q(decision="pending", decided_at__isnull=True)
                | (~Q(decision="pending") & Q(decided_at__isnull=False)),
            ),
            # One pending request of each kind per commitment.
            models.UniqueConstraint(
                fields=["commitment", "kind"],
                condition=Q(decision="pending"),
                name="commitment_request_one_pending",
            ),
        ]
        indexes = [
            # The supervisor's approval queue.
            models.Index(fields=["requested_at"], condition=Q(decision="pending"), name="commitment_request_pending_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.commitment}"


def generate_code() -> str:
    """Eight characters from an alphabet without look-alikes (no 0/O, 1/I/L)."""
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class ResidentCode(models.Model):
    """A one-time code a resident uses, without an account, to confirm and rate one item.

    Serves commitments here and visits (which point to their code) in the visits app.
    """

    class Purpose(models.TextChoices):
        VISIT = "visit", _("visit")
        COMMITMENT = "commitment", _("commitment")

    class Rating(models.TextChoices):
        SATISFIED = "satisfied", _("satisfied")
        BASICALLY_SATISFIED = "basically", _("basically satisfied")
        DISSATISFIED = "dissatisfied", _("dissatisfied")

    code = models.CharField(_("confirmation code"), max_length=16, unique=True, default=generate_code)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    commitment = models.ForeignKey(
        Commitment,
        verbose_name=_("commitment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="resident_codes",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("resident confirmation code")
        verbose_name_plural = _("resident confirmation codes")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="resident_code_target",
                condition=Q(purpose="commitment", commitment__isnull=False) | Q(purpose="visit", commitment__isnull=True),
            ),
            models.CheckConstraint(
                name="resident_code_used_rated",
                condition=Q(used_at__isnull=True, rating="") | Q(used_at__isnull=False) & ~Q(rating=""),
            ),
            models.CheckConstraint(name="resident_code_expiry_after_creation", condition=Q(expires_at__gt=F("created_at"))),
        ]

    def __str__(self):
        return self.code

    def is_usable(self, now=None) -> bool:
        return self.used_at is None and (now or timezone.now()) < self.expires_at


class PetitionCaseQuerySet(ScopedQuerySet, models.QuerySet):
    def visible_to(self, access: Access):
        if access.is_admin:
            return self.all()
        # Petitioners' data is sensitive: cadres see only the cases they own as leader.
        own = Q(owning_leader_id=access.cadre_id) if access.cadre_id else Q(pk__in=[])
        return self.filter(_scope_q(access, village="village", own=own))


class PetitionCase(models.Model):
    """信访件, with the statutory clocks of the 2022 petition regulations."""

    ACCEPT_DAYS = 15
    HANDLE_DAYS = 60
    MAX_EXTENSION_DAYS = 30
    REVIEW_DAYS = 30

    class Channel(models.TextChoices):
        VISIT = "visit", _("in person")
        LETTER = "letter", _("letter")
        PHONE = "phone", _("phone")
        ONLINE = "online", _("online")
        RECEPTION_DAY = "reception_day", _("leaders' reception day")
        FORWARDED = "forwarded", _("forwarded")

    class Status(models.TextChoices):
        REGISTERED = "registered", _("registered")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        REPLIED = "replied", _("replied")
        UNDER_REVIEW = "under_review", _("under review")
        CLOSED = "closed", _("closed")

    OPEN_STATES = ("registered", "accepted", "under_review")
    TRANSITIONS = {
        Status.REGISTERED: {Status.ACCEPTED, Status.DECLINED},
        Status.ACCEPTED: {Status.REPLIED},
        Status.REPLIED: {Status.CLOSED, Status.UNDER_REVIEW},
        Status.UNDER_REVIEW: {Status.REPLIED},
        Status.DECLINED: {Status.UNDER_REVIEW},
        Status.CLOSED: {Status.UNDER_REVIEW},
    }

    class Evaluation(models.TextChoices):
        SATISFIED = "satisfied", _("satisfied")
        BASICALLY_SATISFIED = "basically", _("basically satisfied")
        DISSATISFIED = "dissatisfied", _("dissatisfied")

    petitioner_name = models.CharField(_("petitioner"), max_length=50)
    petitioner_household = models.ForeignKey(
        Household, verbose_name=_("petitioner's household"), null=True, blank=True, on_delete=models.PROTECT
    )
    petitioner_phone_masked = models.CharField(_("phone (masked)"), max_length=20, blank=True)
    village = models.ForeignKey(
        Region,
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": Region.Level.VILLAGE},
    )
    channel = models.CharField(_("channel"), max_length=14, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=200)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT)
    content = models.TextField(_("content"))
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    accept_due_at = models.DateTimeField(_("accept or decline by"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    handle_due_at = models.DateTimeField(_("handle by"), null=True, blank=True)
    extension_days = models.PositiveSmallIntegerField(_("extension (days)"), default=0)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    reply = models.TextField(_("reply"), blank=True)
    evaluation = models.CharField(_("petitioner's evaluation"), max_length=12, choices=Evaluation.choices, blank=True)
    review_due_at = models.DateTimeField(_("review due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.REGISTERED)
    owning_leader = models.ForeignKey(
        Cadre, verbose_name=_("owning leader"), on_delete=models.PROTECT, related_name="petition_cases"
    )
    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("repeat of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="repeats",
        help_text=_("The earlier case of the same person on the same matter."),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = PetitionCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("petition case")
        verbose_name_plural = _("petition cases")
        ordering = ["-registered_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="petition_status_valid",
                condition=Q(status__in=["registered", "accepted", "declined", "replied", "under_review", "closed"]),
            ),
            models.CheckConstraint(name="petition_extension_max_30", condition=Q(extension_days__lte=30)),
            models.CheckConstraint(
                name="petition_accept_due_after_registration", condition=Q(accept_due_at__gt=F("registered_at"))
            ),
            models.CheckConstraint(
                name="petition_not_repeat_of_itself", condition=~Q(repeat_of=F("pk"))
            ),
        ]
        indexes = [
            # Statutory clocks: open cases by their acceptance and handling deadlines.
            models.Index(fields=["accept_due_at"], condition=Q(status="registered"), name="petition_accept_due_idx"),
            models.Index(fields=["handle_due_at"], condition=Q(status="accepted"), name="petition_handle_due_idx"),
            # Cases by region for dashboards and the owning leader's list.
            models.Index(fields=["village", "registered_at"], name="petition_village_idx"),
            models.Index(fields=["owning_leader", "status"], name="petition_leader_idx"),
        ]

    def __str__(self):
        return self.subject

    def _clock_stamps(self, to: str, at) -> dict:
        """The statutory clocks a status change starts or stops (calendar days)."""
        stamps = {"closed_at": at if to == self.Status.CLOSED else None}
        if to == self.Status.ACCEPTED:
            stamps |= {"accepted_at": at, "handle_due_at": at + timedelta(days=self.HANDLE_DAYS)}
        elif to == self.Status.REPLIED:
            stamps["replied_at"] = at
        elif to == self.Status.UNDER_REVIEW:
            stamps["review_due_at"] = at + timedelta(days=self.REVIEW_DAYS)
        return stamps

    @transaction.atomic
    def transition(self, to: str, *, by, note: str = "", at=None):
        at = at or timezone.now()
        if to in (self.Status.DECLINED, self.Status.UNDER_REVIEW) and not note.strip():
            raise ValidationError({"note": _("Give a reason for this change.")})
        old = change_status(self, field="status", to=to, transitions=self.TRANSITIONS, updates=self._clock_stamps(to, at))
        PetitionEvent.objects.create(
            case=self, kind=PetitionEvent.Kind.STATUS, from_status=old, to_status=to, by=by, at=at, note=note.strip()
        )


class PetitionUnit(models.Model):
    """A unit responsible for part of a case, with its own sub-deadline."""

    class Role(models.TextChoices):
        PRIMARY = "primary", _("primary responsibility")
        SECONDARY = "secondary", _("secondary responsibility")

    case = models.ForeignKey(
        PetitionCase, verbose_name=_("petition case"), on_delete=models.CASCADE, related_name="units"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    due_at = models.DateTimeField(_("due date"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("responsible unit")
        verbose_name_plural = _("responsible units")
        ordering = ["role", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "unit"], name="petition_unit_unique"),
            models.UniqueConstraint(
                fields=["case"], condition=Q(role="primary"), name="petition_unit_one_primary"
            ),
        ]

    def __str__(self):
        return f"{self.unit} ({self.get_role_display()})"


class PetitionEvent(StatusChange):
    """The timeline of a case: status changes, reassignments, notes."""

    class Kind(models.TextChoices):
        STATUS = "status", _("status change")
        REASSIGNMENT = "reassignment", _("reassignment of the owning leader")
        NOTE = "note", _("note")

    case = models.ForeignKey(
        PetitionCase, verbose_name=_("petition case"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    from_status = models.CharField(_("from"), max_length=14, choices=PetitionCase.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=14, choices=PetitionCase.Status.choices, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta(StatusChange.Meta):
        verbose_name = _("petition case event")
        verbose_name_plural = _("petition case events")

    def __str__(self):
        return f"{self.case_id}: {self.get_kind_display()}"
