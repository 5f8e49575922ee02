"""The Open311 service catalogue: one service per complaint type, with the attributes a caller fills in.

Pure data and validation (no I/O). ``service_code`` is the complaint type code of
``sunmoon.events.classifier.COMPLAINT_TYPES``; names and descriptions are in Korean, as callers see them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sunmoon.events.classifier import COMPLAINT_TYPES


@dataclass(frozen=True)
class Attribute:
    code: str
    description: str  # the question shown to the caller (Korean)
    datatype: str  # string | number | datetime | text | singlevaluelist | multivaluelist
    required: bool
    order: int
    values: tuple[tuple[str, str], ...] = ()  # (key, name) for the list datatypes
    datatype_description: str = ""


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str
    group: str
    keywords: tuple[str, ...]
    attributes: tuple[Attribute, ...] = field(default_factory=tuple)

    @property
    def metadata(self) -> bool:
        return bool(self.attributes)


def _yes_no(code: str, question: str, order: int) -> Attribute:
    return Attribute(code, question, "singlevaluelist", False, order, (("yes", "예"), ("no", "아니요")))


_ATTRIBUTES: dict[str, tuple[Attribute, ...]] = {
    "illegal_parking": (
        Attribute("vehicle_number", "차량번호", "string", True, 1,
                  datatype_description="예: 12가3456 (번호판 그대로)"),
        Attribute("parking_place", "주차 위치", "singlevaluelist", False, 2,
                  (("fire_facility", "소방시설 주변"), ("crosswalk", "횡단보도"), ("sidewalk", "인도"),
                   ("bus_stop", "버스정류장"), ("intersection", "교차로 모퉁이"), ("other", "기타"))),
    ),
    "water_supply": (
        Attribute("leak_size", "누수 규모", "singlevaluelist", True, 1,
                  (("drip", "물방울이 떨어짐"), ("flow", "물이 흐름"), ("gush", "물이 솟구침·도로 침수"))),
        _yes_no("no_water", "단수 여부(수돗물이 나오지 않음)", 2),
    ),
    "road_damage": (
        Attribute("damage_size", "파손 크기", "singlevaluelist", True, 1,
                  (("small", "손바닥 크기 이하"), ("medium", "30cm 안팎"), ("large", "차로를 막을 만큼 큼"))),
        _yes_no("lane_blocked", "차로가 막혔나요", 2),
    ),
    "sewer_drainage": (
        Attribute("water_depth_cm", "고인 물 깊이(cm)", "number", False, 1, datatype_description="대략의 깊이, cm"),
        _yes_no("building_flooded", "건물 안으로 물이 들어왔나요", 2),
    ),
    "streetlight": (
        Attribute("pole_number", "가로등 관리번호", "string", False, 1, datatype_description="기둥에 붙은 번호"),
        Attribute("light_state", "상태", "singlevaluelist", True, 2,
                  (("off", "꺼짐"), ("flicker", "깜빡임"), ("damaged", "파손·기울어짐"))),
    ),
    "noise": (
        Attribute("noise_source", "소음 원인", "singlevaluelist", False, 1,
                  (("construction", "공사장"), ("shop", "업소·상가"), ("neighbour", "이웃·주택"),
                   ("vehicle", "차량·오토바이"), ("other", "기타"))),
    ),
    "animal": (
        Attribute("animal_state", "동물 상태", "singlevaluelist", True, 1,
                  (("carcass", "사체"), ("injured", "다침"), ("stray", "유기·떠돌이"), ("wild", "야생동물·위험"))),
        Attribute("animal_kind", "동물 종류", "string", False, 2, datatype_description="예: 고양이, 고라니"),
    ),
    "traffic_facility": (
        _yes_no("signal_out", "신호등이 꺼졌나요", 1),
    ),
}

_DESCRIPTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "road_damage": ("포트홀, 보도블럭·맨홀 뚜껑 파손, 땅꺼짐 등 도로와 보도의 파손", "도로·교통", ("포트홀", "보도블럭", "맨홀")),
    "water_supply": ("수도관 파열·누수, 단수, 계량기 동파 등 상수도 문제", "상하수도", ("누수", "단수", "수도관")),
    "sewer_drainage": ("하수구·빗물받이 막힘, 역류, 침수", "상하수도", ("하수구", "침수", "역류")),
    "illegal_parking": ("불법 주정차, 소방시설·횡단보도·인도 주차, 방치 차량", "도로·교통", ("주차", "견인")),
    "noise": ("공사장·업소·이웃·차량 소음과 진동", "환경", ("소음", "진동")),
    "streetlight": ("가로등·보안등 꺼짐, 깜빡임, 파손", "도로·교통", ("가로등", "보안등")),
    "traffic_facility": ("신호등 고장, 표지판·가드레일·과속방지턱 등 교통시설 파손", "도로·교통", ("신호등", "표지판")),
    "animal": ("동물 사체(로드킬), 유기·떠돌이 동물, 멧돼지·뱀 등 야생동물, 벌집", "환경", ("로드킬", "유기동물")),
    "waste": ("쓰레기 무단투기, 미수거 쓰레기, 재활용·음식물 수거함", "환경", ("쓰레기", "무단투기")),
    "tree_vegetation": ("쓰러진 나무, 도로로 뻗은 가지, 가로수·녹지 관리", "환경", ("가로수", "나무")),
    "odor_pollution": ("악취, 비산먼지, 매연, 하천 오염, 화학물질 유출", "환경", ("악취", "오염")),
    "public_order": ("주취자, 노숙인, 싸움·소란, 보호가 필요한 사람", "생활안전", ("주취자", "소란")),
    "facility_safety": ("위험한 건물·간판, 공사장 안전, 옹벽, 놀이터 등 공공시설 위험", "생활안전", ("공사장", "간판")),
    "snow_ice": ("제설, 빙판길, 결빙 구간 제설제 살포", "도로·교통", ("제설", "빙판")),
    "other": ("위에 없는 민원: 행정 문의, 인허가, 정책 의견 등", "기타", ("문의",)),
}

SERVICES: dict[str, Service] = {
    code: Service(code=code, name=label, description=_DESCRIPTIONS[code][0], group=_DESCRIPTIONS[code][1],
                  keywords=_DESCRIPTIONS[code][2], attributes=_ATTRIBUTES.get(code, ()))
    for code, label in COMPLAINT_TYPES.items()
}


class InvalidAttribute(ValueError):
    """A caller's attribute value is missing or does not fit its definition (message in Korean/English)."""


def clean_attributes(service: Service, given: dict[str, list[str]]) -> dict[str, str | float | list[str]]:
    """Validate ``attribute[CODE]`` values against the service definition; return the clean values.

    Unknown codes are refused (a typo would otherwise drop information silently).
    """
    known = {a.code: a for a in service.attributes}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise InvalidAttribute(f"attribute[{unknown[0]}]: 이 서비스에 없는 항목입니다 (unknown attribute for "
                               f"{service.code}; known: {', '.join(known) or 'none'})")
    out: dict[str, str | float | list[str]] = {}
    for attr in service.attributes:
        values = [v.strip() for v in given.get(attr.code, []) if v.strip()]
        if not values:
            if attr.required:
                raise InvalidAttribute(f"attribute[{attr.code}] ({attr.description}) 항목은 필수입니다 "
                                       f"(required attribute is missing)")
            continue
        out[attr.code] = _one(attr, values)
    return out


def _one(attr: Attribute, values: list[str]) -> str | float | list[str]:
    keys = {k for k, _ in attr.values}
    if attr.datatype == "multivaluelist":
        bad = [v for v in values if v not in keys]
        if bad:
            raise InvalidAttribute(f"attribute[{attr.code}]: {bad[0]!r} 값은 허용되지 않습니다 (one of {sorted(keys)})")
        return sorted(set(values))
    if len(values) > 1:
        raise InvalidAttribute(f"attribute[{attr.code}]: 값은 하나만 줄 수 있습니다 (single value expected)")
    value = values[0]
    if attr.datatype == "singlevaluelist" and value not in keys:
        raise InvalidAttribute(f"attribute[{attr.code}]: {value!r} 값은 허용되지 않습니다 (one of {sorted(keys)})")
    if attr.datatype == "number":
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise InvalidAttribute(f"attribute[{attr.code}]: 숫자가 아닙니다 (not a number: {value!r})")
        return number
    if len(value) > 200:
        raise InvalidAttribute(f"attribute[{attr.code}]: 200자를 넘습니다 (longer than 200 characters)")
    return value


def describe(service: Service, values: dict[str, str | float | list[str]]) -> str:
    """The attributes as one Korean line for the officer: '차량번호: 12가3456 · 주차 위치: 횡단보도'."""
    parts = []
    for attr in service.attributes:
        if attr.code not in values:
            continue
        value = values[attr.code]
        names = dict(attr.values)
        if isinstance(value, list):
            shown = ", ".join(names.get(v, v) for v in value)
        elif isinstance(value, float):
            shown = f"{value:g}"
        else:
            shown = names.get(value, value)
        parts.append(f"{attr.description}: {shown}")
    return " · ".join(parts)
