"""Every shared conformance vector (tests/vectors/*.json) through the binding: same outcome,
kind and `also` as the vector, and the same record as the Rust core writes for the case, field for
field (minus `id`, `time`, `duration_us`): compared with the native core's records printed by the
`jwt-audit-vector-oracle` helper crate (a plain Rust program over the core), and with the blessed
`expected.record` where the vector holds one."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Tuple, Union

import pytest

import jwt_audit
from conftest import REPO

VECTORS = Path(os.environ.get("JWT_AUDIT_VECTORS", REPO / "tests" / "vectors"))
RUN_TO_RUN = ("id", "time", "duration_us")


def load_cases() -> List[Tuple[str, Dict[str, Any]]]:
    cases = []
    for path in sorted(VECTORS.glob("*.json")):
        for case in json.loads(path.read_text())["cases"]:
            cases.append((f"{path.stem}/{case['name']}", case))
    return cases


CASES = load_cases()


def token_of(case: Dict[str, Any]) -> Union[str, bytes]:
    if "token_repeat" in case:
        return case["token_repeat"]["unit"] * case["token_repeat"]["count"]
    if "token_bytes_b64" in case:
        return base64.b64decode(case["token_bytes_b64"])  # bytes: passed through as is
    token: str = case["token"]
    return token


@pytest.fixture(scope="session")
def rust_records() -> Dict[str, Any]:
    """The record the Rust core writes for each case, by case name."""
    out = subprocess.run(
        ["cargo", "run", "--quiet", "--release", "-p", "jwt-audit-vector-oracle", "--", str(VECTORS)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    records: Dict[str, Any] = json.loads(out.stdout)
    return records


def test_every_vector_file_is_loaded() -> None:
    assert len(CASES) >= 300, f"only {len(CASES)} cases found in {VECTORS}"
    assert len({name for name, _ in CASES}) == len(CASES)


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[n for n, _ in CASES])
def test_vector(case: Dict[str, Any], rust_records: Dict[str, Any]) -> None:
    delivered: List[Dict[str, Any]] = []
    verifier = jwt_audit.Verifier(**case["config"], sink=delivered.append)
    token = token_of(case)
    v = verifier.verify(token, case.get("context"))
    expected = case["expected"]
    record = v.record

    assert ("accepted" if v.ok else "rejected") == expected["outcome"], record["failure"]
    assert v.kind == expected["kind"], record["failure"]
    also = [c["kind"] for c in record["failure"]["also"]] if record["failure"] else []
    assert also == expected["also"]
    assert record["outcome"] == expected["outcome"]
    assert (v.claims is not None) == v.ok

    # The dict is exactly the core's canonical JSON, and the sink received the same record.
    assert record == json.loads(v.record_json)
    assert delivered == [record]
    got = {k: val for k, val in record.items() if k not in RUN_TO_RUN}
    assert got == rust_records[case["name"]]
    if "record" in expected:
        assert got == expected["record"]

    # The raw token never appears in the record.
    raw = token.decode("utf-8", "replace") if isinstance(token, bytes) else token
    if len(raw) >= 16:
        assert raw not in v.record_json
