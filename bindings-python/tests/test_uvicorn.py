"""The FastAPI app under a real uvicorn server on 127.0.0.1, over HTTP, with concurrent clients."""

from __future__ import annotations

import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator, List

import httpx
import pytest
import uvicorn

import jwt_audit
from apps import fastapi_app
from conftest import Records, claims, hs256, tamper

MakeVerifier = Callable[..., jwt_audit.Verifier]


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def handler() -> Iterator[ListHandler]:
    h = ListHandler()
    logger = logging.getLogger("audit.uvicorn")
    logger.addHandler(h)
    logger.setLevel(logging.INFO)
    yield h
    logger.removeHandler(h)


@pytest.fixture
def server(make_verifier: MakeVerifier, handler: ListHandler, records: Records) -> Iterator[str]:
    verifier = make_verifier(sink=[records, logging.getLogger("audit.uvicorn")])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(fastapi_app(verifier), log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    sock.close()


def test_over_real_http(server: str, records: Records, handler: ListHandler) -> None:
    good = hs256(claims())
    cases: List[Any] = [
        ("GET", "/orders", {"Authorization": f"Bearer {good}"}, 200),
        ("GET", "/orders", {"Authorization": f"Bearer {hs256(claims(exp=int(time.time()) - 600))}"}, 401),
        ("GET", "/orders", {"Authorization": f"Bearer {tamper(good)}"}, 401),
        ("GET", "/orders", {"Authorization": f"Bearer {hs256(claims(aud='other'))}"}, 401),
        ("GET", "/orders", {"Authorization": "Bearer !!garbage!!"}, 401),
        ("GET", "/orders", {}, 401),
        ("DELETE", "/orders/9", {"Authorization": f"Bearer {good}"}, 403),
        ("DELETE", "/orders/9", {"Authorization": f"Bearer {hs256(claims(scope='orders:admin'))}"}, 200),
    ]
    with httpx.Client(base_url=server) as http:
        for method, path, headers, status in cases:
            r = http.request(method, path, headers={**headers, "User-Agent": "it/1"})
            assert r.status_code == status, (method, path, r.text)
            if status == 401:
                assert r.headers["www-authenticate"].startswith("Bearer")
    kinds = [r["failure"]["kind"] if r["failure"] else None for r in records.records]
    assert kinds == [
        None,
        "expired",
        "bad_signature",
        "audience_mismatch",
        "malformed",
        "missing_token",
        "insufficient_scope",
        None,
    ]
    for r in records.records:
        assert r["request"]["client_ip"] == "127.0.0.1" and r["request"]["user_agent"] == "it/1"
    # Every record also went through the logging handler, as JSON message and extra fields.
    assert [getattr(x, "id") for x in handler.records] == [r["id"] for r in records.records]
    assert [x.levelname for x in handler.records][:3] == ["INFO", "WARNING", "ERROR"]


def test_concurrent_clients(server: str, records: Records) -> None:
    token = hs256(claims())

    def call(i: int) -> int:
        with httpx.Client(base_url=server) as http:
            return http.get("/orders", headers={"Authorization": f"Bearer {token}", "X-Request-Id": f"c-{i}"}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(call, range(64)))
    assert statuses == [200] * 64
    assert sorted(r["request"]["correlation_id"] for r in records.records) == sorted(f"c-{i}" for i in range(64))
