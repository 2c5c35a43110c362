"""Oversight: escalations of overdue work, supervision reports, accountability and exemptions."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre, Unit
from casework.models import Commitment, Concern, PetitionCase
from households.access import Access, ScopedQuerySet, path_q
from households.history import StatusChange, change_status
from households.models import Region
from visits.models import Visit


class EscalationRule(models.Model):
    """One rung of the escalation ladder, configured by administrators."""

    class Subject(models.TextChoices):
        COMMITMENT = "commitment", _("commitment")
        CONCERN = "concern", _("concern without an outcome")
        STALLED = "stalled", _("commitment without progress")
        PETITION = "petition", _("petition case")

    class Audience(models.TextChoices):
        OWNER = "owner", _("the owner")
        SUPERVISOR = "supervisor", _("the owner and their direct supervisor")
        NEXT_SUPERVISOR = "next_supervisor", _("the next supervisor up")
        INSPECTORS = "inspectors", _("the discipline inspectors' queue")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    subject = models.CharField(_("applies to"), max_length=10, choices=Subject.choices)
    offset_days = models.SmallIntegerField(
        _("days"),
        help_text=_(
            "Counted from the due date for commitments and petition cases (negative for a reminder "
            "before it), from when it was raised for a concern without an outcome, and from the last "
            "progress update for a commitment without progress."
        ),
    )
    working_days = models.BooleanField(_("count working days"), default=False)
    audience = models.CharField(_("notify"), max_length=16, choices=Audience.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")
        ordering = ["subject", "offset_days"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "offset_days"], name="escalation_rule_unique_rung"),
            models.CheckConstraint(
                name="escalation_rule_subject_valid",
                condition=Q(subject__in=["commitment", "concern", "stalled", "petition"]),
            ),
        ]

    def __str__(self):
        return self.name


class SweepWatermark(models.Model):
    """How far the overdue sweep has got for one rung, so that an idle sweep reads almost nothing.

    ``reached_until``: every item whose anchor (due date, raised at…) is at or before it has been
    swept for this rung. ``last_item_id``: the highest item id seen, so that items created later
    with an anchor already behind the watermark (a back-dated pledge) are still found.
    """

    rule = models.OneToOneField(
        EscalationRule, verbose_name=_("rung"), on_delete=models.CASCADE, primary_key=True, related_name="watermark"
    )
    reached_until = models.DateTimeField(_("swept up to"), null=True, blank=True)
    last_item_id = models.BigIntegerField(_("last item id seen"), default=0)
    swept_at = models.DateTimeField(_("last swept at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sweep watermark")
        verbose_name_plural = _("sweep watermarks")

    def __str__(self):
        return f"{self.rule} · {self.reached_until}"


class RobotWebhook(models.Model):
    """A group chat robot (WeCom or DingTalk style) that hears the escalations of one region."""

    class Kind(models.TextChoices):
        WECOM = "wecom", _("WeCom group robot")
        DINGTALK = "dingtalk", _("DingTalk group robot")

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.WECOM)
    # Only web addresses: the sender opens it with urllib, which would also read ftp:// or file://.
    url = models.URLField(_("webhook address"), max_length=500, validators=[URLValidator(schemes=["http", "https"])])
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        ordering = ["region__path", "name"]
        constraints = [
            models.CheckConstraint(name="robot_webhook_kind_valid", condition=Q(kind__in=["wecom", "dingtalk"])),
        ]

    def __str__(self):
        return self.name


class EscalationQuerySet(ScopedQuerySet, models.QuerySet):
    def visible_to(self, access: Access):
        if access.is_admin:
            return self.all()
        own = Q(pk__in=[])
        if access.cadre_id:
            own = (
                Q(commitment__owner_id=access.cadre_id)
                | Q(concern__raised_by_id=access.cadre_id)
                | Q(petition_case__owning_leader_id=access.cadre_id)
            )
        return self.filter(own | path_q("village__path", access.scope_paths))


class Escalation(models.Model):
    """One row per (item, rung), written by the overdue sweep; also the notification outbox."""

    class Delivery(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed, will retry")

    rule = models.ForeignKey(EscalationRule, verbose_name=_("rung"), on_delete=models.PROTECT, related_name="+")
    # No single-column indexes on the item columns: the unique (item, rung) indexes below lead
    # with them and serve every lookup by item, and each index less is a write less per row the
    # sweep inserts (about 15% of a 20,000-row sweep).
    commitment = models.ForeignKey(
        Commitment,
        verbose_name=_("commitment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalations",
        db_index=False,
    )
    concern = models.ForeignKey(
        Concern,
        verbose_name=_("concern"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalations",
        db_index=False,
    )
    petition_case = models.ForeignKey(
        PetitionCase,
        verbose_name=_("petition case"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalations",
        db_index=False,
    )
    village = models.ForeignKey(Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    # When the item reached this rung (e.g. its due date), not when a job noticed.
    due_at = models.DateTimeField(_("reached at"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivery = models.CharField(_("delivery"), max_length=8, choices=Delivery.choices, default=Delivery.PENDING)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    retry_at = models.DateTimeField(_("retry at"), null=True, blank=True)
    # Channels already delivered ("inbox email robot"), so that a retry repeats only the failed ones.
    channels_done = models.CharField(_("channels delivered"), max_length=40, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    objects = EscalationQuerySet.as_manager()

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-due_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="escalation_exactly_one_item",
                condition=(
                    Q(commitment__isnull=False, concern__isnull=True, petition_case__isnull=True)
                    | Q(commitment__isnull=True, concern__isnull=False, petition_case__isnull=True)
                    | Q(commitment__isnull=True, concern__isnull=True, petition_case__isnull=False)
                ),
            ),
            # Overlapping sweeps, duplicated beats and retries insert each (item, rung) once.
            models.UniqueConstraint(
                fields=["commitment", "rule"], condition=Q(commitment__isnull=False), name="escalation_once_per_commitment"
            ),
            models.UniqueConstraint(
                fields=["concern", "rule"], condition=Q(concern__isnull=False), name="escalation_once_per_concern"
            ),
            models.UniqueConstraint(
                fields=["petition_case", "rule"],
                condition=Q(petition_case__isnull=False),
                name="escalation_once_per_petition",
            ),
        ]
        indexes = [
            # The sender claims rows still to be delivered (and rows whose sender died mid-way).
            models.Index(
                fields=["created_at"],
                condition=Q(delivery__in=["pending", "failed", "sending"]),
                name="escalation_outbox_idx",
            ),
            # The inspectors' queue and escalation-level filters, by region.
            models.Index(fields=["village", "rule", "due_at"], name="escalation_village_idx"),
        ]

    def __str__(self):
        return f"{self.rule} · {self.item}"

    @property
    def item(self):
        return self.commitment or self.concern or self.petition_case


class EscalationLevel(models.Model):
    """The highest rung of the commitment ladder (rungs for commitments, ranked by their days)
    that a commitment has reached: the escalation level of its Escalation rows, kept as one row
    per escalated commitment so that an export of a million rows reads one narrow table instead
    of every rung's rows. Written with the escalation rows (``services.escalations_sweep``) and
    put right by ``services.escalation_levels_repair`` whenever the ladder or the rows change
    otherwise. Never lowered by the sweep: escalation rows stay when a pledge is extended,
    reopened or closed, and so does the level they reached.

    No foreign keys in the database: checked row by row when the sweep commits, the two of them
    took as long as writing the rows (about 0.8 s of a 20,000-item sweep). The rows they would
    guard are guarded already: Django deletes a commitment's level with it and keeps a rung with
    escalation rows; the escalation rows this one follows have their keys; and the repair drops
    the level of a commitment that has no escalation rows left."""

    commitment = models.OneToOneField(
        Commitment,
        verbose_name=_("commitment"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="escalation_level",
        db_constraint=False,
    )
    # Unindexed: only deleting a rung looks rows up by it.
    rule = models.ForeignKey(
        EscalationRule,
        verbose_name=_("rung"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")

    def __str__(self):
        return f"{self.commitment_id} · {self.rule_id}"


class SupervisionReportQuerySet(ScopedQuerySet, models.QuerySet):
    def visible_to(self, access: Access):
        if access.is_admin:
            return self.all()
        q = Q(author_id=access.user_id) | path_q("region__path", access.scope_paths)
        if access.cadre_id:
            # An issued report is shown to the cadres its findings name.
            q |= Q(status=SupervisionReport.Status.ISSUED, findings__cadre_id=access.cadre_id)
        return self.filter(q).distinct()


class SupervisionReport(models.Model):
    """督查报告: what a supervisor found in a region over a period."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ISSUED = "issued", _("issued")

    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    summary = models.TextField(_("summary"), blank=True)
    rectification_due = models.DateField(_("rectification deadline"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = SupervisionReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("supervision report")
        verbose_name_plural = _("supervision reports")
        ordering = ["-period_end", "-pk"]
        constraints = [
            models.CheckConstraint(name="report_period_ordered", condition=Q(period_end__gte=F("period_start"))),
            models.CheckConstraint(
                name="report_issued_stamped",
                condition=Q(status="draft", issued_at__isnull=True) | Q(status="issued", issued_at__isnull=False),
            ),
        ]

    def __str__(self):
        return self.title

    @transaction.atomic
    def issue(self, *, by, at=None):
        """Draft → issued, once; the issuer and time are the history. Read-only afterwards."""
        change_status(
            self,
            field="status",
            to=self.Status.ISSUED,
            transitions={self.Status.DRAFT: {self.Status.ISSUED}},
            updates={"issued_at": at or timezone.now(), "issued_by": by},
        )


class Finding(models.Model):
    report = models.ForeignKey(
        SupervisionReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="findings"
    )
    text = models.TextField(_("finding"))
    cadre = models.ForeignKey(Cadre, verbose_name=_("cadre"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(Visit, verbose_name=_("visit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    petition_case = models.ForeignKey(
        PetitionCase, verbose_name=_("petition case"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["report", "pk"]

    def __str__(self):
        return self.text[:40]


class AccountabilityActionQuerySet(ScopedQuerySet, models.QuerySet):
    def visible_to(self, access: Access):
        if access.is_admin:
            return self.all()
        q = Q(created_by_id=access.user_id) | path_q("region__path", access.scope_paths)
        if access.cadre_id:
            q |= Q(subject_cadre_id=access.cadre_id)
        return self.filter(q)


class AccountabilityAction(models.Model):
    """问责: an action taken against a cadre or a unit, on stated grounds."""

    class Form(models.TextChoices):
        CRITICISM = "criticism", _("criticism and education")
        REMINDER_TALK = "reminder_talk", _("reminder talk")
        SELF_EXAMINATION = "self_examination", _("ordered self-examination")
        CIRCULATED = "circulated", _("circulated criticism")
        ADMONITION = "admonition", _("admonition")
        ORGANISATIONAL = "organisational", _("organisational adjustment")
        DISCIPLINARY = "disciplinary", _("referral for disciplinary sanction")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        DECIDED = "decided", _("decided")
        EXECUTED = "executed", _("executed")
        REVOKED = "revoked", _("revoked")

    TRANSITIONS = {
        Status.PROPOSED: {Status.DECIDED, Status.REVOKED},
        Status.DECIDED: {Status.EXECUTED, Status.REVOKED},
        Status.EXECUTED: {Status.REVOKED},
        Status.REVOKED: set(),
    }

    subject_cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), null=True, blank=True, on_delete=models.PROTECT, related_name="accountability_actions"
    )
    subject_unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    form = models.CharField(_("form"), max_length=18, choices=Form.choices)
    grounds = models.TextField(_("grounds"))
    commitments = models.ManyToManyField(Commitment, verbose_name=_("overdue commitments"), blank=True, related_name="+")
    findings = models.ManyToManyField(Finding, verbose_name=_("findings"), blank=True, related_name="actions")
    deciding_body = models.CharField(_("deciding body"), max_length=100, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = AccountabilityActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("accountability action")
        verbose_name_plural = _("accountability actions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="action_has_subject", condition=Q(subject_cadre__isnull=False) | Q(subject_unit__isnull=False)
            ),
            models.CheckConstraint(name="action_grounds_given", condition=~Q(grounds="")),
            models.CheckConstraint(
                name="action_decision_dated",
                condition=Q(status__in=["proposed", "revoked"]) | Q(decided_on__isnull=False),
            ),
        ]
        indexes = [
            # A cadre's accountability history (performance archive).
            models.Index(fields=["subject_cadre", "-created_at"], name="action_cadre_idx"),
        ]

    def __str__(self):
        return f"{self.get_form_display()} · {self.subject_cadre or self.subject_unit}"

    @transaction.atomic
    def transition(self, to: str, *, by, note: str = "", at=None):
        if to == self.Status.DECIDED and not self.decided_on:
            raise ValidationError({"decided_on": _("Give the date of the decision.")})
        if to == self.Status.REVOKED and not note.strip():
            raise ValidationError({"note": _("Give a reason for revoking the action.")})
        old = change_status(self, field="status", to=to, transitions=self.TRANSITIONS)
        ActionStatusChange.objects.create(
            action=self, from_status=old, to_status=to, by=by, at=at or timezone.now(), note=note.strip()
        )


class ActionStatusChange(StatusChange):
    action = models.ForeignKey(
        AccountabilityAction, verbose_name=_("action"), on_delete=models.CASCADE, related_name="history"
    )
    from_status = models.CharField(_("from"), max_length=10, choices=AccountabilityAction.Status.choices)
    to_status = models.CharField(_("to"), max_length=10, choices=AccountabilityAction.Status.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta(StatusChange.Meta):
        verbose_name = _("action status change")
        verbose_name_plural = _("action status changes")

    def __str__(self):
        return f"{self.action_id}: {self.from_status} → {self.to_status}"


class ExemptionRequestQuerySet(ScopedQuerySet, models.QuerySet):
    def visible_to(self, access: Access):
        if access.is_admin:
            return self.all()
        return self.filter(
            Q(requested_by_id=access.user_id) | Q(action__in=AccountabilityAction.objects.visible_to(access))
        )


class ExemptionRequest(models.Model):
    """容错免责: a request that an action be waived, and a reviewer's decision."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("pending")
        GRANTED = "granted", _("granted")
        REFUSED = "refused", _("refused")

    action = models.ForeignKey(
        AccountabilityAction, verbose_name=_("action"), on_delete=models.CASCADE, related_name="exemption_requests"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+")
    grounds = models.TextField(_("grounds"))
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices, default=Decision.PENDING)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    objects = ExemptionRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("exemption request")
        verbose_name_plural = _("exemption requests")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(name="exemption_grounds_given", condition=~Q(grounds="")),
            models.CheckConstraint(
                name="exemption_decision_stamped",
                condition=Q(decision="pending", decided_at__isnull=True, reviewer__isnull=True)
                | (~Q(decision="pending") & Q(decided_at__isnull=False, reviewer__isnull=False)),
            ),
            models.UniqueConstraint(fields=["action"], condition=Q(decision="pending"), name="exemption_one_pending"),
        ]

    def __str__(self):
        return f"{self.action} · {self.get_decision_display()}"

    @transaction.atomic
    def decide(self, decision: str, *, by, note: str = "", at=None):
        """Pending → granted or refused, once; the reviewer and time are the history."""
        change_status(
            self,
            field="decision",
            to=decision,
            transitions={self.Decision.PENDING: {self.Decision.GRANTED, self.Decision.REFUSED}},
            updates={"reviewer": by, "decided_at": at or timezone.now(), "decision_note": note.strip()},
        )


class ActionSnapshot(models.Model):
    """An overdue-report snapshot attached to an action as grounds.

    Snapshots belong to the reports app, which sits above this one: a foreign key would make
    accountability depend on reports. The link is kept here by the snapshot's id, and the
    reports side, which knows both, checks the snapshot is in the viewer's scope before
    attaching it and resolves the id when showing it. Snapshots are never changed or deleted.
    """

    action = models.ForeignKey(
        AccountabilityAction, verbose_name=_("action"), on_delete=models.CASCADE, related_name="snapshot_links"
    )
    snapshot_id = models.PositiveBigIntegerField(_("snapshot"))
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("attached by"), on_delete=models.PROTECT, related_name="+"
    )
    attached_at = models.DateTimeField(_("attached at"), default=timezone.now)

    class Meta:
        verbose_name = _("attached snapshot")
        verbose_name_plural = _("attached snapshots")
        ordering = ["action", "attached_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["action", "snapshot_id"], name="action_snapshot_once"),
        ]
        indexes = [
            # The snapshot page lists the actions it is attached to.
            models.Index(fields=["snapshot_id"], name="action_snapshot_idx"),
        ]

    def __str__(self):
        return f"{self.action_id} · {self.snapshot_id}"


class NoticeQuerySet(ScopedQuerySet, models.QuerySet):
    def visible_to(self, access: Access):
        if access.is_admin:
            return self.all()
        q = Q(created_by_id=access.user_id) | path_q("region__path", access.scope_paths)
        if access.cadre_id:
            # A circulated notice reaches the cadres it names.
            q |= Q(actions__subject_cadre_id=access.cadre_id)
        return self.filter(q).distinct()


class Notice(models.Model):
    """通报: a circulated notice of accountability actions, issued as a numbered document."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("document number"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=200)
    issuer = models.CharField(_("issued by (body)"), max_length=100)
    body = models.TextField(_("text"))
    issued_on = models.DateField(_("date of issue"))
    actions = models.ManyToManyField(
        AccountabilityAction, verbose_name=_("accountability actions"), related_name="notices"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("circulated notice")
        verbose_name_plural = _("circulated notices")
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.CheckConstraint(name="notice_text_given", condition=~Q(title="") & ~Q(body="") & ~Q(number="")),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"
