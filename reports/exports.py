"""The overdue report's files: CSV (streamed), XLSX and PDF, each headed by the scope, the
filters and when it was generated.

CSV and XLSX read one row shape (``export_values``) in which every text cell that a spreadsheet
would take for a formula (beginning with =, +, -, @, a tab or a carriage return) is prefixed with
an apostrophe, in SQL, so that PostgreSQL's COPY and the Python writers neutralise alike.
"""

import csv
import io
import itertools
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, datetime

import xlsxwriter
from django.db import connection
from django.db.models import Case, CharField, F, QuerySet, Value, When
from django.db.models.functions import Concat, NullIf, Ord, TruncDate
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.models import Commitment

from . import figures, selectors

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMULA_CODES = [ord(prefix) for prefix in FORMULA_PREFIXES]
# How often (in rows) a long export reports its progress.
PROGRESS_EVERY = 5_000
# WeasyPrint lays out about 80 table rows a second: a PDF of more rows than this is built in the
# background whatever EXPORT_ASYNC_ROWS says, and one of more than PDF_MAX_ROWS is refused.
PDF_SYNC_ROWS = 500
PDF_MAX_ROWS = 10_000

Progress = Callable[[int], None] | None


def neutralise(value):
    """A text a spreadsheet would run as a formula, made plain text; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass(frozen=True)
class Header:
    """What every export says about itself, above the rows."""

    scope: str
    filters: str
    generated_at: datetime

    def lines(self) -> list[list[str]]:
        return [
            [_("Overdue commitments")],
            [_("Scope"), self.scope],
            [_("Filters"), self.filters],
            [_("Generated at"), f"{timezone.localtime(self.generated_at):%Y-%m-%d %H:%M:%S %Z}"],
        ]


COLUMNS = (
    gettext_lazy("No."),
    gettext_lazy("Village"),
    gettext_lazy("Household"),
    gettext_lazy("Pledge"),
    gettext_lazy("Category"),
    gettext_lazy("Owner"),
    gettext_lazy("Unit"),
    gettext_lazy("Pledged on"),
    gettext_lazy("Original due date"),
    gettext_lazy("Due date"),
    gettext_lazy("Extensions"),
    gettext_lazy("Days overdue"),
    gettext_lazy("Aging bucket"),
    gettext_lazy("Escalation level"),
    gettext_lazy("Status"),
)
# The text columns taken from the database, neutralised in SQL.
_TEXTS = {
    "x_village": F("village__name"),
    "x_household": F("household__head_name"),
    "x_text": F("text"),
    "x_category": F("category__name"),
    "x_owner": F("owner__name"),
    "x_unit": F("owner__unit__name"),
}


def _neutralised(name: str) -> NullIf:
    # Empty texts as NULL: COPY writes an empty string as "" but NULL as nothing, as csv does.
    return NullIf(
        Case(
            When(**{f"{name}_first__in": FORMULA_CODES}, then=Concat(Value("'"), F(name))),
            default=F(name),
            output_field=CharField(),
        ),
        Value(""),
    )


def _labels(cases: Iterable[tuple[object, str]], default=None) -> Case:
    """A CASE giving a (neutralised) label for each condition (``default``, or NULL, otherwise)."""
    whens = [When(condition, then=Value(neutralise(str(label)))) for condition, label in cases]
    return Case(*whens, default=default, output_field=CharField())


class LocalDate(TruncDate):
    """A timestamp's calendar day in the current time zone, as TruncDate gives it. On PostgreSQL a
    plain cast to a date, which takes the day in the session's time zone: ``export_session`` makes
    that the current one. TruncDate names the zone for every value, which PostgreSQL looks up
    each time: 0.8 s of CPU for the three dates of 1,000,000 rows, several times the cast's."""

    def as_postgresql(self, compiler, connection):
        sql, params = compiler.compile(self.lhs)
        return f"({sql})::date", params


def export_values(rows: QuerySet, *, now: datetime, rungs) -> QuerySet:
    """``rows`` (from ``selectors.overdue_rows``) as tuples in the order of COLUMNS."""
    level = selectors.escalation_level_kept(rungs, labels={rung.pk: neutralise(rung.name) for rung in rungs})
    # The first character's code point, not the first character: no new string a row and column.
    rows = rows.alias(**_TEXTS).alias(**{f"{name}_first": Ord(name) for name in _TEXTS})
    return rows.values_list(
        "pk",
        *(_neutralised(name) for name in _TEXTS),
        LocalDate("pledged_at"),
        LocalDate("original_due_at"),
        LocalDate("due_at"),
        "extension_count",
        figures.days_overdue_sql(now),
        _labels((bucket.q(now), bucket.label) for bucket in figures.AGING_BUCKETS),
        level,
        _labels(((When(status=value).condition, label) for value, label in Commitment.Status.choices), F("status")),
    )


@contextmanager
def export_session():
    """Run an export's queries, on PostgreSQL, without just-in-time compilation and in the current
    time zone (the day of a LocalDate). An export's estimated cost is far above
    ``jit_above_cost``, and compiling its expressions took 2 s of a 4-second export of the city's
    overdue list, for nothing gained. The session's own settings are put back afterwards; after
    an error inside a transaction, its rollback puts them back."""
    if connection.vendor != "postgresql":
        yield
        return
    # Not SET LOCAL in a transaction of its own: a background export's progress, written while
    # it runs, must be seen by the progress page meanwhile.
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off; SET TIME ZONE %s", [timezone.get_current_timezone_name()])
    try:
        yield
    finally:
        from psycopg2.extensions import TRANSACTION_STATUS_INERROR

        if connection.connection.info.transaction_status != TRANSACTION_STATUS_INERROR:
            with connection.cursor() as cursor:
                cursor.execute("RESET jit; SET TIME ZONE %s", [connection.timezone_name])


# --- CSV --------------------------------------------------------------------------------------


class _CsvLines:
    """csv.writer writing rows ended by "\n" as COPY does, and quoting a value with a lone
    carriage return as COPY does too (csv quotes only what contains its line terminator)."""

    def __init__(self):
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def write(self, row) -> None:
        self.writer.writerow(row)
        self.buffer.seek(self.buffer.tell() - 2)
        self.buffer.write("\n")

    def take(self) -> bytes:
        self.buffer.truncate()
        data = self.buffer.getvalue().encode()
        self.buffer.seek(0)
        self.buffer.truncate()
        return data


def _csv_lines(lines) -> bytes:
    out = _CsvLines()
    for line in lines:
        out.write([neutralise(str(cell)) for cell in line])
    return out.take()


def csv_chunks(values: QuerySet, header: Header, progress: Progress = None) -> Iterator[bytes]:
    """The CSV file in chunks: a byte-order mark (so that spreadsheet programs read the Chinese
    as UTF-8), the header lines, the column names, then the rows."""
    yield "\ufeff".encode() + _csv_lines([*header.lines(), [], COLUMNS])
    if connection.vendor == "postgresql":
        sql, params = values.query.sql_with_params()
        with export_session():
            yield from copy_out(
                f"COPY ({connection.ops.compose_sql(sql, params)}) TO STDOUT WITH (FORMAT csv)", progress
            )
    else:
        yield from python_csv(values, progress)


def python_csv(values: QuerySet, progress: Progress = None, batch: int = 2_000) -> Iterator[bytes]:
    """The rows through the csv module: the portable way, for databases without COPY."""
    out = _CsvLines()
    done = 0
    with export_session():
        for row in values.iterator(chunk_size=batch):
            out.write(row)
            done += 1
            if done % batch == 0:
                yield out.take()
                if progress and done % PROGRESS_EVERY == 0:
                    progress(done)
    yield out.take()
    if progress:
        progress(done)


_END = object()
_CHUNK = 256 * 1024


def copy_out(sql: str, progress: Progress = None) -> Iterator[bytes]:
    """Run ``COPY … TO STDOUT`` on this thread's database connection and yield its output.

    psycopg2's ``copy_expert`` pushes the whole output into a file object and returns only at the
    end, so it runs in a helper thread writing into a small bounded queue, which this generator
    empties as the response is sent: memory stays flat whatever the row count. The connection is
    the caller's (this thread waits while the helper uses it), so the COPY sees what the caller
    sees.
    """
    connection.ensure_connection()
    raw = connection.connection
    chunks: queue.Queue = queue.Queue(maxsize=8)
    stop = threading.Event()

    class Sink:
        rows = 0
        parts: list[bytes] = []
        size = 0

        def write(self, data: bytes):  # psycopg2 writes one row per call
            if stop.is_set():
                return  # the reader has gone: let the COPY run out, so the connection stays clean
            self.parts.append(data)
            self.size += len(data)
            self.rows += 1
            if self.size >= _CHUNK:
                self.flush()

        def flush(self):
            chunks.put((b"".join(self.parts), self.rows))
            self.parts, self.size = [], 0

    def run():
        sink = Sink()
        try:
            with raw.cursor() as cursor:
                cursor.copy_expert(sql, sink)
            sink.flush()
            chunks.put(_END)
        except BaseException as error:  # noqa: BLE001 - handed over to the reader
            chunks.put(error)

    helper = threading.Thread(target=run, name="copy-out", daemon=True)
    helper.start()
    finished = False
    try:
        reported = rows = 0
        while (item := chunks.get()) is not _END:
            if isinstance(item, BaseException):
                finished = True
                raise item
            data, rows = item
            if progress and rows - reported >= PROGRESS_EVERY:
                progress(rows)
                reported = rows
            yield data
        finished = True
        if progress:
            progress(rows)
    finally:
        if not finished:
            # Stopped early (the browser closed the download): the helper discards the rest of
            # the COPY, which is short, as exports built during a request are small.
            _wind_down(helper, stop, chunks)
        helper.join()


def _wind_down(helper: threading.Thread, stop: threading.Event, items: queue.Queue) -> None:
    """Tell a helper thread to stop and wait for it, taking what it still puts in ``items``
    meanwhile so that it never waits on a full queue."""
    stop.set()
    while helper.is_alive():
        try:
            items.get(timeout=0.05)
        except queue.Empty:
            pass
    helper.join()


def read_ahead(rows: Iterator, batch: int) -> Iterator:
    """Yield ``rows`` (a QuerySet's iterator over a server-side cursor) while a helper thread
    fetches the next ``batch`` of them, so that PostgreSQL computes them meanwhile instead of
    waiting to be asked: a workbook written inside the view's transaction, whose query is planned
    to stream, took a quarter less time. The first batch is read here, so that the query is sent
    from this thread on its connection as Django requires; the helper then only fetches from the
    cursor, on that connection.

    Until the helper has been joined, this thread sends nothing on the connection: a statement
    between two fetches (a progress row, a savepoint, the session put back) would run in the midst
    of the helper's reads, and a failure of either would leave the other on a transaction in
    error. A statement sent through Django meanwhile raises RuntimeError, whenever it comes. So
    the caller closes this generator (``contextlib.closing``) when it stops early or fails: the
    helper finishes its fetch and closes the cursor before the caller goes on."""
    first = list(itertools.islice(rows, batch))
    if len(first) < batch:
        yield from first
        return
    batches: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def run():
        try:
            while not stop.is_set() and (fetched := list(itertools.islice(rows, batch))):
                batches.put(fetched)
            rows.close()  # the cursor, when stopped early
        except BaseException as error:  # noqa: BLE001 - handed over to the reader
            batches.put(error)
        batches.put(_END)

    def refuse(execute, sql, params, many, context):
        raise RuntimeError(f"a statement on a connection whose rows are being read ahead: {sql[:80]}")

    helper = threading.Thread(target=run, name="read-ahead", daemon=True)
    wrappers = connection.execute_wrappers  # this thread's connection's, whichever thread closes this
    wrappers.append(refuse)
    helper.start()
    try:
        yield from first
        while (item := batches.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield from item
    finally:
        # Done, stopped early or failed: the helper finishes its fetch and closes the cursor.
        _wind_down(helper, stop, batches)
        wrappers.remove(refuse)


# --- XLSX -------------------------------------------------------------------------------------

XLSX_BATCH = 2_000


# Characters XML cannot hold (as openpyxl strips them too).
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_WIDTHS = (8, 14, 12, 48, 12, 12, 20, 12, 12, 12, 8, 8, 12, 20, 12)


# Day 0 of Excel's 1900 date system as a date ordinal: a date's serial number is its ordinal less
# this, as XlsxWriter's write_datetime computes it (for any date after February 1900).
_EXCEL_DAY_ZERO = date(1899, 12, 30).toordinal()


def _xlsx_text(value: str) -> str:
    # A carriage return becomes a line feed, as an XML reader reads it back anyway (XlsxWriter
    # would keep it as the escape _x000D_). Most texts have no control character at all: a
    # printable one is returned as it is, without the regular expression.
    if value.isprintable():
        return value
    return _NOT_IN_XML.sub("", value).replace("\r", "\n")


def xlsx_write(out, values: QuerySet, header: Header, progress: Progress = None) -> int:
    """Write the workbook to the binary file ``out`` (XlsxWriter's constant-memory mode: each
    row goes to a temporary file as soon as the next one starts; twice as fast as openpyxl's
    write-only mode here). Returns the number of rows."""
    workbook = xlsxwriter.Workbook(
        out,
        # Texts stay texts: never read as formulas, links or numbers.
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    sheet = workbook.add_worksheet(_("Overdue commitments")[:31])
    for column, width in enumerate(XLSX_WIDTHS):
        sheet.set_column(column, column, width)
    lines = [*header.lines(), [], [str(label) for label in COLUMNS]]
    for number, line in enumerate(lines):
        for column, cell in enumerate(line):
            sheet.write_string(number, column, _xlsx_text(neutralise(str(cell))))
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    done = 0
    number = len(lines)
    # Each cell written by its type: XlsxWriter's write() would try every type in turn. A date is
    # written as its serial number in the date format, which is what write_datetime writes after
    # converting any kind of date or time.
    write_string, write_number = sheet.write_string, sheet.write_number
    with export_session():
        rows = values.iterator(chunk_size=XLSX_BATCH)
        if connection.vendor == "postgresql" and progress is None:
            # Read ahead only where nothing else uses the connection until the last row: the
            # view's workbook. A background export writes its progress as it goes, and runs in
            # autocommit, where the holdable cursor has every row computed before the first.
            rows = read_ahead(rows, XLSX_BATCH)
        # Failing half-way, the helper is joined before the session's settings are put back.
        with closing(rows):
            for row in rows:
                for column, value in enumerate(row):
                    if value is None:
                        continue
                    if isinstance(value, str):
                        write_string(number, column, _xlsx_text(value))
                    elif isinstance(value, date):
                        write_number(number, column, value.toordinal() - _EXCEL_DAY_ZERO, day)
                    else:
                        write_number(number, column, value)
                number += 1
                done += 1
                if progress and done % PROGRESS_EVERY == 0:
                    progress(done)
    workbook.close()
    if progress:
        progress(done)
    return done


# --- PDF --------------------------------------------------------------------------------------


def pdf_document(rows: Iterable[Commitment], header: Header, *, now: datetime, rungs, progress: Progress = None):
    """A printable report of the rows (display rows, as on the page), laid out by WeasyPrint
    with the system's Noto CJK fonts. Nothing is fetched: the page has no external resources,
    and the fetcher refuses every URL."""
    # Imported here: WeasyPrint loads Pango when imported, which only PDF exports need.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    levels = {rung.pk: rung.name for rung in rungs}
    rows = selectors.table_rows(annotate_row(row, now=now, levels=levels) for row in rows)
    if progress:
        progress(len(rows))
    html = render_to_string("reports/overdue_pdf.html", {"rows": rows, "header": header})
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).render()


def pdf_bytes(rows: Iterable[Commitment], header: Header, **kwargs) -> bytes:
    return pdf_document(rows, header, **kwargs).write_pdf()


def annotate_row(commitment: Commitment, *, now: datetime, levels: dict) -> Commitment:
    """Set what a displayed row shows besides its own fields (the names a snapshot row has too):
    who and where by name, days overdue, the aging bucket and the escalation level."""
    commitment.village_name = commitment.village.name
    commitment.household_name = commitment.household.head_name if commitment.household else ""
    commitment.category_name = commitment.category.name
    commitment.owner_name = commitment.owner.name
    commitment.unit_name = commitment.owner.unit.name
    commitment.days_overdue = figures.days_overdue(commitment, now)
    commitment.bucket = figures.aging_bucket(commitment.days_overdue)
    commitment.bucket_label = commitment.bucket.label
    commitment.level_name = levels.get(commitment.level_id, "")
    commitment.commitment_id = commitment.pk
    return commitment
