"""Snapshots of the overdue report: the rows as they were, frozen; scoped; printable."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from reports.models import OverdueSnapshot
from tests import factories as f
from tests.reports.conftest import overdue


def save(client, **filters):
    return client.post(reverse("snapshot_create"), {"title": "Case 2026-17", **filters})


def test_an_inspector_saves_the_filtered_list_as_a_dated_snapshot(client, world, spread):
    rung = f.EscalationRuleFactory(code="due", name="Overdue", offset_days=0)
    f.EscalationFactory(commitment=spread["v2"], rule=rung)
    client.force_login(world.inspector)

    response = save(client, region=world.t1.pk)

    snapshot = OverdueSnapshot.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("snapshot_detail", args=[snapshot.pk])
    assert (snapshot.created_by, snapshot.title, snapshot.row_count) == (world.inspector, "Case 2026-17", 2)
    assert (snapshot.scope_text, snapshot.scope_path, snapshot.filters) == (
        "Township 1", world.t1.path, {"region": str(world.t1.pk)}
    )
    rows = list(snapshot.rows.all())
    assert [(r.position, r.text, r.village_name, r.days_overdue, r.bucket, r.level_name) for r in rows] == [
        (1, "Fix the well in V2", "Village 2", 12, "8-30", "Overdue"),
        (2, "Pave the lane in V1", "Village 1", 3, "1-7", ""),
    ]
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Case 2026-17" in html and "Fix the well in V2" in html and "data-print" in html
    assert "Clear the ditch in VB" not in html


def test_a_snapshot_never_changes_afterwards(client, world, spread):
    client.force_login(world.inspector)
    save(client)
    snapshot = OverdueSnapshot.objects.get()
    before = list(snapshot.rows.values())

    # The pledge is extended, renamed, then confirmed; its cadre renamed; a new one falls overdue.
    item = spread["v1"]
    item.text = "Something else"
    item.due_at = item.due_at + timedelta(days=30)
    item.extension_count = 1
    item.save(update_fields=["text", "due_at", "extension_count"])
    item.transition("reported_done", by=world.cadre_user)
    item.transition("confirmed", by=world.supervisor)
    world.cadre.name = "Renamed"
    world.cadre.save(update_fields=["name"])
    overdue(world, text="New overdue pledge")

    assert list(snapshot.rows.values()) == before
    html = client.get(reverse("snapshot_detail", args=[snapshot.pk])).content.decode()
    assert "Pave the lane in V1" in html and "Cadre Zhang" in html
    assert "Something else" not in html and "New overdue pledge" not in html and "Renamed" not in html


def test_snapshots_are_read_in_scope_only(client, world, spread):
    client.force_login(world.inspector)
    save(client)
    client.force_login(world.outsider_user)
    save(client)
    mine, theirs = OverdueSnapshot.objects.order_by("pk")

    client.force_login(world.supervisor)
    listed = client.get(reverse("snapshot_list")).context["page"].object_list
    assert list(listed) == [mine]
    assert client.get(reverse("snapshot_detail", args=[theirs.pk])).status_code == 404
    client.force_login(world.cadre_user)
    assert client.get(reverse("snapshot_list")).status_code == 403


def test_a_snapshot_with_bad_filters_saves_nothing(client, world, spread):
    client.force_login(world.inspector)

    response = save(client, region=world.vb.pk, pledged_from="2026-02-01", pledged_to="2026-01-01")

    assert response.status_code == 400
    assert not OverdueSnapshot.objects.exists()
    html = response.content.decode()
    assert "Choose a region within your scope." in html and "The end of the period is before its start." in html


def test_snapshot_rows_cannot_be_changed_in_the_admin(client, world, spread):
    client.force_login(world.inspector)
    save(client)
    snapshot = OverdueSnapshot.objects.get()
    client.force_login(world.admin)

    page = client.get(reverse("admin:reports_overduesnapshot_change", args=[snapshot.pk]))
    client.post(reverse("admin:reports_overduesnapshot_change", args=[snapshot.pk]), {"title": "Changed"})

    assert page.status_code == 200 and "Pave the lane in V1" in page.content.decode()
    snapshot.refresh_from_db()
    assert snapshot.title == "Case 2026-17"
    assert client.post(reverse("admin:reports_overduesnapshot_delete", args=[snapshot.pk]), {"post": "yes"}).status_code == 403
    assert OverdueSnapshot.objects.filter(pk=snapshot.pk).exists()
    assert timezone.now() - snapshot.created_at < timedelta(minutes=1)


def test_a_list_longer_than_a_snapshot_holds_is_refused_and_nothing_is_saved(client, world, spread, monkeypatch):
    from reports import services

    monkeypatch.setattr(services, "SNAPSHOT_MAX_ROWS", 1)  # the spread has two rows in township 1
    client.cookies["django_language"] = "en"
    client.force_login(world.inspector)

    response = save(client, region=world.t1.pk)

    assert response.status_code == 400
    assert "A snapshot holds at most 1 rows" in response.content.decode()
    assert not OverdueSnapshot.objects.exists()
