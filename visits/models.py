"""What happened on the ground: visits, the concerns they raised and what they followed up."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre
from casework.models import Commitment, Concern, PetitionCase, ResidentCode
from households.access import Access, ScopedQuerySet, path_q
from households.models import Household, Region

# The author may edit a visit this long after it reached the server; later, only amendments.
EDIT_WINDOW = timedelta(hours=24)


class VisitQuerySet(ScopedQuerySet, models.QuerySet):
    def visible_to(self, access: Access):
        if access.is_admin:
            return self.all()
        # Own visits, and every visit to a household or village the cadre answers for.
        own = (
            Q(recorded_by_id=access.user_id)
            | Q(household_id__in=access.household_ids)
            | Q(village_id__in=access.village_ids)
        )
        if access.cadre_id:
            own |= Q(cadre_id=access.cadre_id)
        return self.filter(own | path_q("village__path", access.scope_paths))

    def in_person(self):
        """Visits that count for coverage: a phone callback never does."""
        return self.exclude(kind=Visit.Kind.PHONE_CALLBACK)


class Visit(models.Model):
    class Kind(models.TextChoices):
        HOME = "home", _("home visit")
        FORUM = "forum", _("forum")
        RECEPTION = "reception", _("reception")
        PETITION = "petition", _("petition visit")
        PHONE_CALLBACK = "phone", _("phone callback")

    # Kinds that may be recorded against a village without a household.
    VILLAGE_LEVEL_KINDS = ("forum", "reception")

    # The client generates the id, so an offline submission retried any number of times is one visit.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cadre = models.ForeignKey(Cadre, verbose_name=_("visiting cadre"), on_delete=models.PROTECT, related_name="visits")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        Household, verbose_name=_("household"), null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    village = models.ForeignKey(
        Region,
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": Region.Level.VILLAGE},
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HOME)
    visited_at = models.DateTimeField(_("visited at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    backdate_reason = models.CharField(_("reason for late entry"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.PositiveIntegerField(_("location accuracy (m)"), null=True, blank=True)
    companions = models.PositiveSmallIntegerField(_("companions"), default=0)
    thoughts = models.TextField(_("what they think"), blank=True)
    wants = models.TextField(_("what they want"), blank=True)
    hopes = models.TextField(_("what they hope for"), blank=True)
    complaints = models.TextField(_("what they complain about"), blank=True)
    policies_explained = models.TextField(_("policies explained"), blank=True)
    help_delivered = models.TextField(_("help delivered"), blank=True)
    concerns = models.ManyToManyField(
        Concern, verbose_name=_("concerns raised"), blank=True, related_name="raised_on_visits"
    )
    followed_commitments = models.ManyToManyField(
        Commitment, verbose_name=_("commitments followed up"), blank=True, related_name="follow_up_visits"
    )
    followed_petitions = models.ManyToManyField(
        PetitionCase, verbose_name=_("petition cases followed up"), blank=True, related_name="visits"
    )
    resident_code = models.OneToOneField(
        ResidentCode,
        verbose_name=_("resident confirmation code"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visit",
    )
    # Integrity flags, for a supervisor to review; never a penalty by themselves.
    flag_proxy = models.BooleanField(_("recorded on behalf"), default=False)
    flag_backdated = models.BooleanField(_("back-dated"), default=False)
    flag_far = models.BooleanField(_("far from the village"), default=False)
    flag_burst = models.BooleanField(_("one of a burst"), default=False)
    flag_copied = models.BooleanField(_("text copied from another visit"), default=False)
    summary_hash = models.CharField(_("summary fingerprint"), max_length=64, blank=True, editable=False)
    # Fingerprint of the submission as sent, so a replay of the same id is told from a different body.
    payload_hash = models.CharField(_("submission fingerprint"), max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at"]
        constraints = [
            models.CheckConstraint(
                name="visit_kind_valid", condition=Q(kind__in=["home", "forum", "reception", "petition", "phone"])
            ),
            models.CheckConstraint(
                name="visit_household_unless_village_level",
                condition=Q(household__isnull=False) | Q(kind__in=["forum", "reception"]),
            ),
            # Allow a few minutes of clock skew between phone and server, never more.
            models.CheckConstraint(
                name="visit_not_in_future",
                condition=Q(visited_at__lte=F("received_at") + timedelta(minutes=10)),
            ),
            models.CheckConstraint(name="visit_companions_range", condition=Q(companions__lte=500)),
            models.CheckConstraint(
                name="visit_location_complete",
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
            ),
        ]
        indexes = [
            # A cadre's visits, newest first (home page, regularity figure).
            models.Index(fields=["cadre", "-visited_at"], name="visit_cadre_idx"),
            # A household's visit history and last visit (household page, coverage).
            models.Index(fields=["household", "-visited_at"], name="visit_household_idx"),
            # Visits by region and period (dashboards).
            models.Index(fields=["village", "visited_at"], name="visit_village_idx"),
            # A period's visits newest first, a page at a time (the list behind the dashboard's
            # visits figure): a city's first page without sorting its quarter's million visits.
            models.Index(fields=["visited_at", "id"], name="visit_visited_idx"),
            # Copied-text flag: the same summary elsewhere.
            models.Index(fields=["summary_hash"], name="visit_summary_hash_idx"),
        ]

    def __str__(self):
        target = self.household or self.village
        return f"{self.get_kind_display()} · {target} · {timezone.localtime(self.visited_at):%Y-%m-%d}"

    @property
    def is_proxy_entry(self) -> bool:
        return self.cadre.user_id != self.recorded_by_id

    @property
    def counts_in_person(self) -> bool:
        return self.kind != self.Kind.PHONE_CALLBACK

    def is_editable_by(self, user, now=None) -> bool:
        return user.pk == self.recorded_by_id and (now or timezone.now()) < self.received_at + EDIT_WINDOW

    @property
    def flags(self) -> list[str]:
        names = ("flag_proxy", "flag_backdated", "flag_far", "flag_burst", "flag_copied")
        return [str(self._meta.get_field(name).verbose_name) for name in names if getattr(self, name)]


def visit_photo_path(instance, filename):
    return f"visits/{instance.visit_id}/{uuid.uuid4().hex}.jpg"


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=visit_photo_path)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.image.name


class VisitAmendment(models.Model):
    """A change to a visit after its edit window: who, when, why and what changed."""

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="amendments")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.TextField(_("reason"))
    changes = models.JSONField(_("changes"), default=dict, help_text=_("Field: [before, after]."))

    class Meta:
        verbose_name = _("visit amendment")
        verbose_name_plural = _("visit amendments")
        ordering = ["at", "pk"]
        constraints = [models.CheckConstraint(name="visit_amendment_reason_given", condition=~Q(reason=""))]

    def __str__(self):
        return f"{self.visit_id} · {self.at:%Y-%m-%d}"

    def labelled_changes(self) -> list[tuple[str, str, str]]:
        """(field label, before, after) as a reader should see them: labels, choice names, local times."""
        rows = []
        for name, (before, after) in self.changes.items():
            field = Visit._meta.get_field(name)
            rows.append((capfirst(field.verbose_name), _shown(field, before), _shown(field, after)))
        return rows


def _shown(field, value) -> str:
    if value in (None, ""):
        return "—"
    if field.choices:
        return str(dict(field.choices).get(value, value))
    if isinstance(field, models.DateTimeField):
        return formats.date_format(timezone.localtime(datetime.fromisoformat(value)), "Y-m-d H:i")
    return str(value)
