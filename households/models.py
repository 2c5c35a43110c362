import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .access import Access, ScopedQuerySet, path_q


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits: 138****5678."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_id_number(id_number: str) -> str:
    """Keep the region prefix and the last four characters: 330102**********1234."""
    value = id_number.strip().upper()
    if len(value) < 10:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


def hash_id_number(id_number: str) -> str:
    """Keyed hash, so an ID number can be matched without being stored."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()


class RegionQuerySet(ScopedQuerySet, models.QuerySet):
    def subtree(self, region):
        return self.filter(path__startswith=region.path)

    def villages(self):
        return self.filter(level=Region.Level.VILLAGE)

    def visible_to(self, access: Access):
        if access.is_admin:
            return self.all()
        # The paired households' villages by a subquery on their ids: a join to households with
        # DISTINCT would read millions of rows at city scale.
        paired_villages = Household.objects.filter(pk__in=access.household_ids).values("village_id")
        return self.filter(
            path_q("path", access.scope_paths) | Q(pk__in=access.village_ids) | Q(pk__in=paired_villages)
        )


class Region(models.Model):
    """A node of the tree city > county > township > village, with a materialized path."""

    class Level(models.IntegerChoices):
        CITY = 1, _("city")
        COUNTY = 2, _("county / district")
        TOWNSHIP = 3, _("township / subdistrict")
        VILLAGE = 4, _("village / community")

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(
        _("division code"), max_length=20, unique=True, help_text=_("Statistical division code.")
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Codes from the root down, each followed by "/": subtree queries are prefix matches.
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    latitude = models.DecimalField(
        _("centroid latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("centroid longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                name="region_root_is_city",
                condition=(Q(parent__isnull=True, level=1) | Q(parent__isnull=False, level__gt=1)),
            ),
            models.CheckConstraint(name="region_level_valid", condition=Q(level__gte=1, level__lte=4)),
            models.CheckConstraint(
                name="region_centroid_in_range",
                condition=(
                    (Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90))
                    & (Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180))
                ),
            ),
        ]
        # path is unique, so its index also serves subtree prefix scans (scoping everywhere).
        indexes = [
            # The region tables on home pages and dashboards list children of a node.
            models.Index(fields=["parent", "name"], name="region_children_idx"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.parent_id and self.level != self.parent.level + 1:
            raise ValidationError(
                {"level": _("A region must be exactly one level below its parent (%(level)s).")
                 % {"level": Region.Level(self.parent.level + 1).label}}
            )
        if not self.parent_id and self.level != Region.Level.CITY:
            raise ValidationError({"parent": _("Only a city may have no parent region.")})

    def set_path(self):
        """Derive the materialized path from the parent; call before the first save."""
        prefix = self.parent.path if self.parent_id else ""
        self.path = f"{prefix}{self.code}/"

    def ancestors(self):
        codes = self.path.strip("/").split("/")[:-1]
        paths = ["/".join(codes[: i + 1]) + "/" for i in range(len(codes))]
        return Region.objects.filter(path__in=paths).order_by("level")

    def contains(self, other) -> bool:
        return other.path.startswith(self.path)

    @property
    def is_village(self) -> bool:
        return self.level == self.Level.VILLAGE


class Tag(models.Model):
    """A household tag such as 低保户 or 监测户: data, edited by administrators."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    description = models.TextField(_("description"), blank=True)
    detail_label = models.CharField(
        _("detail label"),
        max_length=50,
        blank=True,
        help_text=_("If set, tagging a household asks for this detail (e.g. the risk type)."),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("household tag")
        verbose_name_plural = _("household tags")
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class HouseholdQuerySet(ScopedQuerySet, models.QuerySet):
    def active(self):
        return self.filter(status=Household.Status.ACTIVE)

    def visible_to(self, access: Access):
        if access.is_admin:
            return self.all()
        return self.filter(
            path_q("village__path", access.scope_paths)
            | Q(village_id__in=access.village_ids)
            | Q(pk__in=access.household_ids)
        )


class Household(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("household status", "active")
        MOVED_OUT = "moved_out", _("moved out")
        DISSOLVED = "dissolved", _("dissolved")

    village = models.ForeignKey(
        Region,
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"level": Region.Level.VILLAGE},
    )
    head_name = models.CharField(_("head of household"), max_length=50)
    address = models.CharField(_("address"), max_length=200)
    phone_masked = models.CharField(_("phone (masked)"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags"), through="HouseholdTag", blank=True, related_name="households"
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["village", "head_name", "pk"]
        constraints = [
            models.CheckConstraint(
                name="household_status_valid",
                condition=Q(status__in=["active", "moved_out", "dissolved"]),
            ),
        ]
        indexes = [
            # Household lists per village (home pages, drill-down) and coverage per region.
            models.Index(fields=["village", "status"], name="household_village_status_idx"),
            # Search by head's name within a scope (cadre's household search).
            models.Index(fields=["head_name"], name="household_head_name_idx"),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return _("%(head)s household") % {"head": self.head_name}


class HouseholdTag(models.Model):
    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, verbose_name=_("tag"), on_delete=models.PROTECT)
    detail = models.CharField(_("detail"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("household tag assignment")
        verbose_name_plural = _("household tag assignments")
        constraints = [
            models.UniqueConstraint(fields=["household", "tag"], name="household_tag_unique"),
        ]

    def __str__(self):
        return f"{self.household} · {self.tag}"


class MemberQuerySet(ScopedQuerySet, models.QuerySet):
    def visible_to(self, access: Access):
        return self.filter(household__in=Household.objects.visible_to(access))


class Member(models.Model):
    class Relation(models.TextChoices):
        HEAD = "head", _("head of household")
        SPOUSE = "spouse", _("spouse")
        CHILD = "child", _("child")
        PARENT = "parent", _("parent")
        GRANDCHILD = "grandchild", _("grandchild")
        SIBLING = "sibling", _("sibling")
        OTHER = "other", _("other")

    class Sex(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="members"
    )
    name = models.CharField(_("full name"), max_length=50)
    relation = models.CharField(_("relation to head"), max_length=12, choices=Relation.choices)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_year = models.PositiveSmallIntegerField(
        _("birth year"), validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    id_number_masked = models.CharField(_("ID number (masked)"), max_length=24, blank=True)
    id_number_hash = models.CharField(_("ID number hash"), max_length=64, blank=True, editable=False)
    phone_masked = models.CharField(_("phone (masked)"), max_length=20, blank=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        ordering = ["household", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(relation="head"), name="member_one_head_per_household"
            ),
            models.CheckConstraint(
                name="member_birth_year_range", condition=Q(birth_year__gte=1900, birth_year__lte=2100)
            ),
            models.CheckConstraint(name="member_sex_valid", condition=Q(sex__in=["M", "F"])),
        ]
        indexes = [
            # Matching a person by ID number across households (imports, duplicates).
            models.Index(fields=["id_number_hash"], name="member_id_hash_idx"),
            # Search by member name within a scope (cadre's household search).
            models.Index(fields=["name"], name="member_name_idx"),
        ]

    def __str__(self):
        return self.name

    def set_id_number(self, id_number: str):
        """Store only a masked form for display and a keyed hash for matching."""
        self.id_number_masked = mask_id_number(id_number) if id_number else ""
        self.id_number_hash = hash_id_number(id_number) if id_number else ""
