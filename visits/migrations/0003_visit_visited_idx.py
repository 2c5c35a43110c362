import importlib

from django.db import migrations, models

# CREATE INDEX CONCURRENTLY on PostgreSQL (the visits stay writable while it is built), a plain
# AddIndex elsewhere.
AddIndexConcurrentlyOnPostgres = importlib.import_module(
    "casework.migrations.0004_commitment_open_village_idx"
).AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("casework", "0004_commitment_open_village_idx"),
        ("visits", "0002_visit_payload_hash"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="visit",
            index=models.Index(fields=["visited_at", "id"], name="visit_visited_idx"),
        ),
    ]
