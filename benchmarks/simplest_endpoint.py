"""The simplest complaint desk a city could run instead of Sun to Moon: one FastAPI endpoint that stores the
complaint in one PostgreSQL table, nothing else (no encryption, no classification, no SMS). benchmarks/load.py
measures its rate as the yardstick: the system's throughput is reported as a share of it, so the figure
means the same on any machine.

    SIMPLEST_DSN=postgresql://... uvicorn simplest_endpoint:app
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid

import asyncpg
from fastapi import FastAPI, Request

STATE: dict = {}


@contextlib.asynccontextmanager
async def lifespan(_app: FastAPI):
    pool = await asyncpg.create_pool(os.environ["SIMPLEST_DSN"], min_size=4, max_size=10)
    await pool.execute("CREATE TABLE IF NOT EXISTS simplest (id uuid PRIMARY KEY, body jsonb NOT NULL, "
                       "received_at timestamptz NOT NULL DEFAULT now())")
    STATE["pool"] = pool
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


@app.post("/api/v1/complaints", status_code=201)
async def file_complaint(request: Request) -> dict:
    body = await request.json()
    complaint_id = uuid.uuid4()
    await STATE["pool"].execute("INSERT INTO simplest (id, body) VALUES ($1, $2::jsonb)", complaint_id,
                                json.dumps(body, ensure_ascii=False))
    return {"id": str(complaint_id)}
