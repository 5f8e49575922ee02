"""Realistic complaints, a driver that files them over HTTP, and an audit of what became of each.

Complaints are the classifier's labelled Korean examples (every type, every urgency) at places spread over
Gimpo's 읍·면·동 (the intake gazetteer's points, jittered by up to ~500 m), with a caller's name and phone on
most of them, as a duty officer would file them.
"""

from __future__ import annotations

import asyncio
import csv
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import asyncpg

from .http1 import HTTPError, KeepAlivePool

SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = ["민준", "서연", "도윤", "하은", "지호", "수아", "현우", "지민", "영수", "미경", "성호", "은정"]


class Complaints:
    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        corpus = resources.files("classifier") / "corpus"
        self.texts: list[str] = []
        for entry in sorted(corpus.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".csv"):
                with entry.open(encoding="utf-8") as fh:
                    self.texts += [row["text"] for row in csv.DictReader(fh) if row["text"].strip()]
        places = resources.files("intake.web") / "data" / "gimpo_places.csv"
        with places.open(encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(line for line in fh if not line.startswith("#")) if r["level3"]]
        self.places = [(f"경기도 김포시 {r['level3']}", float(r["lat"]), float(r["lon"])) for r in rows]

    def next(self) -> dict[str, Any]:
        rng = self.rng
        address, lat, lon = rng.choice(self.places)
        body: dict[str, Any] = {
            "description": rng.choice(self.texts),
            "channel": rng.choice(("phone", "phone", "phone", "visit", "web")),
            "location": {"address": f"{address} {rng.randint(1, 999)}-{rng.randint(1, 30)}",
                         "lat": round(lat + rng.uniform(-0.004, 0.004), 6),
                         "lon": round(lon + rng.uniform(-0.005, 0.005), 6)},
        }
        if rng.random() < 0.8:
            body["complainant"] = {"name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                                   "phone": f"010-{rng.randint(2000, 9999)}-{rng.randint(0, 9999):04d}"}
        return body


@dataclass
class DriveResult:
    accepted: dict[uuid.UUID, float] = field(default_factory=dict)  # complaint id -> wall clock at request
    refused: int = 0  # an HTTP answer other than 201 (or no answer: intake down)
    http_ms: list[float] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.accepted) / max(self.ended - self.started, 1e-9)


async def drive(base_url: str, *, rate: float, duration: float, concurrency: int = 32,
                complaints: Complaints | None = None, progress=None,
                headers: dict[str, str] | None = None) -> DriveResult:
    """File complaints for ``duration`` seconds: ``rate`` per second on a fixed schedule (open loop: a slow
    system does not slow the arrivals), or as fast as ``concurrency`` workers can when ``rate`` is 0.
    ``headers`` go with every request (the fleet's bearer token: ``Fleet.headers``). Plain HTTP, over
    kept-alive connections of the lean client in :mod:`devstack.http1` (it runs on the machine it measures)."""
    complaints = complaints or Complaints()
    result = DriveResult()
    sem = asyncio.Semaphore(concurrency)
    client = KeepAlivePool(base_url, size=concurrency, headers=headers, timeout=10)
    try:

        async def one() -> None:
            body = complaints.next()
            t0_wall, t0 = time.time(), time.perf_counter()
            try:
                status, answer = await client.post_json("/api/v1/complaints", body)
            except HTTPError:
                result.refused += 1
                return
            finally:
                sem.release()
            if status == 201:
                result.accepted[uuid.UUID(json.loads(answer)["id"])] = t0_wall
                result.http_ms.append((time.perf_counter() - t0) * 1000)
            else:
                result.refused += 1

        tasks: set[asyncio.Task] = set()
        result.started = time.time()
        start = time.perf_counter()
        sent = 0
        last_report = start
        while (now := time.perf_counter()) - start < duration:
            if rate > 0:
                due = start + sent / rate
                if due > now:
                    await asyncio.sleep(due - now)
            await sem.acquire()
            task = asyncio.create_task(one())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
            if progress and time.perf_counter() - last_report >= 1:
                last_report = time.perf_counter()
                progress(f"{time.perf_counter() - start:5.1f} s  sent {sent}  accepted {len(result.accepted)}  "
                         f"refused {result.refused}")
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        result.ended = time.time()
    finally:
        await client.close()
    return result


@dataclass
class Audit:
    accepted: int
    classified: int
    lost: list[str]  # what went missing, one line each
    duplicated: list[str]
    sms_expected: int
    sms_sent: int
    in_reporting: int
    dead_letters: dict[str, int]
    sms_latency_ms: list[float]
    reporting_latency_ms: list[float]
    last_sms_at: float
    held_for_review: int = 0  # the model was unsure and it is not urgent: waits for the officer, not texted

    @property
    def ok(self) -> bool:
        return not self.lost and not self.duplicated and not any(self.dead_letters.values())


async def audit(databases: dict[str, str], accepted: dict[uuid.UUID, float], *, nats_url: str | None = None,
                namespace: str = "") -> Audit:
    """What became of every accepted complaint, from each service's own database (and, given NATS, whether
    the CLASSIFIER stream holds exactly one classification event per classified complaint)."""
    ids = list(accepted)

    async def fetch(name: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(databases[name])
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    intake = {r["id"]: r for r in await fetch(
        "intake", "SELECT id, status, needs_review, urgency, type, duplicate_of, held_at FROM complaints"
                  " WHERE id = ANY($1::uuid[])", ids)}
    classified = {r["complaint_id"] for r in await fetch(
        "classifier", "SELECT complaint_id FROM classifications WHERE complaint_id = ANY($1::uuid[])", ids)}
    in_stream = await _classified_in_stream(nats_url, namespace) if nats_url else None
    all_classified = (await fetch("classifier", "SELECT count(*) AS n FROM classifications"))[0]["n"]
    notes = await fetch("notifier", "SELECT complaint_id, worker_id, role, status, sent_at, idempotency_key "
                        "FROM notifications WHERE complaint_id = ANY($1::uuid[])", ids)
    sms_keys = {r["idempotency_key"] for r in await fetch("notifier", "SELECT idempotency_key FROM sms_messages")}
    reporting = {r["complaint_id"]: r for r in await fetch(
        "reporting", "SELECT complaint_id, first_seen_at, sms_count FROM complaints "
        "WHERE complaint_id = ANY($1::uuid[])", ids)}
    dead = {}
    for name in databases:
        dead[name] = (await fetch(name, "SELECT count(*) AS n FROM dead_letters"))[0]["n"]

    lost, duplicated = [], []
    per_recipient: dict[tuple, int] = {}
    sms_latency, first_sms = [], {}
    for n in notes:
        key = (n["complaint_id"], n["worker_id"], n["role"])
        per_recipient[key] = per_recipient.get(key, 0) + 1
        if n["sent_at"] is not None:
            first_sms[n["complaint_id"]] = min(first_sms.get(n["complaint_id"], n["sent_at"]), n["sent_at"])
    for key, count in per_recipient.items():
        if count > 1:
            duplicated.append(f"{key[0]}: {count} notifications for {key[1]} ({key[2]})")
    dispatched = [cid for cid, r in intake.items() if r["status"] in ("dispatched", "acknowledged", "resolved")]
    # intake's rule (handlers.make_classified_handler): an unsure, non-urgent classification waits for the
    # officer; a linked or held complaint is not texted on its own; every other one must be dispatched
    held = {cid for cid, r in intake.items()
            if (r["needs_review"] and r["urgency"] != "urgent") or r["duplicate_of"] or r["held_at"]}
    for cid in ids:
        if cid not in intake:
            lost.append(f"{cid}: accepted (201) but not in intake")
        elif cid not in classified:
            lost.append(f"{cid}: never classified")
        elif cid not in reporting:
            lost.append(f"{cid}: not in reporting")
        elif cid not in held and intake[cid]["status"] not in ("dispatched", "acknowledged", "resolved"):
            lost.append(f"{cid}: classified ({intake[cid]['status']}) but never dispatched")
    for cid in dispatched:
        sent = [n for n in notes if n["complaint_id"] == cid and n["role"] == "primary" and n["sent_at"]]
        if not sent:
            lost.append(f"{cid}: dispatched but no SMS sent")
    sent_notes = [n for n in notes if n["sent_at"] is not None]
    missing_sms = [n for n in sent_notes if n["idempotency_key"] not in sms_keys]
    lost += [f"{n['complaint_id']}: notification marked sent, not in the gateway's record" for n in missing_sms]
    if in_stream is not None and in_stream != all_classified:
        duplicated.append(f"{in_stream} classification events in the stream for {all_classified} classifications")
    for cid, at in first_sms.items():
        sms_latency.append((at.timestamp() - accepted[cid]) * 1000)
    rep_latency = [(r["first_seen_at"].timestamp() - accepted[cid]) * 1000 for cid, r in reporting.items()]
    return Audit(accepted=len(ids), classified=len(classified), lost=lost, duplicated=duplicated,
                 sms_expected=len(dispatched), sms_sent=len(sent_notes), in_reporting=len(reporting),
                 dead_letters=dead, sms_latency_ms=sms_latency, reporting_latency_ms=rep_latency,
                 last_sms_at=max((a.timestamp() for a in first_sms.values()), default=0.0),
                 held_for_review=len(held))


async def _classified_in_stream(nats_url: str, namespace: str) -> int:
    from sunmoon.messaging import Namespace, connect

    ns = Namespace(namespace)
    nc, js = await connect(nats_url, name="audit")
    try:
        subject = ns.subject("classifier.complaint.classified.v1")
        info = await js.stream_info(ns.stream("CLASSIFIER"), subjects_filter=subject)
        return (info.state.subjects or {}).get(subject, 0)
    finally:
        await nc.close()


async def drained(databases: dict[str, str], accepted: dict[uuid.UUID, float], *, timeout: float,
                  progress=None, nats_url: str | None = None, namespace: str = "") -> Audit:
    """Audit until nothing is missing any more (the system drained) or the time is up; the last audit."""
    deadline = time.monotonic() + timeout
    while True:
        result = await audit(databases, accepted, nats_url=nats_url, namespace=namespace)
        if not result.lost or time.monotonic() > deadline:
            return result
        if progress:
            progress(f"draining: {len(result.lost)} complaint(s) still on their way")
        await asyncio.sleep(1.0)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
