"""Runs the Python examples of the package README, in order, and exercises the apps they define."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest
from fastapi.testclient import TestClient

from conftest import AUDIENCE, ISSUER, SECRET, claims, hs256

README = Path(__file__).resolve().parents[1] / "README.md"


def blocks() -> List[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


@pytest.fixture
def namespace(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Dict[str, Any]:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    readme_secret = "a-very-long-secret-of-at-least-32-bytes!"
    ns: Dict[str, Any] = {"token": hs256(claims(), secret=readme_secret), "__name__": "readme"}
    first, fastapi_block, starlette_block = blocks()
    exec(compile(first, "README.md#verify", "exec"), ns)
    assert ns["v"].ok and ns["user"] == "user-123"
    assert '"event": "authn_token_valid"' in capsys.readouterr().out.replace("'", '"')  # sink=print
    exec(compile(fastapi_block, "README.md#fastapi", "exec"), ns)
    exec(compile(starlette_block, "README.md#starlette", "exec"), ns)
    return ns


def test_readme_has_the_three_examples() -> None:
    assert len(blocks()) == 3
    assert ISSUER == "https://auth.example.com" and AUDIENCE == "orders-api"  # as in the README


def test_readme_fastapi_example(namespace: Dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    client = TestClient(namespace["app"])
    reader = hs256(claims(scope="orders:read"))
    admin = hs256(claims(scope="orders:read orders:admin"))
    with caplog.at_level(logging.INFO, logger="audit"):
        r = client.get("/orders", headers={"Authorization": f"Bearer {reader}"})
        assert r.status_code == 200 and r.json() == {"user": "user-123", "orders": []}
        assert client.get("/orders").status_code == 401
        r = client.delete("/orders/42", headers={"Authorization": f"Bearer {reader}"})
        assert r.status_code == 403 and r.headers["www-authenticate"].startswith('Bearer error="insufficient_scope"')
        r = client.delete("/orders/42", headers={"Authorization": f"Bearer {admin}"})
        assert r.status_code == 200 and r.json() == {"deleted": "42", "by": "user-123"}
    events = [getattr(rec, "event") for rec in caplog.records if rec.name == "audit"]
    assert events == ["authn_token_valid", "authn_token_invalid", "authz_fail", "authn_token_valid"]


def test_readme_starlette_example(namespace: Dict[str, Any]) -> None:
    client = TestClient(namespace["starlette_app"])
    admin = hs256(claims(scope="orders:admin"))
    assert client.delete("/orders/1", headers={"Authorization": f"Bearer {admin}"}).json() == {"by": "user-123"}
    assert client.delete("/orders/1", headers={"Authorization": f"Bearer {hs256(claims())}"}).status_code == 403
    assert client.delete("/orders/1").status_code == 401
