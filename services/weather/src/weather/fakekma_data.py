"""What the fake KMA server says, and how: scenarios, the values of each grid cell and hour, warning
telegrams, and the bytes of each kind of answer.

Deterministic: the same scenario, cell and base time always give the same values, with a small
spread between cells and hours so that the eight-odd cells of a city do not look copied.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from fastapi.responses import Response

from . import domain
from .warning_status import parse_in_force

NONE_IN_FORCE = "o 없음"


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    t1h: float  # °C
    rn1: float  # mm in the hour
    reh: float  # %
    wsd: float  # m/s
    vec: float  # degrees, where the wind comes from
    pty: int  # now-cast precipitation type
    sky: int  # 1 clear, 3 mostly cloudy, 4 overcast
    pop: int  # probability of precipitation, %
    snow_cm: float = 0.0
    in_force: str = NONE_IN_FORCE  # t6 while this scenario lasts (station 109 and getPwnStatus)


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("clear_night", "a calm, clear night: no rain, no warnings", 6.0, 0.0, 55, 1.8, 290, 0, 1, 0),
    Scenario("heavy_rain", "호우경보 for 김포: about 40 mm an hour of rain (PTY 1)", 22.5, 38.5, 98, 7.5, 200, 1, 4,
             100, in_force="o 호우경보 : 경기도(김포, 고양, 파주), 인천(강화)\r\n"
                           "o 호우주의보 : 서울, 경기도(부천, 광명, 시흥)"),
    Scenario("cold_wave", "한파경보 and 대설주의보 for 김포: -15 °C and snow (PTY 3)", -15.0, 0.6, 70, 5.5, 320, 3, 4, 80,
             snow_cm=1.5, in_force="o 한파경보 : 경기도(김포, 파주, 연천, 포천), 강원도(철원)\r\n"
                                   "o 대설주의보 : 경기도(김포, 파주)\r\n"
                                   "o 한파주의보 : 서울, 인천, 경기도(고양, 양주)"),
)}


def _spread(nx: int, ny: int, hour: int) -> float:
    """-1 .. 1, fixed for a cell and hour."""
    return (((nx * 7 + ny * 13 + hour * 5) % 9) - 4) / 4


def cell_values(s: Scenario, nx: int, ny: int, at: datetime) -> dict[str, float]:
    """The scenario's weather at one cell and hour, as numbers."""
    k = _spread(nx, ny, at.hour)
    wsd = max(0.0, round(s.wsd + 0.6 * k, 1))
    vec = round((s.vec + 15 * k) % 360)
    rn1 = round(s.rn1 * (1 + 0.15 * k), 1) if s.rn1 else 0.0
    return {
        "T1H": round(s.t1h + 0.8 * k, 1), "RN1": rn1, "REH": min(100.0, round(s.reh + 3 * k)),
        "WSD": wsd, "VEC": vec, "PTY": s.pty, "SKY": s.sky, "POP": s.pop,
        "UUU": round(-wsd * math.sin(math.radians(vec)), 1), "VVV": round(-wsd * math.cos(math.radians(vec)), 1),
        "SNO": round(s.snow_cm * (1 + 0.2 * k), 1),
    }


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def rain_text(mm: float) -> str:
    """KMA's wording of a forecast amount (RN1 of getUltraSrtFcst, PCP of getVilageFcst)."""
    if mm <= 0:
        return "강수없음"
    if mm < 1.0:
        return "1.0mm 미만"
    if mm < 30.0:
        return f"{mm:.1f}mm"
    if mm < 50.0:
        return "30.0~50.0mm"
    return "50.0mm 이상"


def snow_text(cm: float) -> str:
    if cm <= 0:
        return "적설없음"
    if cm < 0.5:
        return "0.5cm 미만"
    if cm < 5.0:
        return f"{cm:.1f}cm"
    return "5.0cm 이상"


NOWCAST_CATEGORIES = ("PTY", "REH", "RN1", "T1H", "UUU", "VEC", "VVV", "WSD")
ULTRA_CATEGORIES = ("LGT", "PTY", "RN1", "SKY", "T1H", "REH", "UUU", "VVV", "VEC", "WSD")
VILLAGE_CATEGORIES = ("TMP", "UUU", "VVV", "VEC", "WSD", "SKY", "PTY", "POP", "PCP", "REH", "SNO")


def nowcast_items(s: Scenario, nx: int, ny: int, base: datetime) -> list[dict]:
    v = cell_values(s, nx, ny, base)
    d, t = f"{base:%Y%m%d}", f"{base:%H%M}"
    return [{"baseDate": d, "baseTime": t, "category": c, "nx": nx, "ny": ny, "obsrValue": _number(v[c])}
            for c in NOWCAST_CATEGORIES]


def _fcst(base: datetime, c: str, at: datetime, value: str, nx: int, ny: int) -> dict:
    return {"baseDate": f"{base:%Y%m%d}", "baseTime": f"{base:%H%M}", "category": c, "fcstDate": f"{at:%Y%m%d}",
            "fcstTime": f"{at:%H%M}", "fcstValue": value, "nx": nx, "ny": ny}


def ultra_items(s: Scenario, nx: int, ny: int, base: datetime) -> list[dict]:
    """Six hours ahead, sorted by category then time (as KMA sends it)."""
    first = base.replace(minute=0) + timedelta(hours=1)
    hours = [first + timedelta(hours=h) for h in range(6)]
    items = []
    for c in ULTRA_CATEGORIES:
        for at in hours:
            v = cell_values(s, nx, ny, at)
            text = {"LGT": "0", "RN1": rain_text(v["RN1"])}.get(c) or _number(v[c])
            items.append(_fcst(base, c, at, text, nx, ny))
    return items


def village_items(s: Scenario, nx: int, ny: int, base: datetime) -> list[dict]:
    """From the next hour to 23:00 two days later, hour by hour (TMN at 06:00, TMX at 15:00)."""
    end = base.replace(hour=23, minute=0) + timedelta(days=2)
    at, items = base + timedelta(hours=1), []
    while at <= end:
        v = cell_values(s, nx, ny, at)
        for c in VILLAGE_CATEGORIES:
            text = {"TMP": _number(v["T1H"]), "PCP": rain_text(v["RN1"]), "SNO": snow_text(v["SNO"])}.get(c)
            items.append(_fcst(base, c, at, text if text is not None else _number(v[c]), nx, ny))
        if at.hour in (6, 15):
            items.append(_fcst(base, "TMN" if at.hour == 6 else "TMX", at,
                               f"{v['T1H'] - 3 if at.hour == 6 else v['T1H'] + 4:.1f}", nx, ny))
        at += timedelta(hours=1)
    return items


# -- warning telegrams (station 109) -----------------------------------------------------------
@dataclass
class Telegrams:
    station: int = 109
    items: list[dict] = field(default_factory=list)
    in_force: str = NONE_IN_FORCE

    def announce(self, new_in_force: str, at: datetime) -> dict | None:
        """A telegram when what is in force changes; None when nothing changes."""
        before = {w.name: w for w in parse_in_force(self.in_force)}
        after = {w.name: w for w in parse_in_force(new_in_force)}
        if before.keys() == after.keys() and all(before[k].regions == after[k].regions for k in after):
            self.in_force = new_in_force
            return None
        what = [f"{n} 발표" for n in after if n not in before] + [f"{n} 해제" for n in before if n not in after]
        what += [f"{n} 변경" for n in after if n in before and before[n].regions != after[n].regions]
        regions = ", ".join(dict.fromkeys(r for w in (*after.values(), *before.values()) for r in w.regions))
        at = domain.kst(at).replace(second=0, microsecond=0)
        seq = 1 + sum(1 for t in self.items if str(t["tmFc"])[:6] == f"{at:%Y%m}")
        when = f"{at:%Y}년 {at:%m}월 {at:%d}일 {at:%H}시 {at:%M}분"
        telegram = {
            "stnId": str(self.station), "title": f"[특보] 제{at:%m}-{seq}호 : {at:%Y.%m.%d.%H:%M} / {'·'.join(what)}",
            "tmFc": int(f"{at:%Y%m%d%H%M}"), "tmSeq": seq,
            "t1": "o " + ", ".join(what), "t2": f"o {regions or '없음'}", "t3": f"o {when}", "t4": "o 없음",
            "t5": f"o {when} 현재", "t6": new_in_force, "t7": "o 없음", "other": "o 없음",
        }
        self.items.append(telegram)
        self.in_force = new_in_force
        return telegram

    def listed(self, since: str, until: str, now: datetime) -> list[dict]:
        """Telegrams announced between two dates (YYYYMMDD), within the six days the service keeps."""
        oldest = int(f"{domain.kst(now) - timedelta(days=6):%Y%m%d%H%M}")
        return [t for t in self.items
                if since <= str(t["tmFc"])[:8] <= until and t["tmFc"] >= oldest]

    def status(self, now: datetime) -> dict:
        """getPwnStatus: the nationwide status now (KMA writes "none" as ``o 없 음`` here)."""
        latest = self.items[-1]["tmFc"] if self.items else int(f"{domain.kst(now):%Y%m%d%H}00")
        seq = self.items[-1]["tmSeq"] if self.items else 1
        t6 = "o 없 음" if not parse_in_force(self.in_force) else self.in_force
        return {"t6": t6, "t7": "o 없음", "tmEf": str(latest), "tmFc": latest, "tmSeq": seq}


# -- the wire format (as in shared/data/kma/samples) ---------------------------------------------
GATEWAY_MESSAGES = {"22": "LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR", "30": "SERVICE_KEY_IS_NOT_REGISTERED_ERROR"}
JSON_TYPE, XML_TYPE = "application/json;charset=UTF-8", "text/xml;charset=UTF-8"


def _xml_item(item: dict[str, Any]) -> str:
    return "<item>" + "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in item.items()) + "</item>"


def ok(items: list[dict], data_type: str, page_no: int, rows: int, total: int) -> Response:
    if data_type == "XML":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\r\n<response><header><resultCode>00</resultCode>'
                "<resultMsg>NORMAL_SERVICE</resultMsg></header><body><dataType>XML</dataType><items>"
                + "".join(_xml_item(i) for i in items)
                + f"</items><numOfRows>{rows}</numOfRows><pageNo>{page_no}</pageNo>"
                f"<totalCount>{total}</totalCount></body></response>")
        return Response(body.encode(), media_type=XML_TYPE)
    doc = {"response": {"header": {"resultCode": "00", "resultMsg": "NORMAL_SERVICE"},
                        "body": {"dataType": "JSON", "items": {"item": items} if items else "",
                                 "pageNo": page_no, "numOfRows": rows, "totalCount": total}}}
    return Response(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode(), media_type=JSON_TYPE)


def provider_error(code: str, message: str, data_type: str) -> Response:
    """KMA's own errors: a header and no body (samples getVilageFcst_json_error03/10)."""
    if data_type == "XML":
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\r\n<response><header><resultCode>{code}</resultCode>'
                f"<resultMsg>{escape(message)}</resultMsg></header></response>")
        return Response(body.encode(), media_type=XML_TYPE)
    doc = {"response": {"header": {"resultCode": code, "resultMsg": message}}}
    return Response(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode(), media_type=JSON_TYPE)


def gateway_error(code: str) -> Response:
    """data.go.kr's own errors: always this XML, HTTP 200, whatever dataType was asked for."""
    body = ("<OpenAPI_ServiceResponse>\n\t<cmmMsgHeader>\n\t\t<errMsg>SERVICE ERROR</errMsg>\n"
            f"\t\t<returnAuthMsg>{GATEWAY_MESSAGES[code]}</returnAuthMsg>\n"
            f"\t\t<returnReasonCode>{code}</returnReasonCode>\n\t</cmmMsgHeader>\n</OpenAPI_ServiceResponse>")
    return Response(body.encode(), media_type=XML_TYPE)
