"""The trained model: its features, its packaged artifact, its urgency rule. (Quality in numbers: test_evaluate.)"""

from __future__ import annotations

import numpy as np
import pytest

from classifier import models, training
from classifier.textmodel import TYPE_CODES, TextModel, clean, data_hash, grams


@pytest.fixture(scope="module")
def model() -> TextModel:
    return models.packaged()


def test_the_packaged_model_was_built_from_the_corpus_as_it_is(model):
    rows = training.load_corpus()
    assert model.meta["data_hash"] == data_hash(rows), (
        "the corpus changed since the packaged model was built: run "
        "`uv run python -m classifier build-model` and commit services/classifier/src/classifier/model/base.npz")
    assert model.version == f"base-{data_hash(rows)[:8]}"
    assert model.meta["n_examples"] == len(rows)
    assert {"accuracy", "macro_f1", "urgent_recall", "n", "per_second", "ece"} <= set(model.meta["scores"])


def test_the_corpus_covers_every_type_with_realistic_variety():
    rows = training.load_corpus()
    per_type = {t: [r for r in rows if r[1] == t] for t in TYPE_CODES}
    for t, rs in per_type.items():
        assert len(rs) >= 100, t
        lengths = [len(r[0]) for r in rs]
        assert min(lengths) < 25 and max(lengths) > 150, t  # short calls and long written complaints
    assert len({r[0] for r in rows}) == len(rows), "duplicate texts in the corpus"
    assert {r[2] for r in rows} == {"urgent", "normal", "low"}


def test_the_held_out_split_is_stable_and_about_a_fifth():
    rows = training.load_corpus()
    train, held = training.split(rows)
    assert len(train) + len(held) == len(rows)
    assert 0.15 < len(held) / len(rows) < 0.25
    assert training.split(list(reversed(rows)))[1] == list(reversed(held))


def test_artifact_round_trip_gives_the_same_answers(model):
    again = TextModel.from_bytes(model.to_bytes())
    for text in ("가로등이 꺼졌어요", "하수구가 막혀서 역류해요", "멧돼지가 나타났어요"):
        a, b = model.predict(text), again.predict(text)
        assert (a.type, a.urgency) == (b.type, b.urgency)
        assert a.confidence == pytest.approx(b.confidence, abs=1e-3)


def test_the_artifact_is_plain_arrays_not_a_pickle(model):
    import io
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(model.to_bytes())).namelist()
    assert set(names) == {f"{k}.npy" for k in
                          ("vocabulary", "idf", "coef", "intercept", "ucoef", "uintercept", "temperature", "meta")}


def test_features_ignore_spacing_and_the_commonest_typos():
    assert set(g for g in grams("가로등이 안 켜져요") if g.startswith("c:")) == \
        set(g for g in grams("가로등이안켜져요") if g.startswith("c:"))
    loose_typo = {g for g in grams("하수구가 막혓어요") if g.startswith("n:")}
    loose_right = {g for g in grams("하수구가 막혔어요") if g.startswith("n:")}
    assert loose_typo == loose_right
    assert clean("<b>가로등</b>\x00\x1b 😭 꺼짐!!") == "가로등 꺼짐"


@pytest.mark.parametrize(("text", "type_"), [
    ("주차장이 너무 어두워요", "streetlight"),
    ("가로등이안켜져요 골목이 깜깜해요", "streetlight"),
    ("하수구가 막혓어요 물이 안 빠져요", "sewer_drainage"),
    ("하수구에서 냄새가 너무 심하게 올라와요", "odor_pollution"),
    ("포트홀이 잇어서 타이어가 터졌어요", "road_damage"),
    ("아파트 앞에 차가 이중주차 되어있어서 출근을 못해요", "illegal_parking"),
    ("윗집 쿵쿵거리는 소리 때문에 잠을 못 자요", "noise"),
    ("사거리 신호등이 다 꺼져 있어요", "traffic_facility"),
    ("도로에 고양이가 죽어 있어요", "animal"),
    ("재활용 쓰레기를 몇 주째 안 가져가요", "waste"),
    ("태풍에 가로수가 쓰러졌어요", "tree_vegetation"),
    ("술 취한 사람이 버스정류장에 쓰러져 자고 있어요", "public_order"),
    ("공사장 가림막이 바람에 넘어질 것 같아요", "facility_safety"),
    ("언덕길이 얼어서 차들이 미끄러져요", "snow_ice"),
    ("주민등록등본 발급은 몇 시부터 되나요", "other"),
    ("수도 계량기가 얼어서 터졌어요", "water_supply"),
])
def test_everyday_complaints_of_every_type(model, text, type_):
    p = model.predict(text)
    assert p.type == type_, (text, p.top(3))


@pytest.mark.parametrize("text", [
    "도로가 갑자기 꺼져서 큰 구멍이 생겼어요 차가 빠질 것 같아요",
    "수도관이 터져서 물이 도로로 넘치고 있어요",
    "비가 너무 와서 집 안으로 물이 들어와요",
    "사거리 신호등이 전부 꺼져서 차들이 뒤엉켰어요",
    "나무가 쓰러져서 왕복 2차선 도로를 막고 있어요",
    "멧돼지가 아파트 단지 안을 돌아다녀요",
    "사람이 길에 쓰러져서 의식이 없어요",
    "간판이 떨어질 것 같아요 너무 위험해요",
    "맨홀 뚜껑이 열려 있어요 사람이 빠질 것 같아요",
    "큰 개가 사람을 물었어요 지금 쫓아오고 있어요",
    "도로가 빙판이라 차가 미끄러져서 사고가 났어요",
    "공사장 크레인이 흔들려요 무너질 것 같아요",
    "하천에 기름이 유출돼서 흘러가고 있어요",
    "술 취한 사람이 차도 한가운데 누워 있어요",
    "지하차도가 침수돼서 차가 갇혔어요",
])
def test_plainly_urgent_complaints_are_never_missed(model, text):
    assert model.predict(text).urgency == "urgent", text


def test_probabilities_are_a_distribution_and_review_follows_the_threshold(model):
    from classifier import textmodel

    for text in ("가로등", "민원", "불이 났는데 물도 안 나오고 길도 막혔어요", ""):
        p = model.predict(text)
        assert sum(p.probabilities.values()) == pytest.approx(1.0, abs=1e-3)
        assert p.top(3)[0][1] >= p.top(3)[1][1] >= p.top(3)[2][1]
        if p.confidence < textmodel.REVIEW_THRESHOLD:
            assert p.needs_review
    assert model.predict("").needs_review and model.predict("").type == "other"


def test_weights_make_an_officers_correction_count():
    rows = training.load_corpus()[:0] + [
        (f"가로등 {i}번이 꺼졌어요", "streetlight", "normal") for i in range(8)] + [
        (f"쓰레기 {i}봉지가 버려져 있어요", "waste", "normal") for i in range(8)]
    probe = ("쓰레기통 옆 가로등이 나갔어요", "waste", "normal")
    weighted = training.train(rows + [probe], weights=[1.0] * len(rows) + [6.0], version="w", calibrate=False)
    assert weighted.predict(probe[0]).type == "waste"
    assert np.isfinite(weighted.coef).all()
