from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.access import Access, ScopedQuerySet, path_q
from households.models import Household, Region


class UnitQuerySet(ScopedQuerySet, models.QuerySet):
    def visible_to(self, access: Access):
        # Units are the organisation chart, not personal data: every signed-in user reads them.
        return self.all() if access.user_id else self.none()


class Unit(models.Model):
    """A work unit or department (单位/部门)."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=30, unique=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="units",
        help_text=_("The region whose government the unit belongs to."),
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["region__path", "name"]

    def __str__(self):
        return self.name


class CadreQuerySet(ScopedQuerySet, models.QuerySet):
    def visible_to(self, access: Access):
        if access.is_admin:
            return self.all()
        q = Q(pk=access.cadre_id) if access.cadre_id else Q(pk__in=[])
        for path, unit_id in access.supervision + access.inspection:
            in_region = (
                Q(unit__region__path__startswith=path)
                | Q(pk__in=ContactPoint.objects.current().filter(village__path__startswith=path).values("cadre"))
                | Q(pk__in=Pairing.objects.current().filter(household__village__path__startswith=path).values("cadre"))
            )
            q |= in_region & Q(unit_id=unit_id) if unit_id else in_region
        return self.filter(q)


class Cadre(models.Model):
    """A cadre's profile: the person behind a user account."""

    class Level(models.TextChoices):
        BUREAU = "bureau", _("department/bureau level")
        DIVISION = "division", _("county/division level")
        SECTION = "section", _("township/section level")
        STAFF = "staff", _("staff")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user account"), on_delete=models.PROTECT, related_name="cadre"
    )
    name = models.CharField(_("full name"), max_length=50)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="cadres")
    position = models.CharField(_("position"), max_length=100, blank=True)
    level = models.CharField(_("rank"), max_length=10, choices=Level.choices, default=Level.STAFF)
    is_leading = models.BooleanField(_("leading cadre"), default=False)
    phone_masked = models.CharField(_("phone (masked)"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = CadreQuerySet.as_manager()

    class Meta:
        verbose_name = _("cadre")
        verbose_name_plural = _("cadres")
        ordering = ["unit", "name", "pk"]
        indexes = [
            # Cadre tables by unit on dashboards.
            models.Index(fields=["unit", "is_active"], name="cadre_unit_active_idx"),
        ]

    def __str__(self):
        return self.name


class AssignmentQuerySet(ScopedQuerySet, models.QuerySet):
    def current(self, on=None):
        """Assignments in force on a date (today by default)."""
        on = on or timezone.localdate()
        return self.filter(Q(end__isnull=True) | Q(end__gte=on), start__lte=on)


class Assignment(models.Model):
    """Shared shape of the dated assignments; history is kept by ending, never deleting."""

    start = models.DateField(_("start date"))
    end = models.DateField(_("end date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        abstract = True

    def is_current(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.start <= on and (self.end is None or self.end >= on)

    @classmethod
    def _dates_constraint(cls, prefix: str):
        return models.CheckConstraint(
            name=f"{prefix}_end_after_start", condition=Q(end__isnull=True) | Q(end__gte=F("start"))
        )


class PairingQuerySet(AssignmentQuerySet):
    def visible_to(self, access: Access):
        if access.is_admin:
            return self.all()
        own = Q(cadre_id=access.cadre_id) if access.cadre_id else Q(pk__in=[])
        return self.filter(own | path_q("household__village__path", access.scope_paths))


class Pairing(Assignment):
    """结对帮扶: a cadre answers for a household."""

    cadre = models.ForeignKey(Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="pairings")
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="pairings"
    )

    objects = PairingQuerySet.as_manager()

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["-start", "pk"]
        constraints = [
            Assignment._dates_constraint("pairing"),
            models.UniqueConstraint(
                fields=["cadre", "household"], condition=Q(end__isnull=True), name="pairing_one_open_per_pair"
            ),
        ]
        indexes = [
            # Who is paired with a household (household page, coverage of cadres).
            models.Index(fields=["household", "end"], name="pairing_household_idx"),
            # A cadre's current households (their home page and scoping).
            models.Index(fields=["cadre", "end"], name="pairing_cadre_idx"),
        ]

    def __str__(self):
        return f"{self.cadre} ↔ {self.household}"


class VillageAssignmentQuerySet(AssignmentQuerySet):
    def visible_to(self, access: Access):
        if access.is_admin:
            return self.all()
        own = Q(cadre_id=access.cadre_id) if access.cadre_id else Q(pk__in=[])
        return self.filter(own | path_q("village__path", access.scope_paths))


class ContactPoint(Assignment):
    """联系点/包村: a cadre answers for a village."""

    cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="contact_points"
    )
    village = models.ForeignKey(
        Region,
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="contact_points",
        limit_choices_to={"level": Region.Level.VILLAGE},
    )

    objects = VillageAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        ordering = ["-start", "pk"]
        constraints = [
            Assignment._dates_constraint("contactpoint"),
            models.UniqueConstraint(
                fields=["cadre", "village"], condition=Q(end__isnull=True), name="contactpoint_one_open_per_pair"
            ),
        ]
        indexes = [
            # Villages with an assigned cadre (contact coverage).
            models.Index(fields=["village", "end"], name="contactpoint_village_idx"),
            models.Index(fields=["cadre", "end"], name="contactpoint_cadre_idx"),
        ]

    def __str__(self):
        return f"{self.cadre} → {self.village}"


class Posting(Assignment):
    """驻村第一书记: a cadre stationed in a village."""

    cadre = models.ForeignKey(Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="postings")
    village = models.ForeignKey(
        Region,
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="postings",
        limit_choices_to={"level": Region.Level.VILLAGE},
    )
    title = models.CharField(_("post title"), max_length=50, blank=True, help_text=_("Empty means first secretary."))

    objects = VillageAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["-start", "pk"]
        constraints = [
            Assignment._dates_constraint("posting"),
            # A cadre is stationed in one village at a time.
            models.UniqueConstraint(fields=["cadre"], condition=Q(end__isnull=True), name="posting_one_open_per_cadre"),
        ]
        indexes = [
            models.Index(fields=["village", "end"], name="posting_village_idx"),
        ]

    def __str__(self):
        return f"{self.cadre} @ {self.village}"


class ScopeQuerySet(AssignmentQuerySet):
    def visible_to(self, access: Access):
        if access.is_admin:
            return self.all()
        return self.filter(user_id=access.user_id) if access.user_id else self.none()


class Scope(Assignment):
    """A supervision or inspection scope over a region subtree, optionally one unit."""

    class Kind(models.TextChoices):
        SUPERVISION = "supervision", _("supervision")
        INSPECTION = "inspection", _("discipline inspection")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user account"), on_delete=models.PROTECT, related_name="scopes"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="scopes")
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Leave empty for the whole region."),
    )

    objects = ScopeQuerySet.as_manager()

    class Meta:
        verbose_name = _("scope")
        verbose_name_plural = _("scopes")
        ordering = ["user", "kind", "region__path"]
        constraints = [
            Assignment._dates_constraint("scope"),
            models.CheckConstraint(name="scope_kind_valid", condition=Q(kind__in=["supervision", "inspection"])),
        ]
        indexes = [
            # Built into every request's access (cadres.access).
            models.Index(fields=["user", "end"], name="scope_user_idx"),
            # Supervisors of a region (escalation and digests).
            models.Index(fields=["region", "kind"], name="scope_region_kind_idx"),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_kind_display()} · {self.region}"


class NotificationQuerySet(ScopedQuerySet, models.QuerySet):
    def visible_to(self, access: Access):
        return self.filter(recipient_id=access.user_id) if access.user_id else self.none()

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """The in-app inbox. Every app above notifies through here, without an upward import."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # What caused it ("escalation:42", "digest:2026-11-21"): a retried delivery adds nothing twice.
    key = models.CharField(_("key"), max_length=60, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="notification_once_per_key"
            ),
        ]
        indexes = [
            # The unread count in the navigation bar, on every page.
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread_idx"
            ),
            # The inbox page, newest first.
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
        ]

    def __str__(self):
        return self.title

    def mark_read(self, at=None):
        """Read once: the first reading's time stays."""
        if self.read_at is None:
            self.read_at = at or timezone.now()
            Notification.objects.filter(pk=self.pk, read_at__isnull=True).update(read_at=self.read_at)
