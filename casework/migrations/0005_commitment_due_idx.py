import importlib

from django.db import migrations, models

# CREATE INDEX CONCURRENTLY on PostgreSQL, a plain AddIndex elsewhere (defined with 0004).
AddIndexConcurrentlyOnPostgres = importlib.import_module(
    "casework.migrations.0004_commitment_open_village_idx"
).AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("casework", "0004_commitment_open_village_idx"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="commitment",
            index=models.Index(fields=["due_at", "id"], name="commitment_due_idx"),
        ),
    ]
