"""The kept escalation levels (EscalationLevel): always the level the escalation rows give
(``reports.figures.escalation_level``), whichever way the rows or the ladder change."""

import importlib
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from accountability.models import EscalationLevel, EscalationRule
from accountability.services import escalations_sweep
from casework.lifecycle import (
    commitment_report_done,
    commitment_request_cancellation,
    commitment_request_decide,
    commitment_request_extension,
    commitment_verify,
    extension_latest,
)
from casework.models import Commitment
from reports import exports, selectors
from reports.figures import escalation_level, escalation_rungs
from tests.accountability.test_sweep import local, pledge, sweep_at
from tests.conftest import access, at_once


def kept() -> dict[int, str]:
    return {c: code for c, code in EscalationLevel.objects.values_list("commitment_id", "rule__code")}


def figured() -> dict[int, str]:
    """The figure, from the escalation rows: what the kept levels must always be."""
    codes = dict(EscalationRule.objects.values_list("pk", "code"))
    rows = Commitment.objects.annotate(level=escalation_level(escalation_rungs())).exclude(level=None)
    return {pk: codes[level] for pk, level in rows.values_list("pk", "level")}


def test_the_sweep_keeps_the_highest_rung_each_commitment_has_reached(world, ladder):
    due = local(2026, 11, 20, 18, 0)
    climbing = pledge(world, pledged_at=local(2026, 11, 9, 10, 0), due_at=due)
    late = pledge(world, pledged_at=local(2026, 8, 1, 10, 0), due_at=local(2026, 9, 1, 18, 0))
    early = pledge(world, pledged_at=local(2026, 11, 9, 10, 0), due_at=local(2026, 12, 31, 18, 0))

    seen = []
    for moment in (
        local(2026, 11, 18, 9, 0),
        due + timedelta(minutes=1),
        due + timedelta(days=7),
        due + timedelta(days=30),
    ):
        sweep_at(moment)
        assert kept() == figured()
        seen.append(kept().get(climbing.pk))

    assert seen == ["reminder", "due", "overdue-7", "overdue-30"]
    # Caught up at once: straight to the highest rung; the stalled rung is another ladder.
    assert kept()[late.pk] == "overdue-30" and late.escalations.filter(rule__code="stalled-14").exists()
    assert early.pk not in kept()


def test_a_rung_swept_after_a_higher_one_never_lowers_the_level(world, ladder):
    item = pledge(world, pledged_at=local(2026, 10, 1, 9, 0), due_at=local(2026, 11, 10, 18, 0))
    EscalationRule.objects.filter(code="due").update(is_active=False)
    sweep_at(local(2026, 11, 21, 9, 0))
    assert kept() == {item.pk: "overdue-7"}

    EscalationRule.objects.filter(code="due").update(is_active=True)
    sweep_at(local(2026, 11, 21, 9, 5))

    assert item.escalations.filter(rule__code="due").exists()
    assert kept() == figured() == {item.pk: "overdue-7"}


def test_extending_reopening_and_closing_a_pledge_keep_the_level_its_rows_reached(world, ladder):
    # Escalation rows stay when a pledge moves on, and the level is the highest they reached.
    item = pledge(world, pledged_at=local(2026, 10, 1, 9, 0), due_at=local(2026, 11, 10, 18, 0))
    other = pledge(world, pledged_at=local(2026, 10, 1, 9, 0), due_at=local(2026, 11, 10, 18, 0))
    now = local(2026, 11, 21, 9, 0)
    sweep_at(now)
    assert kept() == {item.pk: "overdue-7", other.pk: "overdue-7"}

    with time_machine.travel(now, tick=False):
        request = commitment_request_extension(
            commitment=item,
            by=world.cadre_user,
            reason="Waiting for the parts",
            proposed_due_at=extension_latest(item, now=now),
        )
        commitment_request_decide(request=request, by=world.supervisor, decision="approved")
        cancel = commitment_request_cancellation(commitment=other, by=world.cadre_user, reason="Moved away")
        commitment_request_decide(request=cancel, by=world.supervisor, decision="approved")
    item.refresh_from_db()
    assert item.extension_count == 1 and item.due_at > now
    sweep_at(now + timedelta(minutes=5))
    assert kept() == figured() == {item.pk: "overdue-7", other.pk: "overdue-7"}

    # Past the new due date: its first rungs were reached already, nothing new is written.
    sweep_at(item.due_at + timedelta(days=8))
    assert item.escalations.filter(rule__subject="commitment").count() == 2
    assert kept() == figured() == {item.pk: "overdue-7", other.pk: "overdue-7"}

    later = item.due_at + timedelta(days=9)
    with time_machine.travel(later, tick=False):
        commitment_report_done(commitment=item, by=world.cadre_user, note="Done")
        item.transition(Commitment.Status.REOPENED, by=world.supervisor, reason="The resident says it leaks")
    sweep_at(later + timedelta(days=40))

    # Reopened, it went on climbing from its new due date; cancelled, the other stays where it was.
    assert kept() == figured() == {item.pk: "overdue-30", other.pk: "overdue-7"}


def test_a_confirmed_pledge_keeps_its_level_and_leaves_the_overdue_list(world, ladder):
    item = pledge(world, pledged_at=local(2026, 10, 1, 9, 0), due_at=local(2026, 11, 10, 18, 0))
    now = local(2026, 11, 21, 9, 0)
    sweep_at(now)
    with time_machine.travel(now, tick=False):
        commitment_report_done(commitment=item, by=world.cadre_user, note="Done")
        commitment_verify(commitment=item, by=world.supervisor, note="Seen it")
    sweep_at(now + timedelta(days=40))

    assert Commitment.objects.get(pk=item.pk).status == Commitment.Status.CONFIRMED
    assert kept() == figured() == {item.pk: "overdue-7"}
    with time_machine.travel(now + timedelta(days=40), tick=False):
        assert not selectors.overdue_report(access(world.admin), {}).rows.filter(pk=item.pk).exists()


def test_an_extended_pledge_overdue_again_is_exported_at_the_rung_it_reached_before(world, ladder):
    # Each (pledge, rung) is escalated once: rungs reached before an extension are not reached
    # again, and the level they gave stays, on the page and in the exports alike.
    item = pledge(world, pledged_at=local(2026, 10, 1, 9, 0), due_at=local(2026, 11, 10, 18, 0))
    now = local(2026, 11, 21, 9, 0)
    sweep_at(now)
    with time_machine.travel(now, tick=False):
        request = commitment_request_extension(
            commitment=item, by=world.cadre_user, reason="Waiting for the parts", proposed_due_at=now + timedelta(days=5)
        )
        commitment_request_decide(request=request, by=world.supervisor, decision="approved")
    item.refresh_from_db()
    later = item.due_at + timedelta(days=2)
    sweep_at(later)

    with time_machine.travel(later, tick=False):
        report = selectors.overdue_report(access(world.admin), {})
        page = dict(selectors.with_related(report.rows, report.rungs).values_list("pk", "level_id"))
        exported = {row[0]: row[13] for row in exports.export_values(report.rows, now=report.now, rungs=report.rungs)}

    reached = item.escalations.filter(rule__subject="commitment").values_list("rule__code", flat=True)
    assert sorted(reached) == ["due", "overdue-7"]  # both before the extension: none written since
    assert page == {item.pk: ladder["overdue-7"].pk}
    assert exported == {item.pk: "overdue-7"}


def test_a_deleted_pledge_takes_its_level_along_and_the_full_sweep_drops_any_left(world, ladder):
    gone = pledge(world, pledged_at=local(2026, 8, 1, 9, 0), due_at=local(2026, 9, 1, 18, 0))
    stays = pledge(world, pledged_at=local(2026, 8, 1, 9, 0), due_at=local(2026, 9, 1, 18, 0))
    sweep_at(local(2026, 11, 21, 9, 0))
    gone_pk = gone.pk

    gone.delete()
    assert kept() == figured() == {stays.pk: "overdue-30"}

    # A level whose pledge went some other way (no key in the database stops it).
    EscalationLevel.objects.create(commitment_id=gone_pk, rule=ladder["due"])
    with time_machine.travel(local(2026, 11, 21, 9, 10), tick=False):
        escalations_sweep(full=True)

    assert not EscalationLevel.objects.filter(commitment_id=gone_pk).exists()
    assert kept() == figured() == {stays.pk: "overdue-30"}


def test_changing_a_rungs_days_in_the_admin_ranks_the_levels_anew(client, world, ladder):
    item = pledge(world, pledged_at=local(2026, 8, 1, 9, 0), due_at=local(2026, 9, 1, 18, 0))
    sweep_at(local(2026, 11, 21, 9, 0))
    assert kept() == {item.pk: "overdue-30"}
    rung = ladder["overdue-7"]
    client.force_login(world.admin)

    response = client.post(
        reverse("admin:accountability_escalationrule_change", args=[rung.pk]),
        {
            "code": rung.code,
            "name": rung.name,
            "subject": rung.subject,
            "offset_days": 45,
            "audience": rung.audience,
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    rung.refresh_from_db()
    assert rung.offset_days == 45
    assert kept() == figured() == {item.pk: "overdue-7"}


def test_deleting_escalations_in_the_admin_puts_the_levels_right(client, world, ladder):
    one = pledge(world, pledged_at=local(2026, 8, 1, 9, 0), due_at=local(2026, 9, 1, 18, 0))
    two = pledge(world, pledged_at=local(2026, 8, 1, 9, 0), due_at=local(2026, 9, 1, 18, 0))
    sweep_at(local(2026, 11, 21, 9, 0))
    client.force_login(world.admin)
    top = one.escalations.get(rule__code="overdue-30")

    client.post(reverse("admin:accountability_escalation_delete", args=[top.pk]), {"post": "yes"})
    assert kept() == figured() == {one.pk: "overdue-7", two.pk: "overdue-30"}

    client.post(
        reverse("admin:accountability_escalation_changelist"),
        {
            "action": "delete_selected",
            "post": "yes",
            "_selected_action": list(two.escalations.values_list("pk", flat=True)),
        },
    )
    assert not two.escalations.exists()
    assert kept() == figured() == {one.pk: "overdue-7"}


def test_the_admin_corrects_a_delivery_but_never_which_item_reached_which_rung(client, world, ladder):
    item = pledge(world, pledged_at=local(2026, 8, 1, 9, 0), due_at=local(2026, 9, 1, 18, 0))
    sweep_at(local(2026, 11, 21, 9, 0))
    row = item.escalations.get(rule__code="overdue-30")
    client.force_login(world.admin)

    page = client.get(reverse("admin:accountability_escalation_change", args=[row.pk]))

    fields = page.context["adminform"].form.fields
    assert "delivery" in fields and not {"rule", "commitment", "concern", "petition_case"} & set(fields)


def test_the_full_sweep_puts_right_levels_written_some_other_way(world, ladder):
    unknown = pledge(world, pledged_at=local(2026, 8, 1, 9, 0), due_at=local(2026, 9, 1, 18, 0))
    lowered = pledge(world, pledged_at=local(2026, 8, 1, 9, 0), due_at=local(2026, 9, 1, 18, 0))
    orphan = pledge(world, pledged_at=local(2026, 11, 1, 9, 0), due_at=local(2026, 12, 31, 18, 0))
    sweep_at(local(2026, 11, 21, 9, 0))
    # As a sweep of the code before the kept levels would have left them, and worse.
    EscalationLevel.objects.filter(commitment=unknown).delete()
    EscalationLevel.objects.filter(commitment=lowered).update(rule=ladder["due"])
    EscalationLevel.objects.create(commitment=orphan, rule=ladder["reminder"])
    assert set(orphan.escalations.values_list("rule__code", flat=True)) == {"stalled-14"}  # another ladder

    sweep_at(local(2026, 11, 21, 9, 5))
    assert kept() != figured()  # an ordinary sweep reads only what is new
    with time_machine.travel(local(2026, 11, 21, 9, 10), tick=False):
        escalations_sweep(full=True)

    assert kept() == figured() == {unknown.pk: "overdue-30", lowered.pk: "overdue-30"}


def test_the_migration_fills_the_levels_from_the_escalation_rows(world, ladder):
    items = [
        pledge(world, pledged_at=local(2026, 8, 1, 9, 0), due_at=local(2026, 9, 1, 18, 0)),
        pledge(world, pledged_at=local(2026, 10, 1, 9, 0), due_at=local(2026, 11, 10, 18, 0)),
        pledge(world, pledged_at=local(2026, 11, 1, 9, 0), due_at=local(2026, 11, 22, 18, 0)),
        pledge(world, pledged_at=local(2026, 11, 1, 9, 0), due_at=local(2026, 12, 31, 18, 0)),
    ]
    sweep_at(local(2026, 11, 21, 9, 0))
    expected = figured()
    EscalationLevel.objects.all().delete()
    migration = importlib.import_module("accountability.migrations.0006_escalation_level")

    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL)

    assert kept() == expected
    assert [expected.get(item.pk) for item in items] == ["overdue-30", "overdue-7", "reminder", None]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_sweeps_at_once_keep_every_level_right(world, ladder):
    moment = local(2026, 11, 21, 9, 0)
    for days in (1, 3, 8, 20, 31, 60):
        for _ in range(8):
            pledge(world, pledged_at=moment - timedelta(days=days + 10), due_at=moment - timedelta(days=days))
    # Half the ladder swept first, so that the sweeps at once raise levels already kept.
    EscalationRule.objects.filter(code__in=["overdue-7", "overdue-30"]).update(is_active=False)
    escalations_sweep(now=moment)
    EscalationRule.objects.update(is_active=True)

    errors = at_once(lambda: escalations_sweep(now=moment + timedelta(minutes=5)), 4)

    assert errors == []
    assert kept() == figured()
    assert sorted(kept().values()).count("overdue-30") == 16
