"""The record dict is built from per-verifier caches (dict templates, interned claim names, the
last value of repeating fields, the time string of the current millisecond). Whatever the cache
holds, every record dict must equal the core's JSON, key order included, and returned dicts must
be independent of each other."""

from __future__ import annotations

import base64
import json
import random
import time
from typing import Any, Callable, Dict, List

import jwt_audit

from conftest import AUDIENCE, ISSUER, SECRET, Records, claims, hs256, tamper


def same_tree(a: Any, b: Any) -> None:
    """Equal values, and dicts with the same keys in the same order, all the way down."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            same_tree(a[k], b[k])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same_tree(x, y)
    else:
        assert a == b


def varied_tokens(rng: random.Random, n: int) -> List[str]:
    """Accepted and rejected tokens whose repeating fields (iss, aud, alg, typ, kid) and claim
    names change from one token to the next."""
    out = []
    for i in range(n):
        extra: Dict[str, Any] = {f"c{rng.randrange(40)}": rng.choice(["x", 1, 2.5, None, [1, "a"], {"k": i}])}
        c = claims(
            iss=rng.choice([ISSUER, "https://other.example", None]),
            aud=rng.choice([AUDIENCE, AUDIENCE, [AUDIENCE, "billing"], "billing"]),
            jti=rng.choice([f"t-{i}", None, 7]),
            exp=int(time.time()) + (600 if rng.random() < 0.8 else -600),
            **extra,
        )
        header: Dict[str, Any] = {"alg": "HS256" if rng.random() < 0.8 else rng.choice(["HS384", "none"])}
        if rng.random() < 0.5:
            header["typ"] = rng.choice(["JWT", "at+jwt"])
        if rng.random() < 0.5:
            header["kid"] = rng.choice(["k1", "k2"])
        token = hs256(c, header=header)
        kind = rng.randrange(10)
        if kind == 0:
            token = tamper(token)
        elif kind == 1:
            token = hs256(c, secret="wrong-secret-wrong-secret-wrong-secret")
        elif kind == 2:
            token = rng.choice(["", "garbage", "a.b.c", "\u00e9.\u00e9.\u00e9"])
        out.append(token)
    return out


def test_record_dicts_equal_the_core_json_whatever_the_cache_holds() -> None:
    verifier = jwt_audit.Verifier(
        keys=[{"secret": SECRET}],
        algorithms=["HS256"],
        issuer=[ISSUER, "https://other.example"],
        audience=AUDIENCE,
        redaction={"keep": [f"c{i}" for i in range(0, 40, 2)]},
    )
    rng = random.Random(5)
    accepted = 0
    for token in varied_tokens(rng, 400):
        contexts: List[Any] = [None, {"path": "/orders", "method": "GET"}, {"client_ip": "10.0.0.1"}]
        v = verifier.verify(token, rng.choice(contexts), scopes=rng.choice([None, ["orders:read"], ["x"]]))
        same_tree(v.record, json.loads(v.record_json))
        if v.ok:
            accepted += 1
            payload = token.split(".")[1]
            assert v.claims == json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert accepted > 20


def test_records_to_sinks_and_verifications_agree() -> None:
    sink = Records()
    verifier = jwt_audit.Verifier(keys=[{"secret": SECRET}], algorithms=["HS256"], sink=sink)
    for token in varied_tokens(random.Random(9), 100):
        v = verifier.verify(token)
        same_tree(sink.records[-1], v.record)
        same_tree(v.record, json.loads(v.record_json))


def test_returned_dicts_are_independent() -> None:
    verifier = jwt_audit.Verifier(keys=[{"secret": SECRET}], algorithms=["HS256"], issuer=ISSUER)
    token = hs256(claims())
    first = verifier.verify(token).record
    expected = json.loads(json.dumps(first))
    mutate: List[Callable[[Dict[str, Any]], None]] = [
        lambda r: r["token"].__setitem__("alg", "changed"),
        lambda r: r["request"].__setitem__("path", "/changed"),
        lambda r: r["verifier"].clear(),
        lambda r: r["claims"]["values"].__setitem__("iss", "changed"),
        lambda r: r.__setitem__("schema", "changed"),
    ]
    for m in mutate:
        m(first)
    second = verifier.verify(token).record
    for key in ("id", "time", "duration_us"):
        del second[key], expected[key]
    same_tree(second, expected)


def test_claim_values_as_the_json_gives_them() -> None:
    """Objects inside claim values (and in `token`) with sorted keys, whatever the token's order;
    integers beyond i64 and floats as the JSON parses them."""
    verifier = jwt_audit.Verifier(
        keys=[{"secret": SECRET}],
        algorithms=["HS256"],
        issuer=ISSUER,
        audience=AUDIENCE,
        redaction={"keep": ["nested", "numbers", "empty"]},
    )
    nested = {"b": {"d": [[], {}], "c": [{"z": 1, "a": 2}]}, "a": "x", "A": "y", "\u00e9": 1}
    numbers = [0, -0.0, 0.1, 1e300, 2.5e-8, 123456789.125, -(2**63), 2**63 - 1, 2**63, 2**64 - 1]
    accepted = verifier.verify(hs256(claims(nested=nested, numbers=numbers, empty={})))
    assert accepted.ok
    values = accepted.record["claims"]["values"]
    assert list(values["nested"]) == ["A", "a", "b", "\u00e9"] and list(values["nested"]["b"]) == ["c", "d"]
    assert values["numbers"][-1] == 2**64 - 1 and type(values["numbers"][1]) is float
    # A rejected token's registered claims in `token`: objects sorted there too.
    rejected = verifier.verify(hs256(claims(iss={"z": 1, "a": [{"y": None, "b": True}]}, jti=2**64 - 1)))
    assert not rejected.ok and list(rejected.record["token"]["iss"]) == ["a", "z"]
    for v in (accepted, rejected):
        same_tree(v.record, json.loads(v.record_json))
