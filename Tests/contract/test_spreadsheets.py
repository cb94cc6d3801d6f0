"""What the office opens: the CSV with a byte-order mark, and the same table as XLSX, opened
with openpyxl, with numbers as numbers and dates as dates."""

from __future__ import annotations

import csv
import datetime
import io

import openpyxl
import requests

from openapi_support import required_env

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _get(path: str, accept: str) -> requests.Response:
    answer = requests.get(
        required_env("TTDN_BASE_URL").rstrip("/") + path,
        headers={"Authorization": f"Bearer {required_env('TTDN_ADMIN_TOKEN')}", "Accept": accept}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer


def _sheet(path: str):
    answer = _get(path, XLSX)
    assert answer.headers["Content-Type"] == XLSX
    assert answer.headers["Content-Disposition"].endswith('.xlsx"')
    workbook = openpyxl.load_workbook(io.BytesIO(answer.content))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_csv_with_a_byte_order_mark_reads_the_same():
    plain = _get("/v1/units?as_of=2023-06-01&limit=100", "text/csv").content
    marked = _get("/v1/units?as_of=2023-06-01&limit=100&bom=true", "text/csv").content
    assert marked.startswith(b"\xef\xbb\xbf") and not plain.startswith(b"\xef\xbb\xbf")
    assert marked.decode("utf-8-sig") == plain.decode("utf-8")
    assert "Phòng Giáo dục và Đào tạo quận Lê Chân" in plain.decode("utf-8")


def test_xlsx_is_the_csv_table_with_typed_cells():
    path = "/v1/report-periods?year=2023"
    rows = _sheet(path)
    table = list(csv.reader(io.StringIO(_get(path, "text/csv").text)))
    assert rows[0] == table[0]
    assert len(rows) == len(table)
    starts = rows[0].index("starts_on")
    version = rows[0].index("version")
    for row, text in zip(rows[1:], table[1:]):
        assert isinstance(row[starts], datetime.datetime)
        assert row[starts].date().isoformat() == text[starts]
        assert isinstance(row[version], int) and str(row[version]) == text[version]
    # An aggregate: counts are numbers.
    compliance = _sheet("/v1/aggregates/media?group_by=month&from=2023-01-01&to=2024-01-01")
    assert compliance[0] == ["month", "count"] or compliance[0][-1] == "count"
    assert all(isinstance(row[-1], int) for row in compliance[1:])
