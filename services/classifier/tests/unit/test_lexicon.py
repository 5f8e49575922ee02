"""Model lexicon-1 on realistic night-time complaints, labelled by the guide (shared/design/TAXONOMY.md).

Each case: the text as a caller says it (typos and odd spacing included), the type the guide
gives it and, where the guide decides it, the urgency. No I/O.
"""

from __future__ import annotations

import pytest

from classifier import domain
from classifier.taxonomy import TYPES

U, N, L = "urgent", "normal", "low"

CASES: list[tuple[str, str, str | None]] = [
    # road_damage
    ("사우동 사거리 맨홀 뚜껑이 열려 있어요", "road_damage", U),
    ("도로에 포트홀이 생겨서 차가 덜컹거려요", "road_damage", N),
    ("인도 보도블럭이 들떠서 사람들이 걸려 넘어질 것 같아요", "road_damage", N),
    ("장기동 도로 한가운데가 갑자기 꺼졌어요 싱크홀 같아요", "road_damage", U),
    ("아스팔트가 움푹 패여서 물웅덩이가 생겼어요", "road_damage", N),
    ("보도 블록이 깨져있어요 ㅠㅠ", "road_damage", N),
    ("땅꺼짐 현상이 있어요 도로가 내려앉았어요", "road_damage", U),
    ("퍼트홀 때문에 타이어가 찢어졌어요", "road_damage", N),
    # water_supply
    ("수도관이 터져서 물이 도로로 넘치고 있어요", "water_supply", U),
    ("고촌읍 신곡리 도로에서 수도관이 터져서 물이 넘치고 있어요", "water_supply", U),
    ("저녁부터 수돗물이 안 나와요 단수인가요?", "water_supply", N),
    ("계량기가 동파돼서 물이 새고 있어요", "water_supply", N),
    ("수돗물에서 녹물이 나와요", "water_supply", N),
    ("길가에서 상수도관 누수가 있는지 물이 계속 솟아올라요", "water_supply", U),
    ("물이안나와요 아파트 전체가 단수됐어요", "water_supply", N),
    # sewer_drainage
    ("하수구가 막혀서 물이 안 빠져요", "sewer_drainage", N),
    ("비가 많이 와서 지하 주차장이 침수되고 있어요", "sewer_drainage", U),
    ("빗물받이에 쓰레기가 꽉 차서 막혔어요", "sewer_drainage", N),
    ("화장실 하수가 역류해서 집안으로 오수가 넘쳐요", "sewer_drainage", U),
    ("정화조가 넘쳐서 골목에 오물이 흘러요", "sewer_drainage", None),
    ("도로가 물에 잠겨서 차가 못 다녀요", "sewer_drainage", U),
    # illegal_parking
    ("집 앞에 불법주차된 차 때문에 차를 못 빼요", "illegal_parking", N),
    ("소방차 전용구역에 차가 주차되어 있어요", "illegal_parking", N),
    ("인도 위에 트럭이 불법 주정차 해 있어요", "illegal_parking", None),
    ("아파트 앞 도로에 몇 달째 방치된 차량이 있어요", "illegal_parking", L),
    ("견인 기준이 너무 불합리합니다 왜 제 차만 견인하나요", "illegal_parking", L),
    ("장애인 주차구역에 일반 차량이 주차했어요", "illegal_parking", L),
    ("불법주차차량 단속해주세요", "illegal_parking", L),
    # noise
    ("윗집 층간소음 때문에 잠을 못 자겠어요", "noise", N),
    ("새벽인데 공사장에서 쿵쿵거리는 소리가 나요", "noise", N),
    ("술집 음악소리가 너무 커요", "noise", N),
    ("오토바이 폭주족 굉음 때문에 시끄러워요", "noise", N),
    ("옆집 개가 계속 짖어서 시끄러워요", "noise", N),
    ("밤새 확성기 소리가 너무 시끄럽네요", "noise", N),
    # streetlight
    ("주차장이 너무 어두워요", "streetlight", L),
    ("골목 가로등이 꺼져 있어요", "streetlight", N),
    ("보안등이 깜빡깜빡해요", "streetlight", N),
    ("버스정류장이 어두워서 무서워요", "streetlight", L),
    ("가로동이 안들어와요", "streetlight", N),
    ("공원 산책로에 가로등 추가 설치해 주세요", "streetlight", L),
    # traffic_facility
    ("사거리 신호등이 꺼져 있어요", "traffic_facility", U),
    ("교차로 신호등이 고장나서 계속 빨간불이에요", "traffic_facility", U),
    ("교통표지판이 휘어져서 안 보여요", "traffic_facility", N),
    ("과속방지턱 도색이 다 지워졌어요", "traffic_facility", None),
    ("가드레일이 파손됐어요", "traffic_facility", N),
    ("횡단보도 보행신호가 너무 짧아요", "traffic_facility", L),
    # animal
    ("도로에 고라니가 죽어 있어요 로드킬 같아요", "animal", N),
    ("아파트 단지에 멧돼지가 나타났어요", "animal", U),
    ("들개 여러 마리가 사람을 위협해요", "animal", U),
    ("처마 밑에 말벌집이 생겼어요", "animal", N),
    ("길에 유기견이 돌아다녀요", "animal", N),
    ("고양이 사체가 도로에 있어요", "animal", N),
    ("비둘기 때문에 베란다가 엉망이에요", "animal", L),
    # waste
    ("골목에 쓰레기 무단투기가 심해요", "waste", L),
    ("음식물 쓰레기를 며칠째 수거해 가지 않아요", "waste", L),
    ("공터에 대형 폐기물이 버려져 있어요", "waste", L),
    ("재활용 분리수거함이 넘쳐요", "waste", L),
    ("쓰래기를 몰래 버리고 가요", "waste", L),
    # tree_vegetation
    ("강풍에 가로수가 쓰러져서 도로를 막고 있어요", "tree_vegetation", U),
    ("나뭇가지가 부러져 전선에 걸려 있어요", "tree_vegetation", U),
    ("가로수 가지치기 좀 해주세요", "tree_vegetation", L),
    ("공원 잡초가 너무 무성해요", "tree_vegetation", L),
    ("큰 나무가 기울어져서 쓰러질 것 같아요", "tree_vegetation", U),
    # odor_pollution
    ("하수구에서 악취가 너무 심해요", "odor_pollution", N),
    ("공장에서 매연이 계속 나와요", "odor_pollution", N),
    ("공사장 비산먼지 때문에 창문을 못 열어요", "odor_pollution", N),
    ("하천에 기름이 흘러서 물고기가 죽어 있어요", "odor_pollution", None),
    ("어디선가 가스 냄새가 나요", "odor_pollution", U),
    ("밤마다 누가 쓰레기를 태워서 연기랑 냄새가 나요", "odor_pollution", N),
    ("냄세가 너무 나요 역겨워요", "odor_pollution", N),
    # public_order
    ("술 취한 사람이 도로에 누워 있어요", "public_order", U),
    ("공원 벤치에 노숙자가 자고 있어요", "public_order", N),
    ("편의점 앞에서 취객들이 싸우고 있어요", "public_order", U),
    ("버스정류장에 할아버지가 쓰러져 계세요", "public_order", U),
    ("주취자가 가게 앞에서 소란을 피워요", "public_order", N),
    ("치매 어르신이 길을 잃고 배회하고 계세요", "public_order", U),
    # facility_safety
    ("상가 간판이 떨어질 것 같아 위험해요", "facility_safety", U),
    ("공사장 펜스가 쓰러져서 인도를 막고 있어요", "facility_safety", U),
    ("옆 공사장 때문에 우리 집 벽에 금이 갔어요", "facility_safety", N),
    ("축대가 무너질 것 같아요", "facility_safety", U),
    ("놀이터 그네 줄이 끊어져 있어요", "facility_safety", N),
    ("공사현장에서 흙이 도로에 쏟아져 있어요", "facility_safety", None),
    # snow_ice
    ("골목길이 빙판이라 너무 미끄러워요", "snow_ice", N),
    ("눈이 많이 쌓였는데 제설이 안 되어 있어요", "snow_ice", N),
    ("언덕길 제설제 좀 뿌려주세요", "snow_ice", N),
    ("다리 위가 결빙돼서 차가 미끄러지는 사고가 났어요", "snow_ice", U),
    ("재설 좀 해주세요 눈이 너무 와요", "snow_ice", N),
    # other
    ("재산세 납부 기한이 언제까지인가요", "other", L),
    ("주민센터 직원이 너무 불친절했어요", "other", L),
    ("금연구역에서 담배를 피우는 사람들이 있어요", "other", L),
    ("주차 자리에 의자랑 라바콘을 놓고 자리를 맡아놨어요", "other", L),
    ("버스 노선 좀 바꿔주세요", "other", L),
    ("주차단속 공무원이 반말을 했어요", "other", L),
    ("안녕하세요 그냥 확인차 전화했어요", "other", L),
]


@pytest.mark.parametrize(("text", "expected_type", "expected_urgency"), CASES, ids=[c[0][:20] for c in CASES])
def test_labelled_complaints(text, expected_type, expected_urgency):
    result = domain.classify(text)
    assert result.type == expected_type, (result.type, result.scores, result.type_terms)
    if expected_urgency is not None:
        assert result.urgency == expected_urgency, (result.urgency, result.urgency_terms)
    assert result.department == TYPES[expected_type].department
    assert result.model_version == "lexicon-1"
    assert 0 <= result.confidence <= 0.95


def test_the_corpus_covers_every_type_at_least_three_times():
    counts = {t: sum(c[1] == t for c in CASES) for t in TYPES}
    assert min(counts.values()) >= 3, counts
    assert len(CASES) >= 45
