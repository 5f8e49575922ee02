"""The duty report (당직일지) end to end: events in, Excel and PDF out, read back; the archive."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote

import openpyxl
import pypdf

# The shift of Tuesday 2026-07-14: 18:00 KST (09:00Z) to Wednesday 09:00 KST (00:00Z).
SHIFT_DATE = date(2026, 7, 14)
START = datetime(2026, 7, 14, 9, 0, tzinfo=UTC)
END = datetime(2026, 7, 15, 0, 0, tzinfo=UTC)


def _minutes(m: int) -> datetime:
    return START + timedelta(minutes=m)


def _shift(complaint):
    C = complaint
    return [
        C(_minutes(20), "사우동", "sewer_drainage", "urgent", "하수도과", "resolved", ["호우경보"], "하수과 당직"),
        C(_minutes(65), "풍무동", "sewer_drainage", "normal", "하수도과", "acknowledged", ["호우경보"], "하수과 당직"),
        C(_minutes(160), "고촌읍", "road_damage", "urgent", "도로과", "dispatched", team="도로과 당직", backup=True),
        C(_minutes(250), "장기동", "noise", "low", "환경과", "classified"),
        C(_minutes(330), "사우동", "water_supply", "urgent", "상수도과", "resolved", team="상수도과 당직"),
        C(_minutes(435), "구래동", "animal", "normal", "환경과", "acknowledged", team="환경과 당직"),
        C(_minutes(540), "운양동"),  # received, not classified yet
        C(_minutes(890), "장기동", "streetlight", "low", "도로과", "dispatched", team="도로과 당직"),
        # outside the shift: the afternoon before, and after the morning handover
        C(START - timedelta(hours=1), "사우동", "noise", "low", "환경과", "resolved", team="환경과 당직"),
        C(END + timedelta(minutes=10), "사우동", "noise", "low", "환경과", "classified"),
    ]


EXPECTED = {
    "total": 8,
    "status": {"접수": 1, "분류": 1, "통보": 2, "확인": 2, "완료": 2},
    "type": {"하수·배수·침수": 2, "도로·보도 파손": 1, "소음": 1, "상수도 누수·단수": 1, "동물(사체·유기·야생)": 1,
             "가로등·보안등": 1, "미분류": 1},
    "urgency": {"긴급": 3, "보통": 2, "낮음": 2, "미분류": 1},
}


def _sections(ws) -> dict[str, dict]:
    """The summary sheet's sections: {title: {label: value}} (a section ends at an empty row)."""
    rows = list(ws.iter_rows(values_only=True))
    out: dict[str, dict] = {}
    i = 0
    while i < len(rows):
        row = rows[i]
        headers = ("상태", "유형", "긴급도", "구간", "특보", "팀")
        if row and row[0] and (i + 1 < len(rows)) and rows[i + 1][0] in headers:
            body, j = {}, i + 2
            while j < len(rows) and rows[j] and rows[j][0] is not None:
                values = list(rows[j][1:])
                while values and values[-1] is None:
                    values.pop()
                body[rows[j][0]] = values[0] if len(values) == 1 else tuple(values)
                j += 1
            out[row[0]] = body
            i = j
        else:
            i += 1
    return out


async def test_shift_report_in_excel_and_pdf(start_reporting, complaint):
    async with start_reporting() as svc:
        stories = _shift(complaint)
        await svc.send(*[e for c in stories for e in c.events()])

        r = await svc.client.post("/api/v1/reports", json={"shift_date": SHIFT_DATE.isoformat()})
        assert r.status_code == 201, r.text
        report = r.json()
        assert report["kind"] == "shift" and report["automatic"] is False and report["complaints"] == 8
        assert report["since"] == "2026-07-14T09:00:00Z" and report["until"] == "2026-07-15T00:00:00Z"
        assert report["parameters"]["shift_kind"] == "weekday_night"
        files = {f["format"]: f for f in report["files"]}
        assert set(files) == {"xlsx", "pdf"}

        # -- Excel ---------------------------------------------------------------------------------
        x = await svc.client.get(files["xlsx"]["url"])
        assert x.status_code == 200
        assert x.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        disposition = x.headers["content-disposition"]
        assert disposition.startswith("attachment;") and 'filename="' in disposition
        assert unquote(disposition.split("filename*=UTF-8''")[1]) == "김포시_당직일지_2026-07-14.xlsx"
        assert hashlib.sha256(x.content).hexdigest() == files["xlsx"]["sha256"] == x.headers["etag"].strip('"')
        wb = openpyxl.load_workbook(io.BytesIO(x.content))
        assert wb.sheetnames[:3] == ["요약", "민원 목록", "SMS 기록"]
        assert set(wb.sheetnames[3:]) == {"하수도과", "도로과", "환경과", "상수도과", "부서 미지정"}

        summary = wb["요약"]
        assert summary["A1"].value == "김포시 당직일지"
        assert summary["B2"].value == "2026년 7월 14일(화) 18:00 ~ 7월 15일(수) 09:00 (평일 야간)"
        total_row = next(r for r in summary.iter_rows(values_only=True) if r[0] == "총 접수")
        assert total_row[1] == EXPECTED["total"]
        sections = _sections(summary)
        assert sections["처리 상태별"] == EXPECTED["status"]
        assert sections["유형별"] == EXPECTED["type"]
        assert sections["긴급도별"] == EXPECTED["urgency"]
        assert sections["기상 특보 (접수 당시 발효 중)"] == {"호우경보": (2, 2)}
        response = sections["응답 시간 (분)"]
        assert response["접수 → 통보"][:3] == (6, 3, 3) and response["통보 → 확인"][:3] == (4, 9, 9)
        assert response["접수 → 완료"][:3] == (2, 45, 45)
        assert sections["팀별 통보"]["도로과 당직"] == (3, 0, None, 1)
        assert "개인정보가 없습니다" in summary.cell(summary.max_row, 1).value

        listing = wb["민원 목록"]
        assert listing.freeze_panes == "A2"
        header = [c.value for c in listing[1]]
        assert header[:10] == ["접수 시각", "유형", "긴급도", "읍·면·동", "담당 부서", "통보 (팀·역할)", "통보 시각",
                               "확인 시각", "완료 시각", "결과"]
        rows = list(listing.iter_rows(min_row=2, values_only=True))
        assert len(rows) == 8
        first = rows[0]
        assert first[0] == datetime(2026, 7, 14, 18, 20) and listing["A2"].number_format == 'yyyy"년" m"월" d"일" hh:mm'
        assert first[1:5] == ("하수·배수·침수", "긴급", "사우동", "하수도과")
        assert first[5] == "하수과 당직(담당)" and first[8] == datetime(2026, 7, 14, 19, 5) and first[9] == "처리 완료"
        assert first[10] == "사우동 사거리 맨홀 뚜껑이 열려 있어요. 연락처 (번호)"
        road = next(r for r in rows if r[1] == "도로·보도 파손")
        assert road[5] == "도로과 당직(담당), 도로과 당직(예비)"
        assert listing.column_dimensions["A"].width > 15

        sms = list(wb["SMS 기록"].iter_rows(values_only=True))
        assert sms[0][:5] == ("발송 시각", "팀", "역할", "발송 경로", "종류") and len(sms) == 1 + 7
        road_sheet = list(wb["도로과"].iter_rows(min_row=2, values_only=True))
        assert [r[1] for r in road_sheet] == ["도로·보도 파손", "가로등·보안등"]
        outcome = [c.value for c in wb["도로과"][1]].index("결과") + 1
        assert wb["도로과"].cell(2, outcome).fill.fgColor.rgb.endswith("FFF2CC")  # unfinished: marked
        water = wb["상수도과"]
        assert water.cell(2, outcome).value == "처리 완료" and water.cell(2, outcome).fill.fill_type is None
        dump = " ".join(str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c)
        for secret in ("****", "w-017", "123-4", "경기도"):
            assert secret not in dump

        # -- PDF -----------------------------------------------------------------------------------
        p = await svc.client.get(files["pdf"]["url"])
        assert p.status_code == 200 and p.headers["content-type"] == "application/pdf"
        assert unquote(p.headers["content-disposition"].split("filename*=UTF-8''")[1]) == \
            "김포시_당직일지_2026-07-14.pdf"
        pdf = pypdf.PdfReader(io.BytesIO(p.content))
        text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
        assert re.search(r"[가-힣]", text)
        assert "김포시 당직일지" in text and "2026년 7월 14일(화) 18:00 ~ 7월 15일(수) 09:00" in text
        assert re.search(r"총 접수\s*8\s*건", text) and re.search(r"완료\s*2\s*건", text)
        assert "하수·배수·침수" in text and "사우동" in text and "개인정보" in text
        assert f"1 / {len(pdf.pages)}" in text  # page numbers
        assert pdf.pages[0].mediabox.width < pdf.pages[0].mediabox.height  # A4 portrait ...
        assert pdf.pages[-1].mediabox.width > pdf.pages[-1].mediabox.height  # ... the list in landscape
        fonts = _fonts(pdf)
        assert fonts and all(embedded for embedded in fonts.values()), fonts
        assert any(name.endswith("SunmoonKR") for name in fonts), fonts
        # only the fonts shipped with reporting: no glyph came from the machine's fonts
        assert all(name.split("+")[-1].startswith("Sunmoon") for name in fonts), fonts
        assert any(_has_image(page) for page in pdf.pages)  # the chart
        for secret in ("****", "w-017", "123-4"):
            assert secret not in text

        # -- announced through the outbox, with the same checksums -----------------------------------
        async def announced():
            events = await svc.reporting_events()
            return [e for s, e in events if s == "reporting.report.generated.v1"]
        generated = await svc.eventually(announced, what="ReportGenerated")
        payload = generated[0]["payload"]
        assert payload["report_id"] == report["id"] and payload["complaints"] == 8
        assert payload["sha256"] == {"xlsx": files["xlsx"]["sha256"], "pdf": files["pdf"]["sha256"]}


def _fonts(pdf: pypdf.PdfReader) -> dict[str, bool]:
    """Every font the pages use -> whether its program is embedded."""
    out: dict[str, bool] = {}
    for page in pdf.pages:
        for font in (page["/Resources"].get_object().get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            out[str(font["/BaseFont"])] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return out


def _has_image(page) -> bool:
    xobjects = page["/Resources"].get_object().get("/XObject") or {}
    return any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())


async def test_archive_lists_ranges_and_refuses_what_it_cannot(start_reporting, complaint):
    async with start_reporting() as svc:
        await svc.send(*complaint(_minutes(30), "사우동", "noise", "low", "환경과", "classified").events())
        month = await svc.client.post("/api/v1/reports", json={
            "since": "2026-07-01T00:00:00+09:00", "until": "2026-08-01T00:00:00+09:00", "formats": ["xlsx"]})
        assert month.status_code == 201, month.text
        assert month.json()["kind"] == "month" and [f["format"] for f in month.json()["files"]] == ["xlsx"]
        assert month.json()["files"][0]["filename"] == "김포시_월간_민원_보고서_2026-07.xlsx"
        ranged = await svc.client.post("/api/v1/reports", json={
            "since": "2026-07-14T20:00:00", "until": "2026-07-14T21:00:00", "formats": ["pdf"]})
        assert ranged.status_code == 201 and ranged.json()["kind"] == "range"
        assert ranged.json()["complaints"] == 0  # 18:30 KST is outside 20:00-21:00
        pdf = await svc.client.get(f"/api/v1/reports/{ranged.json()['id']}/pdf")
        assert "민원 처리 보고서" in pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()

        listed = (await svc.client.get("/api/v1/reports")).json()
        assert listed["total"] == 2 and [i["kind"] for i in listed["items"]] == ["range", "month"]
        assert (await svc.client.get("/api/v1/reports", params={"kind": "month"})).json()["total"] == 1
        assert (await svc.client.get("/api/v1/reports", params={"automatic": True})).json()["total"] == 0
        one = await svc.client.get(f"/api/v1/reports/{month.json()['id']}")
        assert one.status_code == 200 and one.json()["complaints"] == 1

        etag = (await svc.client.get(f"/api/v1/reports/{month.json()['id']}/xlsx")).headers["etag"]
        again = await svc.client.get(f"/api/v1/reports/{month.json()['id']}/xlsx", headers={"If-None-Match": etag})
        assert again.status_code == 304

        assert (await svc.client.get(f"/api/v1/reports/{month.json()['id']}/pdf")).status_code == 404
        assert (await svc.client.get(f"/api/v1/reports/{uuid.uuid4()}")).status_code == 404
        assert (await svc.client.get(f"/api/v1/reports/{uuid.uuid4()}/xlsx")).status_code == 404
        assert (await svc.client.get(f"/api/v1/reports/{month.json()['id']}/docx")).status_code == 422
        for body in ({"since": "2026-07-15T00:00:00Z", "until": "2026-07-14T00:00:00Z"},
                     {"since": "2024-01-01T00:00:00Z", "until": "2026-07-14T00:00:00Z"},
                     {"shift_date": "2026-07-14", "since": "2026-07-14T00:00:00Z"},
                     {"shift_date": "2026-07-14", "formats": []},
                     {"shift_date": "2026-07-14", "formats": ["docx"]}):
            assert (await svc.client.post("/api/v1/reports", json=body)).status_code == 422, body
