"""Exports of the overdue report: exactly the filtered rows, in scope, headed, neutralised, audited;
large ones in the background with a progress page."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from casework.models import Commitment
from reports import exports, selectors, services
from reports.models import ExportAudit, ExportJob
from reports.tasks import export_run
from tests import factories as f
from tests.conftest import access
from tests.reports.conftest import overdue

URL = reverse("overdue_report")


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"), newline="")))


def data_rows(rows: list[list]) -> list[list]:
    """The rows after the header lines, the blank line and the column names."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == "No.") + 1
    return rows[start:]


def xlsx_rows(content: bytes) -> list[list]:
    """The rows as written, each as long as its last cell (not padded to the sheet's width)."""
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    sheet.reset_dimensions()
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def pdf_text(document) -> str:
    """The text WeasyPrint laid out on the pages of a PDF document."""

    def walk(box):
        if hasattr(box, "text"):
            yield box.text
        for child in getattr(box, "children", ()):
            yield from walk(child)

    return " ".join(text for page in document.pages for text in walk(page._page_box))


# --- scope and the filtered rows -----------------------------------------------------------------


def test_a_supervisor_never_exports_rows_outside_their_scope(client, world, spread):
    client.force_login(world.supervisor)

    csv_texts = [row[3] for row in data_rows(csv_rows(client.get(URL, {"format": "csv"})))]
    xlsx = client.get(URL, {"format": "xlsx"})
    xlsx_texts = [row[3] for row in data_rows(xlsx_rows(b"".join(xlsx.streaming_content)))]
    pdf = client.get(URL, {"format": "pdf"})

    assert csv_texts == xlsx_texts == ["Fix the well in V2", "Pave the lane in V1"]
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert ExportAudit.objects.filter(user=world.supervisor).count() == 3


def test_exports_carry_exactly_the_filtered_rows_with_scope_filters_and_time(client, world, spread):
    client.force_login(world.inspector)

    response = client.get(URL, {"region": world.v2.pk, "format": "csv"})

    assert response["Content-Disposition"].startswith('attachment; filename="overdue-')
    rows = csv_rows(response)
    assert rows[0] == ["Overdue commitments"]
    assert rows[1] == ["Scope", "Village 2"]
    assert rows[2] == ["Filters", "Region: Village 2"]
    assert rows[3][0] == "Generated at" and rows[3][1].startswith(timezone.localdate().isoformat()[:4])
    assert rows[5] == [str(c) for c in exports.COLUMNS]
    item = spread["v2"]
    due = timezone.localdate(item.due_at).isoformat()
    assert data_rows(rows) == [
        [str(item.pk), "Village 2", "Zhao", "Fix the well in V2", "Employment", "Cadre Zhang", "Unit A",
         timezone.localdate(item.pledged_at).isoformat(), due, due, "0", "12", "8–30 days", "", "pledged"],
    ]


def test_the_xlsx_has_the_header_and_real_dates(client, world, spread):
    client.force_login(world.inspector)

    response = client.get(URL, {"bucket": "1-7", "format": "xlsx"})

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = xlsx_rows(b"".join(response.streaming_content))
    assert rows[0] == ["Overdue commitments"] and rows[1] == ["Scope", "Township 1"]
    assert rows[2] == ["Filters", "Days overdue: up to 7 days"]
    (row,) = data_rows(rows)
    assert row[3] == "Pave the lane in V1" and row[11] == 3 and row[12] == "up to 7 days"
    assert row[9].date() == timezone.localdate(spread["v1"].due_at)


def test_the_pdf_lays_out_the_rows_and_the_header_in_chinese_fonts(world, spread):
    report = selectors.overdue_report(access(world.inspector), {})
    header = services.export_header(report)

    document = exports.pdf_document(selectors.with_related(report.rows, report.rungs), header, now=report.now, rungs=report.rungs)

    text = pdf_text(document)
    assert "Fix the well in V2" in text and "Pave the lane in V1" in text and "Clear the ditch" not in text
    assert "Township 1" in text and header.generated_at.astimezone().strftime("%Y") in text
    assert document.write_pdf().startswith(b"%PDF")


def test_the_pdf_renders_chinese_text(world):
    overdue(world, text="修缮村道路面，协调资金解决排水问题")
    report = selectors.overdue_report(access(world.inspector), {})

    document = exports.pdf_document(
        selectors.with_related(report.rows, report.rungs), services.export_header(report), now=report.now, rungs=report.rungs
    )

    assert "修缮村道路面" in pdf_text(document)
    assert len(document.pages) == 1
    document.write_pdf()  # embeds the fonts it used
    assert {font.family for font in document.fonts.values()} == {"Noto Sans CJK SC"}


# --- escalation level ------------------------------------------------------------------------------


def test_exports_name_the_escalation_level_the_page_shows(client, world):
    reminder = f.EscalationRuleFactory(code="reminder", name="Reminder", offset_days=-2)
    due = f.EscalationRuleFactory(code="due", name="Due", offset_days=0)
    week = f.EscalationRuleFactory(code="week", name="=A week", offset_days=7)
    month = f.EscalationRuleFactory(code="month", name="A month", offset_days=30)
    stalled = f.EscalationRuleFactory(code="stalled", name="Stalled", offset_days=60, subject="stalled")
    reached = {
        "none": [],
        "reminded": [reminder],
        "due and a week": [due, week],
        "a week, skipping due": [reminder, week],
        "a week, and stalled": [week, reminder, due, stalled],  # a stalled rung is another ladder
        "all": [month, week, due, reminder],
    }
    for days, (text, rules) in enumerate(reached.items(), start=1):
        item = overdue(world, text=text, days=days)
        for rule in rules:
            f.EscalationFactory(commitment=item, rule=rule)
    report = selectors.overdue_report(access(world.admin), {})
    kept = selectors.escalation_level_kept(report.rungs)
    client.force_login(world.inspector)

    exported = {row[3]: row[13] for row in data_rows(csv_rows(client.get(URL, {"format": "csv"})))}

    by_subquery = dict(selectors.with_related(report.rows, report.rungs).values_list("text", "level_id"))
    assert dict(report.rows.annotate(kept=kept).values_list("text", "kept")) == by_subquery
    assert by_subquery == {
        "none": None, "reminded": reminder.pk, "due and a week": week.pk, "a week, skipping due": week.pk,
        "a week, and stalled": week.pk, "all": month.pk,
    }  # fmt: skip
    assert exported == {
        "none": "", "reminded": "Reminder", "due and a week": "'=A week", "a week, skipping due": "'=A week",
        "a week, and stalled": "'=A week", "all": "A month",
    }  # fmt: skip


# --- formula neutralisation --------------------------------------------------------------------


DANGEROUS = ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "\tTab", "\rReturn"]


def test_cells_that_a_spreadsheet_would_run_are_neutralised(client, world):
    for text in DANGEROUS:
        overdue(world, text=text, days=3)
    overdue(world, text="Safe text", days=3, owner=f.CadreFactory(name="=cmd|' /C calc'!A0", unit=world.unit_a))
    client.force_login(world.inspector)

    csv_cells = [row[3] for row in data_rows(csv_rows(client.get(URL, {"format": "csv"})))]
    xlsx = data_rows(xlsx_rows(b"".join(client.get(URL, {"format": "xlsx"}).streaming_content)))

    assert sorted(csv_cells) == sorted(["'" + text for text in DANGEROUS] + ["Safe text"])
    # (XML, inside an XLSX, reads a carriage return back as a line feed.)
    assert sorted(row[3] for row in xlsx) == sorted(cell.replace("\r", "\n") for cell in csv_cells)
    assert "'=cmd|' /C calc'!A0" in {row[5] for row in xlsx}


def test_neutralise_leaves_other_values_alone():
    assert exports.neutralise("=1") == "'=1"
    assert exports.neutralise("a=1") == "a=1"
    assert exports.neutralise("") == ""
    assert exports.neutralise(-3) == -3


@pytest.mark.postgres
def test_copy_and_the_portable_writer_write_the_same_csv(world, spread):
    overdue(world, text='Quotes "and", commas\nand a new line', days=5)
    overdue(world, text="=1+1", days=6)
    overdue(world, text="A lone\rcarriage return", days=7)
    report = selectors.overdue_report(access(world.admin), {})
    values = exports.export_values(report.rows, now=report.now, rungs=report.rungs)

    copied = b"".join(exports.copy_out(
        f"COPY ({_sql(values)}) TO STDOUT WITH (FORMAT csv)"
    ))

    assert copied == b"".join(exports.python_csv(values))
    assert copied.count(b"\n") >= 6


def _sql(values):
    from django.db import connection

    sql, params = values.query.sql_with_params()
    return connection.ops.compose_sql(sql, params)


def selected_one() -> bool:
    """Whether this thread's connection runs a statement now."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


@pytest.mark.postgres
def test_a_download_stopped_half_way_leaves_the_connection_usable(world):

    stream = exports.copy_out("COPY (SELECT g, repeat('x', 1000) FROM generate_series(1, 20000) g) TO STDOUT")
    assert len(next(stream)) >= 256 * 1024
    stream.close()

    assert selected_one()


@pytest.mark.postgres
def test_reading_ahead_gives_every_row_in_order_and_leaves_the_connection_usable(world, spread):

    rows = Commitment.objects.order_by("pk").values_list("pk", flat=True)
    expected = list(rows)

    assert list(exports.read_ahead(rows.iterator(chunk_size=2), 2)) == expected
    assert list(exports.read_ahead(rows.iterator(chunk_size=2), 100)) == expected  # one batch
    stopped = exports.read_ahead(rows.iterator(chunk_size=1), 1)
    assert next(stopped) == expected[0]
    stopped.close()
    assert selected_one()


@pytest.mark.postgres
def test_while_rows_are_read_ahead_nothing_else_runs_on_their_connection(world, spread):
    from django.db import connection

    rows = Commitment.objects.order_by("pk").values_list("pk", flat=True)
    reading = exports.read_ahead(rows.iterator(chunk_size=1), 1)
    next(reading)

    # The helper may be fetching on this connection at any moment until it is joined.
    try:
        with pytest.raises(RuntimeError, match="read ahead"), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        reading.close()
    assert selected_one()


@pytest.mark.postgres
def test_a_background_workbook_writes_its_progress_between_rows(world, spread, monkeypatch):
    # Its progress goes to the database as it is written: so its rows are not read ahead.
    monkeypatch.setattr(exports, "XLSX_BATCH", 1)
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    report = selectors.overdue_report(access(world.admin), {})
    values = exports.export_values(report.rows, now=report.now, rungs=report.rungs)
    out, reported, total = io.BytesIO(), [], Commitment.objects.count()

    def progress(done: int) -> None:
        reported.append((done, Commitment.objects.count()))  # a statement, as the job's progress row

    with translation.override("en"):
        assert exports.xlsx_write(out, values, services.export_header(report), progress) == 4

    assert reported == [(2, total), (4, total), (4, total)]
    assert len(data_rows(xlsx_rows(out.getvalue()))) == 4


@pytest.mark.postgres
def test_a_workbook_failing_half_way_joins_the_reading_ahead_before_anything_else(world, spread, monkeypatch):
    import threading

    from django.db import connection
    from django.db.models import DurationField, ExpressionWrapper, F

    monkeypatch.setattr(exports, "XLSX_BATCH", 1)
    report = selectors.overdue_report(access(world.admin), {})
    # A duration is no cell XlsxWriter can write: the first row fails, the helper fetching meanwhile.
    values = report.rows.values_list(
        "pk", ExpressionWrapper(F("due_at") - F("pledged_at"), output_field=DurationField())
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit')")
        before = cursor.fetchone()

    with pytest.raises(TypeError) as failure:
        exports.xlsx_write(io.BytesIO(), values, services.export_header(report))

    assert failure.traceback  # the writer's frames, and its rows, still held here
    assert not [thread for thread in threading.enumerate() if thread.name == "read-ahead"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit')")
        assert cursor.fetchone() == before  # put back after the helper was joined


def test_reading_ahead_hands_a_failure_over():
    def failing():
        yield from (1, 2, 3, 4)
        raise RuntimeError("connection lost")

    read = exports.read_ahead(failing(), 2)

    assert [next(read) for _ in range(4)] == [1, 2, 3, 4]
    with pytest.raises(RuntimeError, match="connection lost"):
        next(read)


@pytest.mark.postgres
def test_exports_run_without_jit_in_the_local_time_zone_and_leave_the_connection_as_they_found_it(world, spread):
    from django.db import DatabaseError, connection, transaction

    report = selectors.overdue_report(access(world.admin), {})
    values = exports.export_values(report.rows, now=report.now, rungs=report.rungs)
    header = services.export_header(report)

    def settings() -> tuple[str, str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('jit'), current_setting('TimeZone')")
            return cursor.fetchone()

    before = settings()
    with exports.export_session():
        during = settings()
    b"".join(exports.csv_chunks(values, header))
    exports.xlsx_write(io.BytesIO(), values, header)
    after = settings()
    # An export failing inside a transaction: its rollback puts the settings back.
    with pytest.raises(DatabaseError), transaction.atomic(), exports.export_session():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")

    assert during == ("off", "Asia/Shanghai") and after == before == settings()
    assert before[1] == "UTC"


def test_exports_give_each_date_as_the_day_it_is_in_the_local_time_zone(client, world):
    # 15:59 and 16:01 UTC are 23:59 on one day and 00:01 on the next in Shanghai.
    overdue(world, text="Late in the day", due_at=datetime(2026, 11, 10, 15, 59, tzinfo=UTC))
    overdue(world, text="Early next day", due_at=datetime(2026, 11, 10, 16, 1, tzinfo=UTC))
    client.force_login(world.inspector)

    csv_dates = {row[3]: row[9] for row in data_rows(csv_rows(client.get(URL, {"format": "csv"})))}
    xlsx = data_rows(xlsx_rows(b"".join(client.get(URL, {"format": "xlsx"}).streaming_content)))

    assert csv_dates == {"Late in the day": "2026-11-10", "Early next day": "2026-11-11"}
    assert {row[3]: row[9].date().isoformat() for row in xlsx} == csv_dates


# --- audit log -----------------------------------------------------------------------------------


def test_every_export_writes_an_audit_row(client, world, spread):
    client.force_login(world.inspector)

    b"".join(client.get(URL, {"region": world.v1.pk, "format": "csv"}).streaming_content)

    audit = ExportAudit.objects.get()
    assert (audit.user, audit.format, audit.row_count) == (world.inspector, "csv", 1)
    assert audit.filters == {"region": str(world.v1.pk)}
    assert audit.filters_text == "Region: Village 1"
    assert (audit.scope_text, audit.scope_path) == ("Village 1", world.v1.path)


def test_inspectors_read_the_export_log_of_their_scope_and_administrators_all(client, world, spread):
    client.force_login(world.supervisor)
    client.get(URL, {"format": "pdf"})
    client.force_login(world.outsider_user)
    client.get(URL, {"format": "pdf"})

    client.force_login(world.inspector)
    inspector_view = client.get(reverse("export_log"))
    client.force_login(world.admin)
    admin_view = client.get(reverse("export_log"))
    client.force_login(world.supervisor)
    supervisor_view = client.get(reverse("export_log"))

    assert [a.user for a in inspector_view.context["page"]] == [world.supervisor]
    assert {a.user for a in admin_view.context["page"]} == {world.supervisor, world.outsider_user}
    assert supervisor_view.status_code == 403
    admin_list = client.get(reverse("admin:reports_exportaudit_changelist"))
    assert admin_list.status_code == 302  # the supervisor is no staff
    client.force_login(world.admin)
    assert client.get(reverse("admin:reports_exportaudit_changelist")).status_code == 200


# --- background exports ------------------------------------------------------------------------


def test_a_large_export_runs_in_the_background_with_progress_and_a_download(
    client, world, spread, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_ASYNC_ROWS = 1
    client.force_login(world.inspector)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.get(URL, {"format": "xlsx"})

    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("export_job", args=[job.pk])
    assert len(callbacks) == 1  # the task is queued once the request has committed
    assert (job.status, job.rows_total, job.format) == ("queued", 2, "xlsx")
    page = client.get(reverse("export_job", args=[job.pk]))
    assert page.status_code == 200 and 'data-testid="job-progress"' in page.content.decode()
    assert client.get(reverse("export_job_status", args=[job.pk])).json()["download"] is None
    assert not ExportAudit.objects.exists()

    assert export_run(job.pk) == "done"

    job.refresh_from_db()
    assert (job.status, job.rows_done, job.percent) == ("done", 2, 100)
    status = client.get(reverse("export_job_status", args=[job.pk])).json()
    assert status["status"] == "done" and status["download"] == reverse("export_job_download", args=[job.pk])
    download = client.get(status["download"])
    assert download["Content-Disposition"].startswith('attachment; filename="overdue-')
    rows = data_rows(xlsx_rows(b"".join(download.streaming_content)))
    assert [row[3] for row in rows] == ["Fix the well in V2", "Pave the lane in V1"]
    audit = ExportAudit.objects.get()
    assert (audit.job, audit.row_count, audit.user) == (job, 2, world.inspector)
    # Only its creator may fetch it: anyone else, administrators included, gets 404.
    for other in (world.supervisor, world.admin):
        client.force_login(other)
        assert client.get(status["download"]).status_code == 404
    # A task delivered twice builds nothing twice.
    assert export_run(job.pk) == "done"
    assert ExportAudit.objects.count() == 1


def test_a_background_csv_counts_its_rows_and_is_the_same_file(client, world, spread, settings):
    settings.EXPORT_ASYNC_ROWS = 100
    client.force_login(world.inspector)
    direct = csv_rows(client.get(URL, {"format": "csv", "region": world.t1.pk}))
    settings.EXPORT_ASYNC_ROWS = 1

    client.get(URL, {"format": "csv", "region": world.t1.pk})
    job = ExportJob.objects.get()
    export_run(job.pk)

    job.refresh_from_db()
    assert job.rows_done == 2
    background = list(csv.reader(io.StringIO(job.file.read().decode("utf-8").removeprefix("\ufeff"), newline="")))
    assert data_rows(background) == data_rows(direct)


def test_a_background_export_whose_scope_was_withdrawn_fails_without_a_file(client, world, spread, settings):
    settings.EXPORT_ASYNC_ROWS = 1
    client.force_login(world.inspector)
    client.get(URL, {"format": "csv", "region": world.t1.pk})
    job = ExportJob.objects.get()
    world.inspector.scopes.update(end=timezone.localdate() - timedelta(days=1))

    assert export_run(job.pk) == "failed"

    job.refresh_from_db()
    assert not job.file and "region" in job.error
    assert client.get(reverse("export_job_status", args=[job.pk])).json()["status"] == "failed"
    assert not ExportAudit.objects.exists()


def test_a_large_pdf_goes_to_the_background_and_a_huge_one_is_refused(client, world, spread, monkeypatch):
    monkeypatch.setattr(exports, "PDF_SYNC_ROWS", 1)
    client.force_login(world.inspector)

    assert client.get(URL, {"format": "pdf"}).status_code == 302
    monkeypatch.setattr(exports, "PDF_MAX_ROWS", 1)
    refused = client.get(URL, {"format": "pdf"})
    assert refused.status_code == 400
    assert "A PDF holds at most 1 rows" in refused.content.decode()
