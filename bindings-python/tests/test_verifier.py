"""The Python API: verify, records, claims, configuration errors, argument types, sinks, stats."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

import jwt_audit
from conftest import SECRET, Records, claims, hs256, tamper

MakeVerifier = Callable[..., jwt_audit.Verifier]


def test_accepted_token(make_verifier: MakeVerifier, records: Records) -> None:
    v = make_verifier().verify(hs256(claims()), {"correlation_id": "req-1", "path": "/orders"})
    assert v.ok and v.kind is None
    assert v.claims is not None and v.claims["email"] == "alice@example.com"  # full claims
    r = v.record
    assert (r["outcome"], r["event"], r["severity"]) == ("accepted", "authn_token_valid", "info")
    assert r["failure"] is None and r["token"]["trusted"] is True
    assert r["request"]["correlation_id"] == "req-1" and r["request"]["path"] == "/orders"
    # Redaction: the email is dropped from the record, its name listed.
    assert "email" not in r["claims"]["values"] and "email" in r["claims"]["dropped"]
    assert r["token"]["fingerprint"].startswith("sha256:")
    assert records.records == [r]
    assert v.record is v.record  # built once
    assert json.loads(v.record_json) == r
    assert v.challenge() is None
    assert repr(v) == "<jwt_audit.Verification ok=True kind=None>"


@pytest.mark.parametrize(
    "token, kind",
    [
        (hs256(claims(exp=int(time.time()) - 3600)), "expired"),
        (tamper(hs256(claims())), "bad_signature"),
        (hs256(claims(aud="billing")), "audience_mismatch"),
        (hs256(claims(iss="https://evil.example")), "issuer_mismatch"),
        (hs256(claims(), secret="another-secret-of-at-least-32-bytes!!"), "bad_signature"),
        ("garbage", "malformed"),
        ("", "missing_token"),
        (None, "missing_token"),
        (b"not.a.jwt", "malformed"),
        ("a" * 10_000, "token_too_large"),
        ("\ud800.e30.x", "malformed"),  # unpaired surrogate: rejected, not raised
    ],
)
def test_rejections_never_raise(
    make_verifier: MakeVerifier, records: Records, token: Any, kind: str
) -> None:
    v = make_verifier().verify(token)
    assert not v.ok and v.kind == kind
    assert v.claims is None
    assert v.record["outcome"] == "rejected" and v.record["failure"]["kind"] == kind
    assert len(records.records) == 1
    c = v.challenge()
    assert c is not None and c.status == 401
    assert c.www_authenticate == ("Bearer" if kind == "missing_token" else 'Bearer error="invalid_token"')


def test_record_never_contains_the_token(make_verifier: MakeVerifier) -> None:
    token = hs256(claims())
    for t in (token, tamper(token)):
        v = make_verifier().verify(t)
        assert t not in v.record_json and t.split(".")[2] not in v.record_json


def test_bytes_and_str_tokens_give_the_same_record(make_verifier: MakeVerifier) -> None:
    token = hs256(claims())
    a, b = make_verifier().verify(token).record, make_verifier().verify(token.encode()).record
    assert a["token"] == b["token"]


def test_scopes_and_roles(make_verifier: MakeVerifier, records: Records) -> None:
    verifier = make_verifier()
    token = hs256(claims(scope="orders:read orders:write", roles=["admin"]))
    assert verifier.verify(token, scopes=["orders:read"], roles=["admin"]).ok
    denied = verifier.verify(token, scopes=["orders:admin"])
    assert denied.kind == "insufficient_scope" and denied.record["event"] == "authz_fail"
    assert denied.record["authz"]["required"]["scopes"] == ["orders:admin"]
    assert denied.challenge().status == 403  # type: ignore[union-attr]
    assert 'scope="orders:admin"' in denied.challenge().www_authenticate  # type: ignore[union-attr]

    # authorize(): after authentication, for guards.
    ok = verifier.verify(token)
    assert verifier.authorize(ok, scopes=["orders:write"]) is ok
    n = len(records.records)
    refused = verifier.authorize(ok, roles=["root"])
    assert not refused.ok and refused.kind == "insufficient_scope"
    assert records.records[n:] == [refused.record] and refused.record["event"] == "authz_fail"
    assert refused.record["id"] != ok.record["id"]
    rejected = verifier.verify("garbage")
    assert verifier.authorize(rejected, scopes=["x"]) is rejected


def test_verify_authorization(make_verifier: MakeVerifier) -> None:
    verifier = make_verifier()
    token = hs256(claims())
    assert verifier.verify_authorization(f"Bearer {token}").ok
    assert verifier.verify_authorization(f"bearer  {token}").ok
    assert verifier.verify_authorization(None).kind == "missing_token"
    assert verifier.verify_authorization("Basic dXNlcjpwYXNz").kind == "missing_token"
    assert verifier.verify_authorization("Bearer").kind == "malformed"
    assert verifier.verify_authorization(f"Bearer {token}", scopes=["nope"]).kind == "insufficient_scope"


def test_correlation_ids() -> None:
    assert jwt_audit.correlation_id("req-7") == "req-7"
    tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert jwt_audit.correlation_id(None, tp) == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert jwt_audit.correlation_id("bad\nid") is None
    a, b = jwt_audit.new_correlation_id(), jwt_audit.new_correlation_id()
    assert a != b and len(a) == 36


@pytest.mark.parametrize(
    "options, option",
    [
        ({"algorithms": []}, "algorithms"),
        ({"algorithms": ["none"]}, "algorithms[0]"),
        ({"algorithms": ["HS257"]}, "algorithms[0]"),
        ({"leeway_seconds": 301}, "leeway_seconds"),
        ({"leeway_seconds": "30"}, "leeway_seconds"),
        ({"leeway_seconds": -1}, "leeway_seconds"),
        ({"leeway_seconds": 2**70}, "leeway_seconds"),
        ({"leeway_seconds": float("nan")}, "leeway_seconds"),
        ({"max_token_bytes": 10}, "max_token_bytes"),
        ({"keys": [{"secret": "short"}]}, "keys[0].secret"),
        ({"keys": [{"pem": "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n"}]}, "keys[0].pem"),
        ({"keys": [{"secret": b"bytes-are-not-accepted-here-0123456789"}]}, "keys[0].secret"),
        ({"keys": [{"secret": object()}]}, "keys[0].secret"),
        ({"keys": [{1: "x"}]}, "keys[0]"),
        ({"issuer": ""}, "issuer"),
        ({"fingerprint_key": "short"}, "fingerprint_key"),
        ({"sink": 42}, "sink"),
        ({"sink": "stderr"}, "sink"),
        ({"sink": ["stdout", 42]}, "sink[1]"),
        ({"sink": {"file": 7}}, "sink.file"),
        ({"sink": {"file": "/nonexistent-dir/x/audit.jsonl"}}, "sink.file"),
    ],
)
def test_config_errors_name_the_option(make_verifier: MakeVerifier, options: Dict[str, Any], option: str) -> None:
    with pytest.raises(jwt_audit.ConfigError) as info:
        make_verifier(**options)
    e = info.value
    assert isinstance(e, ValueError)
    assert e.option == option, str(e)
    assert str(e) == f"invalid option `{e.option}`: {e.message}"


def test_config_errors_never_echo_secrets() -> None:
    pem = "-----BEGIN PUBLIC KEY-----\nTUlJQklqQU5CZ2txaGtpRzl3MEJBUUVGQUFPQ0FR\n-----END PUBLIC KEY-----\n"
    with pytest.raises(jwt_audit.ConfigError) as info:
        jwt_audit.Verifier(keys=[{"pem": pem}], algorithms=["RS256"])
    assert "TUlJQk" not in str(info.value)
    with pytest.raises(jwt_audit.ConfigError) as info2:
        jwt_audit.Verifier(keys=[{"secret": "too-short-secret"}], algorithms=["HS256"])
    assert "too-short-secret" not in str(info2.value)


def test_unknown_option_is_a_config_error() -> None:
    with pytest.raises(jwt_audit.ConfigError, match="leeway"):
        jwt_audit.Verifier(keys=[{"secret": SECRET}], algorithms=["HS256"], leeway=5)  # type: ignore[call-arg]


def test_async_sink_is_refused(make_verifier: MakeVerifier) -> None:
    async def sink(record: Dict[str, Any]) -> None:  # pragma: no cover - never called
        pass

    with pytest.raises(jwt_audit.ConfigError, match="async") as info:
        make_verifier(sink=sink)
    assert info.value.option == "sink"


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda v: v.verify(42), "token must be str, bytes or None, not int"),
        (lambda v: v.verify(["a"]), "token must be str, bytes or None, not list"),
        (lambda v: v.verify("t", "ctx"), "context must be a dict"),
        (lambda v: v.verify("t", {"path": 1}), "context['path'] must be str or None, not int"),
        (lambda v: v.verify("t", {"route": "/x"}), "unknown context key 'route'"),
        (lambda v: v.verify("t", scopes="orders:admin"), "scopes must be a list of str, not str"),
        (lambda v: v.verify("t", scopes=[1]), "scopes must be a list of str; found int"),
        (lambda v: v.verify("t", roles=5), "roles must be a list of str, not int"),
        (lambda v: v.verify_authorization(b"Bearer x"), "authorization must be str or None, not bytes"),
        (lambda v: v.authorize("not a verification", scopes=["x"]), "Verification"),
    ],
)
def test_wrong_argument_types_raise_type_error(
    make_verifier: MakeVerifier, records: Records, call: Callable[[jwt_audit.Verifier], Any], message: str
) -> None:
    verifier = make_verifier()
    with pytest.raises(TypeError) as info:
        call(verifier)
    assert message in str(info.value)
    assert records.records == []  # nothing was verified


def test_missing_required_arguments() -> None:
    with pytest.raises(jwt_audit.ConfigError) as info:
        jwt_audit.Verifier()
    assert info.value.option in ("config", "keys")
    with pytest.raises(TypeError):
        jwt_audit.Verifier(keys=[{"secret": SECRET}], algorithms=["HS256"]).verify()  # type: ignore[call-arg]


def test_raising_sink_is_counted_and_never_changes_the_outcome(
    make_verifier: MakeVerifier, records: Records, caplog: pytest.LogCaptureFixture
) -> None:
    calls: List[str] = []

    def broken(record: Dict[str, Any]) -> None:
        calls.append(record["outcome"])
        raise RuntimeError("disk full")

    verifier = make_verifier(sink=[broken, records])
    with caplog.at_level(logging.ERROR, logger="jwt_audit"):
        results = [verifier.verify(hs256(claims())) for _ in range(3)] + [verifier.verify("x.y")]
    assert [r.ok for r in results] == [True, True, True, False]
    assert calls == ["accepted"] * 3 + ["rejected"]
    assert len(records.records) == 4  # the other sink still got every record
    stats = verifier.stats()
    assert stats["sink_errors"] == 4
    assert (stats["accepted"], stats["rejected"], stats["by_kind"]) == (3, 1, {"malformed": 1})
    # Reported once, with the exception, on the `jwt_audit` logger.
    reports = [r for r in caplog.records if r.name == "jwt_audit"]
    assert len(reports) == 1 and "RuntimeError" in reports[0].getMessage()
    assert reports[0].exc_info is not None


def test_fail_closed_auditing_rejects_when_the_sink_fails(make_verifier: MakeVerifier) -> None:
    def broken(record: Dict[str, Any]) -> None:
        raise OSError("unreachable")

    v = make_verifier(sink=broken, audit_fail_closed=True).verify(hs256(claims()))
    assert not v.ok and v.kind == "audit_failed" and v.claims is None
    assert v.challenge().status == 503  # type: ignore[union-attr]


def test_keyboard_interrupt_in_a_sink_propagates_after_the_verification(make_verifier: MakeVerifier) -> None:
    interrupts = [KeyboardInterrupt()]

    def interrupted(record: Dict[str, Any]) -> None:
        if interrupts:
            raise interrupts.pop()

    verifier = make_verifier(sink=interrupted)
    with pytest.raises(KeyboardInterrupt):
        verifier.verify(hs256(claims()))
    assert verifier.stats()["accepted"] == 1  # the verification itself completed
    assert verifier.verify("x").kind == "malformed"  # no stale interrupt afterwards


def test_logger_sink(make_verifier: MakeVerifier, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.audit")
    verifier = make_verifier(sink=logger)
    with caplog.at_level(logging.DEBUG, logger="test.audit"):
        ok = verifier.verify(hs256(claims()))
        expired = verifier.verify(hs256(claims(exp=int(time.time()) - 3600)))
        forged = verifier.verify(tamper(hs256(claims())))
        none = verifier.verify("eyJhbGciOiJub25lIn0.e30.")
    logged = [r for r in caplog.records if r.name == "test.audit"]
    assert [r.levelno for r in logged] == [logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL]
    for rec, v in zip(logged, (ok, expired, forged, none)):
        assert json.loads(rec.getMessage()) == v.record  # the record as the JSON message ...
        extra: Any = rec
        assert extra.event == v.record["event"] and extra.failure == v.record["failure"]  # ... and as extra fields
        assert extra.request == v.record["request"]


def test_logger_sink_skips_disabled_levels(make_verifier: MakeVerifier, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.audit.quiet")
    verifier = make_verifier(sink=logger)
    with caplog.at_level(logging.ERROR, logger="test.audit.quiet"):
        verifier.verify(hs256(claims()))  # INFO: filtered
        verifier.verify(tamper(hs256(claims())))  # ERROR: logged
    assert [r.levelno for r in caplog.records if r.name == "test.audit.quiet"] == [logging.ERROR]


def test_file_sink(make_verifier: MakeVerifier, tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    verifier = make_verifier(sink=[{"file": path}, {"file": str(path)}])
    v = verifier.verify(hs256(claims()))
    verifier.flush()
    lines = path.read_text().splitlines()
    assert lines == [v.record_json, v.record_json]


def test_stdout_sink_writes_json_lines() -> None:
    code = (
        "import jwt_audit\n"
        f"v = jwt_audit.Verifier(keys=[{{'secret': {SECRET!r}}}], algorithms=['HS256'], sink='stdout')\n"
        "r = v.verify('abc.def')\n"
        "v.flush()\n"
        "import sys; sys.stderr.write(r.record_json)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [out.stderr]
    assert json.loads(out.stdout)["failure"]["kind"] == "malformed"


def test_stats_and_name(make_verifier: MakeVerifier) -> None:
    verifier = make_verifier(name="orders-api-prod")
    assert verifier.name == "orders-api-prod" and "orders-api-prod" in repr(verifier)
    verifier.verify(hs256(claims()))
    verifier.verify("garbage")
    verifier.verify(None)
    s = verifier.stats()
    assert s == {
        "accepted": 1,
        "rejected": 2,
        "by_kind": {"malformed": 1, "missing_token": 1},
        "sink_errors": 0,
        "records_dropped": 0,
        "records_failed": 0,
    }
    assert verifier.verify("x").record["verifier"]["name"] == "orders-api-prod"


def test_secrets_never_in_reprs() -> None:
    verifier = jwt_audit.Verifier(keys=[{"secret": SECRET}], algorithms=["HS256"])
    assert SECRET not in repr(verifier)
    token = hs256(claims())
    v = verifier.verify(token)
    assert token not in repr(v)


def test_module_surface() -> None:
    assert jwt_audit.__version__ == jwt_audit.Verifier(keys=[{"secret": SECRET}], algorithms=["HS256"]).verify("x").record["verifier"]["version"]
    assert issubclass(jwt_audit.ConfigError, ValueError)
    assert jwt_audit.ConfigError.__module__ == "jwt_audit"
    with pytest.raises(TypeError):
        jwt_audit.Verification()  # type: ignore[call-arg]
    pkg = Path(jwt_audit.__file__).parent
    assert (pkg / "py.typed").exists() and (pkg / "_native.pyi").exists()
