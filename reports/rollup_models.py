"""Rollups of the dashboard's figures: what ``reports.rollups.rollups_refresh`` writes and
``reports.figures`` reads for whole months, quarters and years.

Each row holds one period (``kind``, ``start``) of one village (or region, unit region, cadre ×
village, unit × region, region × category). Counts that add up (visits, pledges due…) are summed over villages by the
readers; distinct counts (households visited, households raising a category) are stored per
period, because a quarter's distinct households are not the sum of its months'. Derived data:
never edited by hand, rebuilt by ``manage.py refresh_rollups``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre, Unit
from casework.models import Category
from households.models import Region

KIND_CHOICES = [("month", _("month")), ("quarter", _("quarter")), ("year", _("year"))]


class RollupPeriod(models.Model):
    """A period whose rollups exist, and when they were last computed (the pages' "as of")."""

    kind = models.CharField(_("period"), max_length=8, choices=KIND_CHOICES)
    start = models.DateField(_("first day"))
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        verbose_name = _("rollup period")
        verbose_name_plural = _("rollup periods")
        constraints = [models.UniqueConstraint(fields=["kind", "start"], name="rollup_period_unique")]

    def __str__(self):
        return f"{self.kind} {self.start}"


class PeriodRow(models.Model):
    kind = models.CharField(max_length=8, choices=KIND_CHOICES)
    start = models.DateField()
    # The run that wrote the row: rows of a period not rewritten by its latest run are deleted.
    refreshed_at = models.DateTimeField()

    class Meta:
        abstract = True

    @classmethod
    def count_columns(cls) -> list[str]:
        """The columns of the row's counts, in order: every one but its keys, period and refresh."""
        return [field.column for field in cls._meta.concrete_fields if isinstance(field, models.IntegerField) and not field.primary_key]


def _count():
    return models.IntegerField(default=0)


class AreaCounts(PeriodRow):
    """The area figures' numerators and denominators over one period: a village's
    (``VillagePeriod``, from the raw rows) or a region's at any level (``RegionPeriod``, its
    villages' summed)."""

    # As of the refresh (today's status, assignments in force on the period's last day or today).
    households = _count()
    villages = _count()  # 1: makes "villages" a sum
    assigned = _count()  # 1 when the village has a contact point or posting
    petitions_all = _count()  # petition cases ever registered in the village
    # Distinct: active households visited in person in the period.
    visited_households = _count()
    # Additive.
    visits = _count()
    companions = _count()
    heavy_visits = _count()
    visit_codes_offered = _count()
    visit_codes_confirmed = _count()
    concerns = _count()
    idle = _count()  # of those, without an outcome after N days at the refresh (never acted on)
    due = _count()
    on_time = _count()
    # Pledges overdue at the period's end (at the refresh for a period still running), and by
    # aging bucket: the current month's are the dashboard's overdue count and aging.
    overdue_at_end = _count()
    aging_1_7 = _count()
    aging_8_30 = _count()
    aging_31_90 = _count()
    aging_90_plus = _count()
    reported = _count()
    reopened = _count()
    codes_offered = _count()
    codes_confirmed = _count()
    evaluated = _count()
    satisfied = _count()
    petitions = _count()
    petitions_repeated = _count()
    accept_due = _count()
    accepted_on_time = _count()
    reply_due = _count()
    replied_on_time = _count()
    petitions_evaluated = _count()
    petitions_satisfied = _count()

    class Meta:
        abstract = True


class VillagePeriod(AreaCounts):
    """One village over one period, from the raw rows."""

    village = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        verbose_name = _("village rollup")
        verbose_name_plural = _("village rollups")
        constraints = [
            models.UniqueConstraint(fields=["kind", "start", "village"], name="village_period_unique"),
        ]

    def __str__(self):
        return f"{self.kind} {self.start} · village {self.village_id}"


class RegionPeriod(AreaCounts):
    """One region at any level (the city, a county, a township, a village) over one period: its
    villages' rows summed, so that a whole city's figures read one row, not every village's; and
    the active cadres of the units in it (at any level under it) and how many of them have an
    assignment (两个全覆盖)."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_index=False)
    cadres = _count()
    cadres_covered = _count()

    class Meta:
        verbose_name = _("region rollup")
        verbose_name_plural = _("region rollups")
        constraints = [
            models.UniqueConstraint(fields=["kind", "start", "region"], name="region_period_unique"),
        ]
        indexes = [
            # A page reads a few regions' rows of two periods: by region first.
            models.Index(fields=["region", "kind", "start"], name="region_period_region_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.start} · region {self.region_id}"


class CadreCounts(PeriodRow):
    """Cadres' figures' counts over one period: one cadre's in one village
    (``CadreVillagePeriod``) or a unit's cadres' in one region (``UnitRegionPeriod``)."""

    visits = _count()
    flagged = _count()
    due = _count()
    on_time = _count()
    pledged = _count()
    confirmed = _count()
    reported = _count()
    reopened = _count()
    evaluated = _count()
    satisfied = _count()
    # Distinct: active households paired with the cadre, and those the cadre visited in person.
    paired = _count()
    paired_visited = _count()
    # The cadre's pledges overdue at the period's end (at the refresh for a period still running).
    overdue_at_end = _count()

    class Meta:
        abstract = True


class CadreVillagePeriod(CadreCounts):
    """One cadre's work in one village over one period (the cadre table, the archive)."""

    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="+", db_index=False)
    village = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        verbose_name = _("cadre rollup")
        verbose_name_plural = _("cadre rollups")
        constraints = [
            models.UniqueConstraint(fields=["kind", "start", "cadre", "village"], name="cadre_village_period_unique"),
        ]
        indexes = [
            # The cadre and unit tables of a region: a period's rows of its villages.
            models.Index(fields=["kind", "start", "village"], name="cadre_village_period_vill_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.start} · cadre {self.cadre_id} · village {self.village_id}"


class CadreRegion(models.Model):
    """An active cadre and a region (at any level) the cadre belongs to, as of the latest
    refresh: the region of the cadre's unit or one above it, or one holding a village the cadre is
    the contact of or a household the cadre is paired with (``reports.figures.cadres_in``)."""

    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="+", db_index=False)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", db_index=False)
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        verbose_name = _("cadre region")
        verbose_name_plural = _("cadre regions")
        constraints = [models.UniqueConstraint(fields=["region", "cadre"], name="cadre_region_unique")]
        indexes = [
            # A unit's cadres of a region (a city's unit, not all 70,000 of the city's cadres).
            models.Index(fields=["region", "unit"], name="cadre_region_unit_idx"),
        ]

    def __str__(self):
        return f"cadre {self.cadre_id} · region {self.region_id}"


class UnitRegionPeriod(CadreCounts):
    """A unit's cadres of one region (``CadreRegion``) and their work in that region over one
    period, summed: the table by unit of a region's dashboard reads a row a unit."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", db_index=False)
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_index=False)
    cadres = _count()
    # Regularity and burst share, summed over the cadres: months of the period begun by the
    # refresh in which the cadre visited someone in the region in person, and the cadre's
    # busiest such month's in-person visits.
    active_months = _count()
    top_months = _count()

    class Meta:
        verbose_name = _("unit rollup")
        verbose_name_plural = _("unit rollups")
        constraints = [
            models.UniqueConstraint(fields=["kind", "start", "region", "unit"], name="unit_region_period_unique"),
        ]
        indexes = [
            # A page reads one region's rows of two periods: by region first.
            models.Index(fields=["region", "kind", "start"], name="unit_region_period_region_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.start} · unit {self.unit_id} · region {self.region_id}"


class CategoryRegionPeriod(PeriodRow):
    """Concerns of one category raised in one region, at every level from the village up, over
    one period (问题分类汇总): a city's table and trend read a few rows, not every village's."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_index=False)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+", db_index=False)
    concerns = _count()
    households = _count()  # distinct

    class Meta:
        verbose_name = _("concern category rollup")
        verbose_name_plural = _("concern category rollups")
        constraints = [
            models.UniqueConstraint(fields=["kind", "start", "region", "category"], name="category_region_period_unique"),
        ]

    def __str__(self):
        return f"{self.kind} {self.start} · region {self.region_id} · category {self.category_id}"
