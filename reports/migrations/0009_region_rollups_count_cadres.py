"""The cadre coverage moves into the region rollups (one row a region and period, at every level).

The region rows written before hold no cadres: the periods' refresh times are dropped, so that
their figures are computed live, rather than read as no cadre at all, until they are rolled up
again: the current and previous periods by the next scheduled refresh, older ones by
``manage.py refresh_rollups``.
"""

from django.db import migrations, models


def forget_refreshes(apps, schema_editor):
    apps.get_model("reports", "RollupPeriod").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0008_cadre_regions_by_unit"),
    ]

    operations = [
        migrations.AddField(
            model_name="regionperiod",
            name="cadres",
            field=models.IntegerField(default=0),
        ),
        migrations.AddField(
            model_name="regionperiod",
            name="cadres_covered",
            field=models.IntegerField(default=0),
        ),
        migrations.DeleteModel(
            name="CadreCoveragePeriod",
        ),
        migrations.RunPython(forget_refreshes, migrations.RunPython.noop),
    ]
