"""The inspector's overdue report in Chromium: filter it, then download XLSX and PDF of exactly
the filtered rows; the table fits a phone."""

import io
import os
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from reports.models import ExportAudit
from tests import factories as f
from tests.browser.helpers import open_menu, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}


def fits_the_phone(page):
    page.wait_for_load_state()  # the page's stylesheet stacks the table on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]




def overdue(world, household, text, days):
    due = timezone.now() - timedelta(days=days, hours=1)
    return f.CommitmentFactory(
        concern__household=household, owner=world.cadre, text=text, pledged_at=due - timedelta(days=10),
        original_due_at=due, due_at=due,
    )


def test_the_inspector_filters_the_report_and_downloads_xlsx_and_pdf(page, live_server, world, tmp_path):
    overdue(world, world.household_in, "Pave the lane to the school", 3)
    overdue(world, world.household_v2, "Fix the village well", 40)
    overdue(world, world.household_out, "Out of scope ditch", 50)
    page.set_viewport_size(PHONE)

    sign_in(page, live_server.url, "inspector")
    open_menu(page)
    page.get_by_test_id("nav-overdue-report").click()
    expect(page.get_by_test_id("overdue-row")).to_have_count(2)
    fits_the_phone(page)

    # Only what has been overdue for 31 to 90 days.
    page.locator("summary").click()
    page.select_option("select[name=bucket]", "31-90")
    page.get_by_test_id("apply-filters").click()
    expect(page.get_by_test_id("overdue-row")).to_have_count(1)
    expect(page.get_by_test_id("overdue-rows")).to_contain_text("Fix the village well")
    expect(page.get_by_test_id("report-total")).to_have_text("1 overdue commitment")
    fits_the_phone(page)
    if folder := os.environ.get("SCREENSHOTS"):
        page.screenshot(path=f"{folder}/overdue-report.png", full_page=True)

    with page.expect_download() as xlsx_download:
        page.get_by_test_id("export-xlsx").click()
    xlsx_path = tmp_path / xlsx_download.value.suggested_filename
    xlsx_download.value.save_as(xlsx_path)
    sheet = load_workbook(io.BytesIO(xlsx_path.read_bytes()), read_only=True).active
    sheet.reset_dimensions()  # the rows as written, not padded to the sheet's width
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("Scope", "Township 1") and rows[2] == ("Filters", "Days overdue: 31–90 days")
    assert [row[3] for row in rows[6:]] == ["Fix the village well"]

    with page.expect_download() as pdf_download:
        page.get_by_test_id("export-pdf").click()
    assert pdf_download.value.suggested_filename.endswith(".pdf")
    pdf_path = tmp_path / pdf_download.value.suggested_filename
    pdf_download.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")

    audits = list(ExportAudit.objects.order_by("at").values_list("format", "row_count", "filters"))
    assert audits == [("xlsx", 1, {"bucket": "31-90"}), ("pdf", 1, {"bucket": "31-90"})]
