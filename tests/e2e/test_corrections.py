"""An officer's correction travels from intake's API to the classifier, and `retrain` learns it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from .conftest import eventually, start_stack

TEXT = "공원 화장실 앞 전등이 깜빡거리고 바닥에는 누가 버린 쓰레기가 가득해요"

pytestmark = pytest.mark.timeout(300)


async def test_correction_reaches_the_classifier_and_retrain_learns_it(servers, tmp_path):
    stack = await start_stack(servers, tmp_path, extra={"classifier": {"CLASSIFIER_MODEL_REFRESH_SECONDS": "1"}})
    try:
        r = await stack.post("intake", "/api/v1/complaints", json={"description": TEXT, "channel": "phone",
                                                                  "location": {"address": "김포시 장기동 한강공원"}})
        cid = r.json()["id"]

        async def classified():
            c = (await stack.get("intake", f"/api/v1/complaints/{cid}")).json()["classification"]
            return c
        c = await eventually(classified, timeout=10, what="classified")
        before = (await stack.post("classifier", "/api/v1/classify", json={"text": TEXT})).json()
        # the officer picks the model's second choice: the kind of correction an officer really makes
        chosen = before["candidates"][1]["type"]
        assert chosen != c["type"]

        r = await stack.post("intake", f"/api/v1/complaints/{cid}/classification",
                             json={"type": chosen, "note": "담당 부서 확인"})
        assert r.status_code == 200, r.text
        rows = await eventually(lambda: stack.query("classifier", "SELECT * FROM corrections"), timeout=10,
                                what="the correction stored by the classifier")
        assert (rows[0]["type"], rows[0]["text"], str(rows[0]["complaint_id"])) == (chosen, TEXT, cid)
        assert rows[0]["suggested_type"] == c["suggested_type"]
        assert rows[0]["model_version"] == before["model_version"]

        env = stack.services["classifier"].env
        done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "classifier", "retrain"], env=env,
                                       capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result["created"] and result["activated"] and result["corrections"] == 1
        assert result["corrections_learned"] == 1.0
        assert result["accuracy"] >= 0.85
        assert "fold" in done.stderr  # progress while it trains

        async def switched():
            after = (await stack.post("classifier", "/api/v1/classify", json={"text": TEXT})).json()
            return after if after["model_version"] == result["version"] else None
        after = await eventually(switched, timeout=10, what="the service switched to the new version")
        assert after["type"] == chosen
        versions = await stack.query("classifier", "SELECT version, active, n_corrections, scores"
                                                   " FROM model_versions ORDER BY created_at")
        assert [(v["version"], v["active"]) for v in versions] == [
            (before["model_version"], False), (result["version"], True)]
        assert versions[1]["n_corrections"] == 1 and json.loads(versions[1]["scores"])["macro_f1"] >= 0.8
        # nothing new to learn: a second retrain changes nothing
        again = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "classifier", "retrain"], env=env,
                                        capture_output=True, text=True, timeout=60)
        assert again.returncode == 0 and json.loads(again.stdout.strip().splitlines()[-1])["created"] is False
    finally:
        stack.stop()
