"""The consolidated report's DOCX opens with an independent reader (python-docx) and says what
the report's JSON says: the layout of Decree 30/2020/NĐ-CP, the number, the figures, the recipients."""

from __future__ import annotations

import io
import uuid

import requests
from docx import Document

from openapi_support import required_env


def _call(method: str, path: str, body: dict | None = None) -> requests.Response:
    base = required_env("TTDN_BASE_URL").rstrip("/")
    headers = {"Authorization": f"Bearer {required_env('TTDN_ADMIN_TOKEN')}"}
    if method == "PATCH":
        headers["Content-Type"] = "application/merge-patch+json"
    response = requests.request(method, base + path, json=body, headers=headers, timeout=30)
    assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
    return response


def test_the_sent_report_reads_back_with_python_docx():
    suffix = uuid.uuid4().hex[:8].upper()
    period = f"2061-PY{suffix}"
    _call("POST", "/v1/report-periods", {
        "id": period, "kind": "ad_hoc", "title": f"Báo cáo thử {period}",
        "starts_on": "2015-03-01", "ends_on": "2015-05-31", "due_on": "2015-06-05",
    })
    unit = _call("POST", "/v1/units", {
        "code": f"PGD-PY{suffix}", "name": f"Phòng Giáo dục và Đào tạo thử {suffix}", "kind": "district_office",
    }).json()["id"]
    report = _call("POST", "/v1/reports", {"unit_id": unit, "period_id": period, "values": {"articles_published": 17}}).json()["id"]
    _call("POST", f"/v1/reports/{report}/submit")
    _call("POST", f"/v1/reports/{report}/accept")

    consolidated = _call("POST", "/v1/consolidated-reports", {"period_id": period}).json()
    path = f"/v1/consolidated-reports/{consolidated['id']}"
    number = f"{uuid.uuid4().int % 900000 + 100}/BC-SGDĐT"
    recipients = ["UBND thành phố (để b/c)", "Lưu: VT, VP"]
    _call("PATCH", path, {"number": number, "signer": "Nguyễn Văn Thử", "recipients": recipients})
    _call("POST", f"{path}/approve")
    sent = _call("POST", f"{path}/send", {"sent_on": "2015-06-08"}).json()

    docx = _call("GET", f"{path}/document")
    assert docx.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    document = Document(io.BytesIO(docx.content))

    paragraphs = [p.text for p in document.paragraphs]
    assert "BÁO CÁO" in paragraphs
    assert sent["title"] in paragraphs

    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "SỞ GIÁO DỤC VÀ ĐÀO TẠO" in cells[0]
    assert f"Số: {number}" in cells[0]
    assert "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM" in cells[1] and "Độc lập - Tự do - Hạnh phúc" in cells[1]
    assert "Hải Phòng, ngày 08 tháng 6 năm 2015" in cells[1]
    signature = document.tables[-1].rows[0].cells
    assert "Nơi nhận:" in signature[0].text
    for recipient in recipients:
        assert f"- {recipient}" in signature[0].text
    assert "Nguyễn Văn Thử" in signature[1].text

    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    figures = sent["figures"]
    indicator = next(i for i in figures["indicators"] if i["code"] == "articles_published")
    assert [indicator["name"], "17", "", "1"] in rows
    assert ["Đơn vị phải báo cáo", str(figures["compliance"]["expected"])] in rows
    assert ["Đơn vị đã gửi báo cáo", str(figures["compliance"]["submitted"])] in rows
    assert "Times New Roman" in document.styles.element.xml
