from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("casework", "0002_commitment_open_idle_idx"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(
                condition=models.Q(("status", "reported_done")),
                fields=["status_changed_at"],
                name="commitment_to_verify_idx",
            ),
        ),
    ]
