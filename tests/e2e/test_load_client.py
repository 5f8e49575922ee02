"""The load generator's lean HTTP/1.1 client (devstack.http1) against a real uvicorn server."""

import asyncio
import json
import socket

import pytest
import uvicorn
from fastapi import FastAPI, Request, Response

from devstack.http1 import HTTPError, KeepAlivePool


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def server():
    app = FastAPI()
    seen = {"connections": set(), "auth": set()}

    @app.post("/api/v1/complaints", status_code=201)
    async def create(request: Request, response: Response):
        body = await request.json()
        seen["connections"].add(request.client.port)
        seen["auth"].add(request.headers.get("authorization"))
        if body.get("close"):
            response.headers["Connection"] = "close"
        if body.get("bad"):
            response.status_code = 422
            return {"detail": "설명이 필요합니다"}
        return {"id": body["n"], "description": body["description"]}

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(srv.serve())
    while not srv.started:
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}", seen
    srv.should_exit = True
    await task


async def test_posts_json_over_kept_alive_connections_and_reads_the_answer(server):
    url, seen = server
    pool = KeepAlivePool(url, size=2, headers={"Authorization": "Bearer t"})
    try:
        answers = await asyncio.gather(*(pool.post_json("/api/v1/complaints", {"n": i, "description": "맨홀 뚜껑"})
                                         for i in range(20)))
        assert [s for s, _ in answers] == [201] * 20
        assert sorted(json.loads(b)["id"] for _, b in answers) == list(range(20))
        assert json.loads(answers[0][1])["description"] == "맨홀 뚜껑"  # UTF-8 both ways
        assert len(seen["connections"]) <= 2 and seen["auth"] == {"Bearer t"}  # 20 requests, at most 2 connections
        status, body = await pool.post_json("/api/v1/complaints", {"bad": True})
        assert status == 422 and "설명" in json.loads(body)["detail"]
        # the server closes the connection after an answer: the next request opens a new one
        assert (await pool.post_json("/api/v1/complaints", {"n": 1, "description": "x", "close": True}))[0] == 201
        assert (await pool.post_json("/api/v1/complaints", {"n": 2, "description": "y"}))[0] == 201
    finally:
        await pool.close()


async def test_no_server_is_an_http_error_not_a_hang():
    pool = KeepAlivePool(f"http://127.0.0.1:{_free_port()}", size=1, timeout=2)
    with pytest.raises(HTTPError, match="cannot connect"):
        await pool.post_json("/api/v1/complaints", {})
    with pytest.raises(HTTPError, match="cannot connect"):  # the failed attempt gave its place back
        await pool.post_json("/api/v1/complaints", {})
    with pytest.raises(ValueError, match="plain http"):
        KeepAlivePool("https://example.test", size=1)
