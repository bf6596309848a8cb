"""jwt-audit (Python binding) vs PyJWT 2.15, joserfc 1.8 and the bare `cryptography` signature
check, on the same tokens in the same run.

Every library verifies the signature, the algorithm, `exp`, the issuer and the audience (PyJWT and
joserfc get pre-loaded key objects, so no key parsing is timed). jwt-audit additionally builds the
full audit record (fingerprint, redacted claims, UUIDv7 id) and the timed call reads
`verification.record`, so the record dict handed to Python is included. No sink is configured.

Noisy machines: implementations run in alternating rounds (each round times a batch of every
implementation, in rotating order) and the table gives the median and the minimum over rounds;
ratios use medians of the same run. Batches are timed in CPU time of the calling thread by default
(`--clock cpu`: time the process spends descheduled by other processes on a shared machine is not
counted; every implementation here runs entirely on the calling thread), or in wall time
(`--clock wall`).

"jwt-audit core alone" is the core's `Verifier::verify` in a Rust loop inside the extension (no
Python call, no conversion): the rows above it minus this one are the binding's own share.

    python bench/bench.py [--rounds 15] [--batch-ms 40] [--clock cpu|wall] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import cryptography
import joserfc
import jwt as pyjwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey, OctKey, RSAKey
from joserfc.jwt import JWTClaimsRegistry

import jwt_audit
from jwt_audit import _native

KEYS = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "keys"
ISSUER = "https://issuer.example"
AUDIENCE = "orders-api"
# Minimum speed-ups over PyJWT set by the issue (same run, medians).
TARGETS = {"HS256": 10.0, "RS256": 3.0, "ES256": 3.0}

Case = Dict[str, Callable[[], Any]]
CORE = "jwt-audit core alone (Rust loop)"
# Verifications per call of the core loop (its batch time is divided by this).
CORE_LOOP = 50
CLOCK: Callable[[], float] = time.thread_time


def b64decode(s: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def bench_claims(now: int) -> Dict[str, Any]:
    """The claims of every benchmark token (also used by record_instructions.py)."""
    return {
        "iss": ISSUER,
        "sub": "user-123",
        "aud": AUDIENCE,
        "iat": now - 60,
        "exp": now + 86_400,
        "jti": "bench-token-1",
        "scope": "orders:read orders:write",
        "email": "alice@example.com",
    }


def cases() -> Dict[str, Case]:
    claims = bench_claims(int(time.time()))
    secret = (KEYS / "hmac-32.txt").read_text()
    keys = {
        "HS256": (secret, secret),
        "RS256": ((KEYS / "rsa-1.private.pem").read_text(), (KEYS / "rsa-1.pub.pem").read_text()),
        "ES256": ((KEYS / "ec-p256.private.pem").read_text(), (KEYS / "ec-p256.pub.pem").read_text()),
    }
    out: Dict[str, Case] = {}
    for alg, (private, public) in keys.items():
        token = pyjwt.encode(claims, private, algorithm=alg)
        head, payload, sig64 = token.split(".")
        message, sig = f"{head}.{payload}".encode(), b64decode(sig64)
        source = {"secret": public} if alg == "HS256" else {"pem": public}
        verifier = jwt_audit.Verifier(keys=[source], algorithms=[alg], issuer=ISSUER, audience=AUDIENCE)
        if alg == "HS256":
            pyjwt_key: Any = public
            jose_key: Any = OctKey.import_key(public)
            key_bytes = public.encode()

            def crypto_check(k: bytes = key_bytes, m: bytes = message, s: bytes = sig) -> None:
                h = crypto_hmac.HMAC(k, hashes.SHA256())
                h.update(m)
                h.verify(s)

        else:
            pub: Any = serialization.load_pem_public_key(public.encode())
            pyjwt_key = pub
            jose_key = (RSAKey if alg == "RS256" else ECKey).import_key(public)
            if alg == "RS256":

                def crypto_check(p: Any = pub, m: bytes = message, s: bytes = sig) -> None:
                    p.verify(s, m, padding.PKCS1v15(), hashes.SHA256())

            else:
                der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))

                def crypto_check(p: Any = pub, m: bytes = message, s: bytes = der) -> None:
                    p.verify(s, m, ec.ECDSA(hashes.SHA256()))

        registry = JWTClaimsRegistry(iss={"essential": True, "value": ISSUER}, aud={"essential": True, "value": AUDIENCE})

        def joserfc_check(t: str = token, k: Any = jose_key, a: str = alg, r: Any = registry) -> Any:
            decoded = jose_jwt.decode(t, k, algorithms=[a])
            r.validate(decoded.claims)
            return decoded.claims

        def audit_check(v: jwt_audit.Verifier = verifier, t: str = token) -> Any:
            return v.verify(t).record

        def audit_json(v: jwt_audit.Verifier = verifier, t: str = token) -> Any:
            return v.verify(t).record_json

        def audit_bare(v: jwt_audit.Verifier = verifier, t: str = token) -> Any:
            return v.verify(t)

        def pyjwt_check(t: str = token, k: Any = pyjwt_key, a: str = alg) -> Any:
            return pyjwt.decode(t, k, algorithms=[a], audience=AUDIENCE, issuer=ISSUER)

        # Every implementation accepts the token before anything is timed.
        assert verifier.verify(token).ok and audit_check()["outcome"] == "accepted"
        assert pyjwt_check()["sub"] == joserfc_check()["sub"] == "user-123"
        crypto_check()
        def core_loop(v: jwt_audit.Verifier = verifier, t: str = token) -> None:
            _native._core_verify_loop(v, t, CORE_LOOP)

        out[alg] = {
            "jwt-audit (verify + record dict)": audit_check,
            "jwt-audit (verify + record_json str)": audit_json,
            "jwt-audit (verify, record not read)": audit_bare,
            CORE: core_loop,
            "PyJWT": pyjwt_check,
            "joserfc": joserfc_check,
            "cryptography (signature only)": crypto_check,
        }
    return out


def batch(f: Callable[[], Any], n: int) -> float:
    """Microseconds per call over a batch of n calls."""
    start = CLOCK()
    for _ in range(n):
        f()
    return (CLOCK() - start) / n * 1e6


def measure(impls: Case, rounds: int, batch_ms: float) -> Dict[str, List[float]]:
    sizes = {}
    for name, f in impls.items():
        for _ in range(200):
            f()  # warm-up
        per_call = batch(f, 200)
        sizes[name] = max(10, int(batch_ms * 1000 / per_call))
    results: Dict[str, List[float]] = {name: [] for name in impls}
    names = list(impls)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            results[name].append(batch(impls[name], sizes[name]) / (CORE_LOOP if name == CORE else 1))
    return results


def threads_speedup(f: Callable[[], Any], seconds: float = 1.0) -> float:
    """Calls per second with 2 threads divided by calls per second with 1 thread."""

    def rate(threads: int) -> float:
        counts = [0] * threads
        stop = threading.Event()

        def loop(i: int) -> None:
            while not stop.is_set():
                f()
                counts[i] += 1

        ts = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
        for t in ts:
            t.start()
        time.sleep(seconds)
        stop.set()
        for t in ts:
            t.join()
        return sum(counts) / seconds

    return rate(2) / rate(1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--batch-ms", type=float, default=40.0)
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.thread_time if args.clock == "cpu" else time.perf_counter

    load = os.getloadavg()
    print(f"# jwt-audit Python binding benchmark, {time.strftime('%Y-%m-%d %H:%M')}")
    print(
        f"Python {platform.python_version()}, jwt-audit {jwt_audit.__version__}, PyJWT {pyjwt.__version__}, "
        f"joserfc {joserfc.__version__}, cryptography {cryptography.__version__}; "
        f"{os.cpu_count()} CPUs, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    clock = "CPU time of the thread" if args.clock == "cpu" else "wall time"
    print(f"{args.rounds} alternating rounds of ~{args.batch_ms:.0f} ms batches ({clock}); µs per verification\n")
    report: Dict[str, Any] = {}
    failed = []
    print("| alg | implementation | median µs | min µs | PyJWT / this |")
    print("|---|---|---|---|---|")
    for alg, impls in cases().items():
        results = measure(impls, args.rounds, args.batch_ms)
        med = {name: statistics.median(v) for name, v in results.items()}
        for name, values in results.items():
            print(f"| {alg} | {name} | {med[name]:.2f} | {min(values):.2f} | {med['PyJWT'] / med[name]:.1f}x |")
        fast = {name: min(v) for name, v in results.items()}
        audit = "jwt-audit (verify + record dict)"
        ratios = {
            "pyjwt_over_jwt_audit": med["PyJWT"] / med[audit],
            "pyjwt_over_jwt_audit_fastest": fast["PyJWT"] / fast[audit],
            "joserfc_over_jwt_audit": med["joserfc"] / med[audit],
            "jwt_audit_over_bare_signature": med[audit] / med["cryptography (signature only)"],
        }
        split = {
            "core": med[CORE],
            "binding_call": med["jwt-audit (verify, record not read)"] - med[CORE],
            "record_dict": med[audit] - med["jwt-audit (verify, record not read)"],
        }
        report[alg] = {"median_us": med, "min_us": fast, "ratios": ratios, "split_us": split}
        if ratios["pyjwt_over_jwt_audit"] < TARGETS[alg]:
            failed.append(f"{alg}: {ratios['pyjwt_over_jwt_audit']:.1f}x < {TARGETS[alg]}x")

    print(
        "\n| alg | PyJWT / jwt-audit (medians) | (fastest batches) | joserfc / jwt-audit "
        "| jwt-audit / bare signature | target vs PyJWT |"
    )
    print("|---|---|---|---|---|---|")
    for alg, r in report.items():
        q = r["ratios"]
        print(
            f"| {alg} | {q['pyjwt_over_jwt_audit']:.1f}x | {q['pyjwt_over_jwt_audit_fastest']:.1f}x | "
            f"{q['joserfc_over_jwt_audit']:.1f}x | {q['jwt_audit_over_bare_signature']:.1f}x | "
            f"≥ {TARGETS[alg]:.0f}x |"
        )

    print("\njwt-audit (verify + record dict) split, medians, µs: core | binding call | record dict")
    for alg, r in report.items():
        q = r["split_us"]
        print(f"- {alg}: {q['core']:.2f} | {q['binding_call']:.2f} | {q['record_dict']:.2f}")

    rs256 = cases()["RS256"]
    scaling = {
        name: threads_speedup(rs256[name]) for name in ("jwt-audit (verify + record dict)", "PyJWT", "joserfc")
    }
    report["rs256_two_thread_speedup"] = scaling
    print("\nRS256 throughput, 2 threads / 1 thread (GIL released during verification?):")
    for name, s in scaling.items():
        print(f"- {name}: {s:.2f}x")

    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    if failed:
        print("\nbelow target: " + "; ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
