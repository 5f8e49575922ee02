"""Pieces of the reports and analytics that need no database: summaries, the report model, layouts."""

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reporting import domain
from reporting.analytics import compute
from reporting.api_reports import content_disposition
from reporting.reports import model
from reporting.reports.pdf_list import fit, pad
from reporting.shifts import Calendar

KST = ZoneInfo("Asia/Seoul")


@pytest.mark.parametrize(("text", "summary"), [
    ("사우동 맨홀이 열려 있어요", "사우동 맨홀이 열려 있어요"),
    ("연락 주세요 010-1234-5678 빨리", "연락 주세요 (번호) 빨리"),
    ("연락처 010-****-5678", "연락처 (번호)"),
    ("메일 hong@example.com 으로", "메일 (메일) 으로"),
    ("계좌 123-456-789012", "계좌 (번호)"),
    ("3-4대 주차,   줄\n바꿈", "3-4대 주차, 줄 바꿈"),
    ("가" * 60, "가" * 39 + "…"),
])
def test_summary_keeps_no_numbers_and_forty_characters(text, summary):
    assert domain.summarize_description(text) == summary
    assert len(domain.summarize_description(text)) <= domain.SUMMARY_LENGTH


def test_place_is_rounded_to_about_ten_metres():
    assert domain.round_place(37.615349) == 37.6153 and domain.round_place(None) is None


def _rows():
    cal = Calendar()
    shift = cal.shift_of(date(2026, 7, 14))
    t = shift.since
    c1, c2, c3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    complaints = [
        (c1, t + timedelta(minutes=5), "phone", "사우동", "resolved", "sewer_drainage", "urgent", "하수도과", t,
         t + timedelta(minutes=8), t + timedelta(minutes=20), t + timedelta(minutes=65), 1, ["호우경보"], True,
         "맨홀", 30.0, 22.0),
        (c2, t + timedelta(hours=3), "web", None, "received", None, None, None, None, None, None, None, 0, [], False,
         None, None, None),
        (c3, t + timedelta(hours=14, minutes=59), "visit", "고촌읍", "dispatched", "road_damage", "normal", "도로과",
         None, t + timedelta(hours=15, minutes=1), None, None, 2, [], False, "포트홀", None, None),
    ]
    notifications = [
        (uuid.uuid4(), c1, "하수과 당직", "primary", "sens", "SMS", t + timedelta(minutes=8), t + timedelta(minutes=20),
         "sewer_drainage", "사우동", t + timedelta(minutes=5)),
        (uuid.uuid4(), c3, "도로과 당직", "primary", "sens", "SMS", t + timedelta(hours=15), None, "road_damage",
         "고촌읍", t),
        (uuid.uuid4(), c3, "도로과 당직", "backup", "sens", "LMS", t + timedelta(hours=15, minutes=5), None,
         "road_damage", "고촌읍", t),
    ]
    return cal, shift, complaints, notifications


def test_report_model_counts_and_labels():
    cal, shift, complaints, notifications = _rows()
    data = model.build(report_id=uuid.uuid4(), city="김포시", kind="shift", since=shift.since, until=shift.until,
                       tz=KST, generated_at=datetime.now(UTC), automatic=True, shift=shift,
                       complaint_rows=complaints, notification_rows=notifications)
    assert data.total == 3 and data.title == "당직일지"
    assert data.period == "2026년 7월 14일(화) 18:00 ~ 7월 15일(수) 09:00 (평일 야간)"
    assert data.totals["by_type"]["unclassified"] == 1 and data.totals["by_urgency"]["urgent"] == 1
    assert list(data.complaints["type_label"]) == ["하수·배수·침수", "미분류", "도로·보도 파손"]
    assert list(data.complaints["notified"]) == ["하수과 당직(담당)", "", "도로과 당직(담당), 도로과 당직(예비)"]
    response = data.response.set_index("구간")
    assert response.loc["접수 → 통보", "건수"] == 2 and response.loc["접수 → 완료", "중앙값(분)"] == 60.0
    assert data.warnings.to_dict("records") == [{"특보": "호우경보", "민원(건)": 1, "기상으로 긴급 상향(건)": 1}]
    teams = data.teams.set_index("팀")
    assert teams.loc["도로과 당직", "통보(건)"] == 2 and teams.loc["도로과 당직", "예비·감독 통보(건)"] == 1
    assert list(data.hourly.index)[:2] == ["18시\n14일", "19시"] and len(data.hourly) == 15
    assert int(data.hourly.to_numpy().sum()) == 3
    assert list(data.departments()) == ["도로과", "부서 미지정", "하수도과"]


def test_an_empty_shift_still_makes_a_report():
    cal, shift, _c, _n = _rows()
    data = model.build(report_id=uuid.uuid4(), city="김포시", kind="shift", since=shift.since, until=shift.until,
                       tz=KST, generated_at=datetime.now(UTC), automatic=True, shift=shift, complaint_rows=[],
                       notification_rows=[])
    from reporting.reports.pdf import render_pdf
    from reporting.reports.xlsx import render_xlsx

    assert data.total == 0 and data.warnings.empty and data.teams.empty
    assert render_xlsx(data)[:2] == b"PK" and render_pdf(data)[:5] == b"%PDF-"


def test_text_is_cut_to_its_column():
    assert fit("짧은 글", 10) == "짧은 글"
    cut = fit("가" * 40, 10)
    assert cut.endswith("…") and len(cut) < 12
    assert pad("사우동", 10) == "사우동    " and len(pad("abc", 5)) == 5
    assert pad("동물(사체·유기·야생)", 10).endswith("…") or len(pad("동물(사체·유기·야생)", 10)) <= 10


def test_korean_file_names_survive_http_headers():
    header = content_disposition("김포시_당직일지_2026-07-14.pdf")
    assert header.startswith('attachment; filename="') and header.isascii()
    assert "filename*=UTF-8''%EA%B9%80%ED%8F%AC%EC%8B%9C_" in header


def test_repeat_places_take_each_complaint_once():
    t = datetime(2026, 3, 1, tzinfo=UTC)
    rows = [{"complaint_id": uuid.uuid4(), "lat": 37.6150 + d, "lon": 126.7150, "received_at": t, "type": "noise",
             "district": "사우동"} for d in (0, 0.0001, 0.0002, 0.0003, 0.0004)]  # 11 m apart, 44 m in all
    rows.append({"complaint_id": uuid.uuid4(), "lat": 37.7, "lon": 126.6, "received_at": t, "type": "noise",
                 "district": "하성면"})
    table, notes = compute.repeat_places(rows)
    assert list(table["complaints"]) == [5] and notes["located"] == 6
    assert compute.repeat_places(rows, min_count=6)[0].empty
    assert compute.repeat_places([], min_count=3)[0].empty


def test_trends_fill_missing_months():
    rows = [{"month": "2026-01", "type": "noise", "count": 4}, {"month": "2026-03", "type": "noise", "count": 2}]
    table, notes = compute.trends(rows)
    assert notes["months"] == ["2026-01", "2026-02", "2026-03"]
    feb = table[(table["month"] == "2026-02") & (table["type"] == "all")].iloc[0]
    assert (feb["count"], feb["previous"], feb["change"], feb["change_pct"]) == (0, 4, -4, -100.0)


def test_long_lists_use_the_compact_layout_and_are_cut_to_the_limit():
    import io

    import pypdf

    from reporting.reports.pdf import render_pdf

    cal, shift, complaints, notifications = _rows()
    many = [(uuid.uuid4(), shift.since + timedelta(minutes=i), "phone", "사우동", "dispatched", "noise",
             "urgent" if i % 10 == 0 else "low", "환경과", None, shift.since + timedelta(minutes=i + 3), None, None, 1,
             [], False, f"소음 민원 {i}번", None, None) for i in range(350)]
    data = model.build(report_id=uuid.uuid4(), city="김포시", kind="shift", since=shift.since, until=shift.until,
                       tz=KST, generated_at=datetime.now(UTC), automatic=False, shift=shift, complaint_rows=many,
                       notification_rows=[])
    pdf = pypdf.PdfReader(io.BytesIO(render_pdf(data, list_limit=120, compact_from=100)))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "전체 350건 중 120건 (긴급·미완료 우선)" in text
    # the 35 urgent ones are all kept (the last is no. 340), then the earliest others; no. 349 is left out
    assert "소음 민원 0번" in text and "소음 민원 340번" in text and "소음 민원 349번" not in text
    fonts = {str(f.get_object()["/BaseFont"]).split("+")[-1] for page in pdf.pages
             for f in (page["/Resources"].get_object().get("/Font") or {}).values()}
    assert "SunmoonMono" in fonts
