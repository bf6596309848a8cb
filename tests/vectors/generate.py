#!/usr/bin/env python3
"""Generate the shared jwt-audit conformance vectors (tests/vectors/*.json).

Usage:
    python3 tests/vectors/generate.py            # (re)write the JSON files
    python3 tests/vectors/generate.py --check    # exit 1 if the files on disk are not what would be written
    python3 tests/vectors/generate.py --init-keys  # create missing key files (done once; they are committed)

Needs Python 3.11+ and the `cryptography` package (pip install cryptography). No JWT library is used:
every token is assembled by hand so that broken tokens can be produced on purpose.

Determinism: HMAC, RSASSA-PKCS1-v1_5 and Ed25519 are deterministic by nature; ECDSA uses RFC 6979
deterministic nonces (when the installed OpenSSL supports it) and RSASSA-PSS uses a salt derived from
the signing input (EMSA-PSS is implemented here, the RSA operation is the textbook one), so the output
is byte-identical from run to run. Should deterministic ECDSA be unavailable, signatures become
random and only the `expected.record` preservation below keeps blessed records.

Record preservation: the core's "bless" step fills `expected.record` for each case. When this script
rewrites a file, it keeps an existing `expected.record` for a case of the same name whose token (or
token_bytes_b64 / token_repeat), config, context and expected outcome/kind/also are unchanged; every
other record is dropped (and reported on stderr) because it would describe a different input.

Self-checks (the script fails loudly when one does not hold):
  * the RFC 7515 / RFC 8037 example signatures verify with their published keys;
  * every case's expected result equals what `reference_verify` below -- the pipeline of
    shared/DESIGN.md written as straightforward Python -- computes, including the actual
    signature verification with `cryptography`;
  * every accepted case's signature verifies; names are unique kebab-case; `now` is always set;
    no private key material appears in any config.
"""

from __future__ import annotations

import argparse
import base64
import copy
import datetime
import hashlib
import hmac
import json
import re
import secrets
import string
import sys
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent
KEYS_DIR = HERE / "keys"

# The fixed clock of almost every case: 2023-11-14T22:13:20Z.
NOW = 1_700_000_000
DEFAULT_LEEWAY = 30
MAX_LEEWAY = 300
DEFAULT_MAX_TOKEN_BYTES = 8192
DEFAULT_REQUIRED_CLAIMS = ["exp"]
MAX_JSON_DEPTH = 32

SUPPORTED_ALGS = [
    "HS256", "HS384", "HS512",
    "RS256", "RS384", "RS512",
    "PS256", "PS384", "PS512",
    "ES256", "ES384", "EdDSA",
]
FAMILY = {
    "HS256": "hmac", "HS384": "hmac", "HS512": "hmac",
    "RS256": "rsa", "RS384": "rsa", "RS512": "rsa",
    "PS256": "rsa", "PS384": "rsa", "PS512": "rsa",
    "ES256": "p256", "ES384": "p384", "EdDSA": "ed25519",
}
HASH = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
KINDS = [
    "missing_token", "token_too_large", "malformed", "algorithm_not_allowed", "unsupported",
    "unknown_key", "bad_signature", "expired", "not_yet_valid", "issued_in_future",
    "issuer_mismatch", "audience_mismatch", "missing_claim", "invalid_claim",
    "revoked", "replayed", "insufficient_scope", "audit_failed",
]
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class VectorError(Exception):
    pass


def fail(msg: str) -> None:
    raise VectorError(msg)


# --------------------------------------------------------------------------------------------
# Encoding helpers
# --------------------------------------------------------------------------------------------

def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    """Lenient decoder for trusted input (RFC texts, our own tokens)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


B64U_RE = re.compile(rb"[A-Za-z0-9_-]*")


def b64u_decode_strict(seg: bytes) -> bytes | None:
    """Strict base64url: alphabet A-Z a-z 0-9 - _, no padding, no whitespace, canonical
    (the unused low bits of the last symbol are zero, so each byte string has exactly one
    encoding). Returns None when `seg` is not such an encoding."""
    if not B64U_RE.fullmatch(seg) or len(seg) % 4 == 1:
        return None
    data = base64.urlsafe_b64decode(seg + b"=" * (-len(seg) % 4))
    if b64u(data).encode("ascii") != seg:
        return None
    return data


def cjson(obj) -> bytes:
    """Compact JSON, insertion order kept."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def int_bytes(v: int, length: int | None = None) -> bytes:
    if length is None:
        length = max(1, (v.bit_length() + 7) // 8)
    return v.to_bytes(length, "big")


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------

ASYM_KEY_FILES = {
    "rsa-1": "rsa-1.private.pem",
    "rsa-2": "rsa-2.private.pem",
    "ec-p256": "ec-p256.private.pem",
    "ec-p384": "ec-p384.private.pem",
    "ed25519": "ed25519.private.pem",
}
HMAC_SIZES = (32, 48, 64)


def init_keys() -> None:
    KEYS_DIR.mkdir(parents=True, exist_ok=True)
    makers = {
        "rsa-1": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "rsa-2": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ec-p256": lambda: ec.generate_private_key(ec.SECP256R1()),
        "ec-p384": lambda: ec.generate_private_key(ec.SECP384R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate,
    }
    for name, fname in ASYM_KEY_FILES.items():
        path = KEYS_DIR / fname
        if path.exists():
            continue
        key = makers[name]()
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        print(f"created {path}", file=sys.stderr)
    alphabet = string.ascii_letters + string.digits
    for size in HMAC_SIZES:
        path = KEYS_DIR / f"hmac-{size}.txt"
        if path.exists():
            continue
        path.write_text("".join(secrets.choice(alphabet) for _ in range(size)))
        print(f"created {path}", file=sys.stderr)


class Keys:
    """The fixed test keys. Private keys are used for signing only; configs get public forms."""

    def __init__(self) -> None:
        self.priv = {}
        for name, fname in ASYM_KEY_FILES.items():
            path = KEYS_DIR / fname
            if not path.exists():
                fail(f"missing key file {path}; run with --init-keys once and commit the keys")
            self.priv[name] = serialization.load_pem_private_key(path.read_bytes(), password=None)
        self.hmac = {}
        for size in HMAC_SIZES:
            path = KEYS_DIR / f"hmac-{size}.txt"
            if not path.exists():
                fail(f"missing key file {path}; run with --init-keys once and commit the keys")
            text = path.read_text()
            if len(text.encode("utf-8")) != size or not text.isascii() or not text.isalnum():
                fail(f"{path} must hold exactly {size} ASCII letters/digits and no newline")
            self.hmac[size] = text
        checks = {
            "rsa-1": lambda k: isinstance(k, rsa.RSAPrivateKey) and k.key_size == 2048,
            "rsa-2": lambda k: isinstance(k, rsa.RSAPrivateKey) and k.key_size == 2048,
            "ec-p256": lambda k: isinstance(k, ec.EllipticCurvePrivateKey) and k.curve.name == "secp256r1",
            "ec-p384": lambda k: isinstance(k, ec.EllipticCurvePrivateKey) and k.curve.name == "secp384r1",
            "ed25519": lambda k: isinstance(k, ed25519.Ed25519PrivateKey),
        }
        for name, ok in checks.items():
            if not ok(self.priv[name]):
                fail(f"key {name} has the wrong type or size")

    def pub(self, name):
        return self.priv[name].public_key()

    def spki_pem(self, name) -> str:
        return self.pub(name).public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")

    def pkcs1_pem(self, name) -> str:
        return self.pub(name).public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.PKCS1).decode("ascii")

    def jwk(self, name, **extra) -> dict:
        """Public JWK of an asymmetric key; `extra` (kid, use, alg, ...) is added first."""
        return public_jwk(self.pub(name), **extra)

    def write_public_files(self) -> dict[str, bytes]:
        """Public forms, regenerated for convenience (other tests, the CLI demo)."""
        out = {}
        for name in ASYM_KEY_FILES:
            out[f"keys/{name}.pub.pem"] = self.spki_pem(name).encode("ascii")
        out["keys/rsa-1.pkcs1.pub.pem"] = self.pkcs1_pem("rsa-1").encode("ascii")
        jwks = {"keys": [self.jwk(n, kid=n, use="sig") for n in ASYM_KEY_FILES]}
        out["keys/jwks.json"] = (json.dumps(jwks, indent=2) + "\n").encode("ascii")
        return out


def public_jwk(pub, **extra) -> dict:
    jwk = {}
    if isinstance(pub, rsa.RSAPublicKey):
        nums = pub.public_numbers()
        jwk = {"kty": "RSA", "n": b64u(int_bytes(nums.n)), "e": b64u(int_bytes(nums.e))}
    elif isinstance(pub, ec.EllipticCurvePublicKey):
        size = (pub.curve.key_size + 7) // 8
        crv = {"secp256r1": "P-256", "secp384r1": "P-384"}[pub.curve.name]
        nums = pub.public_numbers()
        jwk = {"kty": "EC", "crv": crv, "x": b64u(int_bytes(nums.x, size)), "y": b64u(int_bytes(nums.y, size))}
    elif isinstance(pub, ed25519.Ed25519PublicKey):
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}
    else:
        fail(f"unsupported public key {pub!r}")
    return {**jwk, **extra}


# --------------------------------------------------------------------------------------------
# Signing
# --------------------------------------------------------------------------------------------

DETERMINISTIC_ECDSA = True


def _mgf1(seed: bytes, length: int, hname: str) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.new(hname, seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:length]


def pss_sign(priv: rsa.RSAPrivateKey, bits: str, msg: bytes) -> bytes:
    """RSASSA-PSS (RFC 8017 9.1.1) with MGF1 of the same hash and salt length = hash length (what
    JWA requires and aws-lc / ring verify), with a salt derived from the message so the output is
    reproducible. Verified with cryptography afterwards."""
    hname = {"256": "sha256", "384": "sha384", "512": "sha512"}[bits]
    hlen = hashlib.new(hname).digest_size
    pn = priv.private_numbers()
    n, d = pn.public_numbers.n, pn.d
    modbits = n.bit_length()
    embits = modbits - 1
    emlen = (embits + 7) // 8
    mhash = hashlib.new(hname, msg).digest()
    salt = hashlib.new(hname, b"jwt-audit-vectors/pss-salt\x00" + msg).digest()[:hlen]
    h = hashlib.new(hname, b"\x00" * 8 + mhash + salt).digest()
    db = b"\x00" * (emlen - 2 * hlen - 2) + b"\x01" + salt
    masked = bytes(a ^ b for a, b in zip(db, _mgf1(h, emlen - hlen - 1, hname)))
    masked = bytes([masked[0] & (0xFF >> (8 * emlen - embits))]) + masked[1:]
    em = masked + h + b"\xbc"
    sig = pow(int.from_bytes(em, "big"), d, n).to_bytes((modbits + 7) // 8, "big")
    priv.public_key().verify(sig, msg, padding.PSS(mgf=padding.MGF1(HASH[bits]()), salt_length=hlen),
                             HASH[bits]())
    return sig


def ecdsa_sign(priv: ec.EllipticCurvePrivateKey, bits: str, msg: bytes) -> bytes:
    global DETERMINISTIC_ECDSA
    try:
        der = priv.sign(msg, ec.ECDSA(HASH[bits](), deterministic_signing=True))
    except (UnsupportedAlgorithm, TypeError):
        if DETERMINISTIC_ECDSA:
            print("warning: deterministic ECDSA unavailable; ES256/ES384 signatures will change",
                  file=sys.stderr)
        DETERMINISTIC_ECDSA = False
        der = priv.sign(msg, ec.ECDSA(HASH[bits]()))
    r, s = decode_dss_signature(der)
    size = (priv.curve.key_size + 7) // 8
    return int_bytes(r, size) + int_bytes(s, size)


def sign(alg: str, key, msg: bytes) -> bytes:
    """key: bytes/str for HS*, a private key object otherwise."""
    bits = alg[2:]
    if alg.startswith("HS"):
        if isinstance(key, str):
            key = key.encode("utf-8")
        return hmac.new(key, msg, HASH[bits].name).digest()
    if alg.startswith("RS"):
        return key.sign(msg, padding.PKCS1v15(), HASH[bits]())
    if alg.startswith("PS"):
        return pss_sign(key, bits, msg)
    if alg.startswith("ES"):
        return ecdsa_sign(key, bits, msg)
    if alg == "EdDSA":
        return key.sign(msg)
    fail(f"cannot sign {alg}")


def segment(part) -> str:
    """A header/payload given as dict (compact JSON), bytes (raw) or str (already encoded)."""
    if isinstance(part, dict) or isinstance(part, list):
        return b64u(cjson(part))
    if isinstance(part, bytes):
        return b64u(part)
    return part


def jws(header, payload, key=None, alg=None, sig: bytes | None = None) -> str:
    """Compact JWS. Signs with `key` under `alg` (default: header["alg"]) unless `sig` is given."""
    h, p = segment(header), segment(payload)
    signing_input = f"{h}.{p}".encode("ascii")
    if sig is None:
        if alg is None:
            alg = header["alg"]
        sig = sign(alg, key, signing_input)
    return f"{h}.{p}.{b64u(sig)}"


def split3(token: str) -> tuple[str, str, bytes]:
    h, p, s = token.split(".")
    return h, p, b64u_decode(s)


def with_sig(token: str, sig: bytes) -> str:
    h, p, _ = split3(token)
    return f"{h}.{p}.{b64u(sig)}"


def flip_sig(token: str, index: int = 0) -> str:
    """Flip the lowest bit of one signature byte."""
    h, p, s = split3(token)
    s = bytearray(s)
    s[index] ^= 0x01
    return f"{h}.{p}.{b64u(bytes(s))}"


# --------------------------------------------------------------------------------------------
# Reference verifier: the pipeline of shared/DESIGN.md and the vectors' brief, as plain Python.
# Used only to cross-check the hand-written expectations of every case.
# --------------------------------------------------------------------------------------------

class Reject(Exception):
    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


class DuplicateKey(Exception):
    pass


def _no_dupes(pairs):
    names = [k for k, _ in pairs]
    if len(names) != len(set(names)):
        raise DuplicateKey()
    return dict(pairs)


def _reject_constant(name):
    raise ValueError(f"non-JSON constant {name}")


def json_depth(v) -> int:
    if isinstance(v, dict):
        return 1 + max((json_depth(x) for x in v.values()), default=0)
    if isinstance(v, list):
        return 1 + max((json_depth(x) for x in v), default=0)
    return 0


def parse_json_object(data: bytes) -> dict:
    try:
        text = data.decode("utf-8")
        obj = json.loads(text, object_pairs_hook=_no_dupes, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, DuplicateKey, RecursionError):
        raise Reject("malformed")
    if not isinstance(obj, dict) or json_depth(obj) > MAX_JSON_DEPTH:
        raise Reject("malformed")
    return obj


class RefKey:
    def __init__(self, family, key, kid=None, use=None, alg=None):
        self.family, self.key, self.kid, self.use, self.alg = family, key, kid, use, alg


def _jwk_to_ref(jwk: dict) -> RefKey:
    if any(k in jwk for k in ("d", "p", "q", "dp", "dq", "qi")) and jwk.get("kty") != "oct":
        fail("private JWK member in a config")
    kty = jwk["kty"]
    meta = dict(kid=jwk.get("kid"), use=jwk.get("use"), alg=jwk.get("alg"))
    if kty == "RSA":
        pub = rsa.RSAPublicNumbers(int.from_bytes(b64u_decode(jwk["e"]), "big"),
                                   int.from_bytes(b64u_decode(jwk["n"]), "big")).public_key()
        return RefKey("rsa", pub, **meta)
    if kty == "EC":
        curve = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1()}[jwk["crv"]]
        pub = ec.EllipticCurvePublicNumbers(int.from_bytes(b64u_decode(jwk["x"]), "big"),
                                            int.from_bytes(b64u_decode(jwk["y"]), "big"),
                                            curve).public_key()
        return RefKey({"P-256": "p256", "P-384": "p384"}[jwk["crv"]], pub, **meta)
    if kty == "OKP" and jwk["crv"] == "Ed25519":
        return RefKey("ed25519", ed25519.Ed25519PublicKey.from_public_bytes(b64u_decode(jwk["x"])), **meta)
    if kty == "oct":
        return RefKey("hmac", b64u_decode(jwk["k"]), **meta)
    fail(f"unsupported JWK {jwk}")


def _pub_family(pub) -> str:
    if isinstance(pub, rsa.RSAPublicKey):
        return "rsa"
    if isinstance(pub, ec.EllipticCurvePublicKey):
        return {"secp256r1": "p256", "secp384r1": "p384"}[pub.curve.name]
    if isinstance(pub, ed25519.Ed25519PublicKey):
        return "ed25519"
    fail(f"unsupported PEM key {pub!r}")


def load_ref_keys(config: dict) -> list[RefKey]:
    out = []
    for src in config["keys"]:
        if "jwks" in src:
            out += [_jwk_to_ref(j) for j in src["jwks"]["keys"]]
        elif "jwk" in src:
            out.append(_jwk_to_ref(src["jwk"]))
        elif "pem" in src:
            if "PRIVATE" in src["pem"]:
                fail("private key PEM in a config")
            pub = serialization.load_pem_public_key(src["pem"].encode("ascii"))
            out.append(RefKey(_pub_family(pub), pub, kid=src.get("kid")))
        elif "secret" in src:
            out.append(RefKey("hmac", src["secret"].encode("utf-8"), kid=src.get("kid")))
        else:
            fail(f"unknown key source {src}")
    return out


def ref_signature_ok(key: RefKey, alg: str, msg: bytes, sig: bytes) -> bool:
    bits = alg[2:]
    try:
        if alg.startswith("HS"):
            return hmac.compare_digest(hmac.new(key.key, msg, HASH[bits].name).digest(), sig)
        if alg.startswith("RS"):
            key.key.verify(sig, msg, padding.PKCS1v15(), HASH[bits]())
        elif alg.startswith("PS"):
            key.key.verify(sig, msg, padding.PSS(mgf=padding.MGF1(HASH[bits]()),
                                                 salt_length=HASH[bits].digest_size), HASH[bits]())
        elif alg.startswith("ES"):
            size = (key.key.curve.key_size + 7) // 8
            if len(sig) != 2 * size:
                return False
            der = encode_dss_signature(int.from_bytes(sig[:size], "big"), int.from_bytes(sig[size:], "big"))
            key.key.verify(der, msg, ec.ECDSA(HASH[bits]()))
        elif alg == "EdDSA":
            key.key.verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _norm_typ(t: str) -> str:
    t = t.lower()
    return t[len("application/"):] if t.startswith("application/") else t


def reference_verify(token: bytes, config: dict) -> tuple[str, str | None, list[str]]:
    try:
        return _reference_verify(token, config)
    except Reject as r:
        return "rejected", r.kind, []


def _reference_verify(token: bytes, config: dict):
    # 1. presence and size
    if len(token) == 0:
        raise Reject("missing_token")
    if len(token) > config.get("max_token_bytes", DEFAULT_MAX_TOKEN_BYTES):
        raise Reject("token_too_large")
    # 2. structure
    parts = token.split(b".")
    if len(parts) == 5:
        raise Reject("unsupported")
    if len(parts) != 3:
        raise Reject("malformed")
    decoded = [b64u_decode_strict(p) for p in parts]
    if any(d is None for d in decoded):
        raise Reject("malformed")
    header = parse_json_object(decoded[0])
    payload = parse_json_object(decoded[1])
    sig = decoded[2]
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise Reject("malformed")
    if "kid" in header and not isinstance(header["kid"], str):
        raise Reject("malformed")
    # 3. header policy
    if alg.lower() == "none":
        raise Reject("algorithm_not_allowed")
    if alg not in SUPPORTED_ALGS:
        raise Reject("unsupported")
    if alg not in config["algorithms"]:
        raise Reject("algorithm_not_allowed")
    if "enc" in header:
        raise Reject("unsupported")
    if "crit" in header:
        crit = header["crit"]
        if not (isinstance(crit, list) and crit and all(isinstance(c, str) for c in crit)):
            raise Reject("malformed")
        raise Reject("unsupported")
    if header.get("b64") is False:
        raise Reject("unsupported")
    keys = load_ref_keys(config)
    fam = FAMILY[alg]

    def usable(k: RefKey) -> bool:
        return (k.use is None or k.use == "sig") and (k.alg is None or k.alg == alg)

    if "kid" in header:
        cands = [k for k in keys if k.kid == header["kid"]]
        if not cands:
            # A key configured without a kid (a lone PEM or secret) serves tokens whatever their kid.
            cands = [k for k in keys if k.kid is None]
        if not cands:
            raise Reject("unknown_key")
        cands = [k for k in cands if usable(k)]
        if not cands:
            raise Reject("unknown_key")
        fit = [k for k in cands if k.family == fam]
        if not fit:
            raise Reject("algorithm_not_allowed")
    else:
        fit = [k for k in keys if usable(k) and k.family == fam]
        if not fit:
            raise Reject("unknown_key")
    # 4. signature
    signing_input = parts[0] + b"." + parts[1]
    if not any(ref_signature_ok(k, alg, signing_input, sig) for k in fit):
        raise Reject("bad_signature")
    # 5. time
    fails = []
    now = config["now"]
    leeway = config.get("leeway_seconds", DEFAULT_LEEWAY)
    for claim in ("exp", "nbf", "iat"):
        if claim not in payload:
            continue
        v = payload[claim]
        if not _is_number(v):
            fails.append("invalid_claim")
        elif claim == "exp" and now >= v + leeway:
            fails.append("expired")
        elif claim == "nbf" and now + leeway < v:
            fails.append("not_yet_valid")
        elif claim == "iat" and v > now + leeway:
            fails.append("issued_in_future")
    # 6. claims
    if "issuer" in config:
        allowed = config["issuer"] if isinstance(config["issuer"], list) else [config["issuer"]]
        if "iss" not in payload:
            fails.append("missing_claim")
        elif not isinstance(payload["iss"], str):
            fails.append("invalid_claim")
        elif payload["iss"] not in allowed:
            fails.append("issuer_mismatch")
    if "audience" in config:
        wanted = config["audience"] if isinstance(config["audience"], list) else [config["audience"]]
        if "aud" not in payload:
            fails.append("missing_claim")
        else:
            aud = payload["aud"]
            if isinstance(aud, str):
                aud = [aud]
            if not (isinstance(aud, list) and all(isinstance(a, str) for a in aud)):
                fails.append("invalid_claim")
            elif not set(aud) & set(wanted):
                fails.append("audience_mismatch")
    if "typ" in config:
        if "typ" not in header:
            fails.append("missing_claim")
        elif not isinstance(header["typ"], str) or _norm_typ(header["typ"]) != _norm_typ(config["typ"]):
            fails.append("invalid_claim")
    for claim in config.get("required_claims", DEFAULT_REQUIRED_CLAIMS):
        if claim not in payload:
            fails.append("missing_claim")
    for claim in ("sub", "jti"):
        if claim in payload and not isinstance(payload[claim], str):
            fails.append("invalid_claim")
    if fails:
        return "rejected", fails[0], fails[1:]
    return "accepted", None, []


def case_token_bytes(case: dict) -> bytes:
    if "token_repeat" in case:
        r = case["token_repeat"]
        return (r["unit"] * r["count"]).encode("utf-8")
    if "token_bytes_b64" in case:
        return base64.b64decode(case["token_bytes_b64"], validate=True)
    return case["token"].encode("utf-8")


# --------------------------------------------------------------------------------------------
# Case construction helpers
# --------------------------------------------------------------------------------------------

K: Keys  # set in main()

ISS = "https://issuer.example"
AUD = "orders-api"
FINGERPRINT_KEY = "vectors-fingerprint-key-not-a-real-secret"


def claims(case: str, /, **over) -> dict:
    """Standard payload: valid at NOW; `None` removes a claim; extra keyword claims are added."""
    base = {
        "iss": ISS,
        "sub": "user-123",
        "aud": AUD,
        "iat": NOW - 60,
        "exp": NOW + 3600,
        "jti": case,
    }
    for k, v in over.items():
        if v is None:
            base.pop(k, None)
        else:
            base[k] = v
    return base


def cfg(keys: list, algorithms: list, **extra) -> dict:
    c = {"keys": keys, "algorithms": algorithms}
    c.update(extra)
    c.setdefault("now", NOW)
    return c


def pem_src(name: str, kid: str | None = None, pkcs1: bool = False) -> dict:
    src = {"pem": K.pkcs1_pem(name) if pkcs1 else K.spki_pem(name)}
    if kid is not None:
        src["kid"] = kid
    return src


def secret_src(size: int, kid: str | None = None) -> dict:
    src = {"secret": K.hmac[size]}
    if kid is not None:
        src["kid"] = kid
    return src


def jwk_src(name: str, **extra) -> dict:
    return {"jwk": K.jwk(name, **extra)}


def jwks_src(*jwks: dict) -> dict:
    return {"jwks": {"keys": list(jwks)}}


ALG_KEY = {
    "HS256": 32, "HS384": 48, "HS512": 64,
    "RS256": "rsa-1", "RS384": "rsa-1", "RS512": "rsa-1",
    "PS256": "rsa-1", "PS384": "rsa-1", "PS512": "rsa-1",
    "ES256": "ec-p256", "ES384": "ec-p384", "EdDSA": "ed25519",
}


def signing_key(alg: str, override=None):
    ref = override if override is not None else ALG_KEY[alg]
    if not isinstance(ref, (int, str)):
        return ref  # a key object
    return K.hmac[ref] if isinstance(ref, int) else K.priv[ref]


def other_key(kind: str):
    """A second private key of a type, derived from a fixed seed (not in keys/, never configured)."""
    seed = hashlib.sha256(f"jwt-audit-vectors/other-{kind}".encode()).digest()
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    curve = {"p256": ec.SECP256R1(), "p384": ec.SECP384R1()}[kind]
    order = {"p256": P256_N,
             "p384": 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973}[kind]
    return ec.derive_private_key(int.from_bytes(seed, "big") % (order - 1) + 1, curve)


def verify_src(alg: str, kid: str | None = None) -> dict:
    ref = ALG_KEY[alg]
    return secret_src(ref, kid) if isinstance(ref, int) else pem_src(ref, kid)


def token_for(alg: str, case: str, /, header_extra: dict | None = None, key=None, **claim_over) -> str:
    header = {"alg": alg, "typ": "JWT", **(header_extra or {})}
    header = {k: v for k, v in header.items() if v is not None}  # None removes a parameter
    return jws(header, claims(case, **claim_over), signing_key(alg, key), alg)


def default_cfg(alg: str, **extra) -> dict:
    return cfg([verify_src(alg)], [alg], **extra)


class Group:
    def __init__(self, filename: str, description: str):
        self.filename = filename
        self.description = description
        self.cases: list[dict] = []

    def add(self, name: str, description: str, token=None, config=None, kind: str | None = None,
            also=(), context: dict | None = None, token_bytes: bytes | None = None,
            token_repeat: tuple[str, int] | None = None) -> None:
        case = {"name": name, "description": description}
        if token_repeat is not None:
            case["token_repeat"] = {"unit": token_repeat[0], "count": token_repeat[1]}
        elif token_bytes is not None:
            try:
                token_bytes.decode("utf-8")
                fail(f"{name}: token_bytes_b64 is only for bytes that are not valid UTF-8")
            except UnicodeDecodeError:
                pass
            case["token_bytes_b64"] = base64.b64encode(token_bytes).decode("ascii")
        else:
            if token is None:
                fail(f"{name}: no token")
            case["token"] = token
        case["config"] = config
        if context is not None:
            case["context"] = context
        case["expected"] = {
            "outcome": "accepted" if kind is None else "rejected",
            "kind": kind,
            "also": list(also),
        }
        self.cases.append(case)


CTX = {
    "correlation_id": "req-7f3a9c",
    "client_ip": "203.0.113.7",
    "method": "GET",
    "path": "/orders",
    "user_agent": "curl/8.5.0",
}


# --------------------------------------------------------------------------------------------
# algorithms.json
# --------------------------------------------------------------------------------------------

def group_algorithms() -> Group:
    g = Group("algorithms.json",
              "Every supported JWS algorithm accepted with its key, and rejected with a bad signature; "
              "allow-list enforcement; RS/PS padding confusion.")
    key_desc = {
        "HS256": "a 32-byte secret", "HS384": "a 48-byte secret", "HS512": "a 64-byte secret",
        "ES256": "an EC P-256 SPKI PEM", "ES384": "an EC P-384 SPKI PEM", "EdDSA": "an Ed25519 SPKI PEM",
    }
    for alg in SUPPORTED_ALGS:
        kd = key_desc.get(alg, "an RSA-2048 SPKI PEM")
        n = alg.lower()
        tok = token_for(alg, f"{n}-valid")
        g.add(f"{n}-valid", f"{alg} token signed with the matching private key, verified with {kd}.",
              tok, default_cfg(alg))
        tok = token_for(alg, f"{n}-bad-signature")
        g.add(f"{n}-bad-signature",
              f"{alg} token whose first signature byte has one bit flipped.",
              flip_sig(tok), default_cfg(alg), "bad_signature")

    tok = token_for("HS256", "hs256-bad-signature-last-byte")
    g.add("hs256-bad-signature-last-byte", "HS256 token whose last signature byte has one bit flipped.",
          flip_sig(tok, -1), default_cfg("HS256"), "bad_signature")
    tok = token_for("ES256", "es256-bad-signature-last-byte")
    g.add("es256-bad-signature-last-byte", "ES256 token whose last signature byte (end of S) has one bit flipped.",
          flip_sig(tok, -1), default_cfg("ES256"), "bad_signature")
    g.add("rs256-signed-by-other-key",
          "RS256 token validly signed by a different RSA key (rsa-2) than the configured one (rsa-1).",
          token_for("RS256", "rs256-signed-by-other-key", key="rsa-2"), default_cfg("RS256"), "bad_signature")
    g.add("ps256-signed-by-other-key",
          "PS256 token validly signed by a different RSA key (rsa-2) than the configured one (rsa-1).",
          token_for("PS256", "ps256-signed-by-other-key", key="rsa-2"), default_cfg("PS256"), "bad_signature")
    g.add("hs256-signed-with-other-secret",
          "HS256 token signed with the 48-byte secret; the config holds the 32-byte secret.",
          token_for("HS256", "hs256-signed-with-other-secret", key=48), default_cfg("HS256"), "bad_signature")
    g.add("es256-signed-by-other-key",
          "ES256 token validly signed by another P-256 key (derived in generate.py from a fixed seed).",
          token_for("ES256", "es256-signed-by-other-key", key=other_key("p256")), default_cfg("ES256"),
          "bad_signature")
    g.add("es384-signed-by-other-key",
          "ES384 token validly signed by another P-384 key (derived from a fixed seed).",
          token_for("ES384", "es384-signed-by-other-key", key=other_key("p384")), default_cfg("ES384"),
          "bad_signature")
    g.add("eddsa-signed-by-other-key",
          "EdDSA token validly signed by another Ed25519 key (derived from a fixed seed).",
          token_for("EdDSA", "eddsa-signed-by-other-key", key=other_key("ed25519")), default_cfg("EdDSA"),
          "bad_signature")
    g.add("eddsa-header-with-rs256-signature",
          "EdDSA header, but the token carries an RS256 signature made with rsa-1: 256 bytes where Ed25519 "
          "needs 64.",
          jws({"alg": "EdDSA", "typ": "JWT"}, claims("eddsa-signed-by-other-key"), K.priv["rsa-1"], "RS256"),
          default_cfg("EdDSA"), "bad_signature")
    g.add("hs256-empty-signature",
          "HS256 token with the signature segment empty (signature stripped, trailing dot kept).",
          with_sig(token_for("HS256", "hs256-empty-signature"), b""), default_cfg("HS256"), "bad_signature")
    tok = token_for("RS256", "rs256-truncated-signature")
    g.add("rs256-truncated-signature", "RS256 signature with its last byte removed (255 bytes).",
          with_sig(tok, split3(tok)[2][:-1]), default_cfg("RS256"), "bad_signature")

    # RS / PS padding confusion under the same RSA key.
    hdr = {"alg": "RS256", "typ": "JWT"}
    g.add("rs256-header-with-pss-signature",
          "Header says RS256 but the signature is RSASSA-PSS (PS256) by the right key: padding must match alg.",
          jws(hdr, claims("rs256-header-with-pss-signature"), K.priv["rsa-1"], "PS256"),
          cfg([pem_src("rsa-1")], ["RS256", "PS256"]), "bad_signature")
    hdr = {"alg": "PS256", "typ": "JWT"}
    g.add("ps256-header-with-pkcs1-signature",
          "Header says PS256 but the signature is RSASSA-PKCS1-v1_5 (RS256) by the right key.",
          jws(hdr, claims("ps256-header-with-pkcs1-signature"), K.priv["rsa-1"], "RS256"),
          cfg([pem_src("rsa-1")], ["RS256", "PS256"]), "bad_signature")
    hdr = {"alg": "HS512", "typ": "JWT"}
    g.add("hs512-header-with-hs256-signature",
          "Header says HS512 but the MAC is HS256 with the same (64-byte) secret: 32 bytes where 64 are due.",
          jws(hdr, claims("hs512-header-with-hs256-signature"), K.hmac[64], "HS256"),
          cfg([secret_src(64)], ["HS256", "HS512"]), "bad_signature")

    # Allow-list.
    g.add("rs256-not-in-allow-list",
          "Valid RS256 token, but the config allows only RS512 (same key type).",
          token_for("RS256", "rs256-not-in-allow-list"), cfg([pem_src("rsa-1")], ["RS512"]),
          "algorithm_not_allowed")
    g.add("ps256-not-in-allow-list",
          "Valid PS256 token, but the config allows only RS256.",
          token_for("PS256", "ps256-not-in-allow-list"), cfg([pem_src("rsa-1")], ["RS256"]),
          "algorithm_not_allowed")
    g.add("es256-not-in-allow-list",
          "Valid ES256 token, but the config allows only EdDSA and ES384 (with keys for those).",
          token_for("ES256", "es256-not-in-allow-list"),
          cfg([pem_src("ed25519"), pem_src("ec-p384")], ["EdDSA", "ES384"]), "algorithm_not_allowed")
    all_keys = [pem_src("rsa-1"), pem_src("ec-p256"), pem_src("ec-p384"), pem_src("ed25519"), secret_src(64)]
    for alg in ("ES384", "PS512", "HS384", "EdDSA"):
        n = f"all-algorithms-allowed-{alg.lower()}"
        g.add(n,
              f"All twelve algorithms allowed, one key of every type (the HMAC secret is 64 bytes), no kid: "
              f"the {alg} token is verified by the key that fits its algorithm.",
              token_for(alg, n, key=64 if alg.startswith("HS") else None), cfg(all_keys, list(SUPPORTED_ALGS)))
    n = "hs256-every-secret-tried"
    g.add(n,
          "Three HMAC secrets (32, 48, 64 bytes) without kids: an HS256 token without kid signed with the "
          "64-byte secret verifies (every configured key that fits the algorithm is a candidate).",
          token_for("HS256", n, key=64), cfg([secret_src(32), secret_src(48), secret_src(64)], ["HS256"]))
    n = "rs256-every-key-tried"
    g.add(n,
          "Two RSA keys without kids: an RS256 token without kid signed by the second one verifies.",
          token_for("RS256", n, key="rsa-2"), cfg([pem_src("rsa-1"), pem_src("rsa-2")], ["RS256"]))
    return g


# --------------------------------------------------------------------------------------------
# keys.json
# --------------------------------------------------------------------------------------------

def group_keys() -> Group:
    g = Group("keys.json",
              "Key sources (PEM SPKI and PKCS#1, JWK, JWKS, secrets) and key selection by kid and by "
              "key type; JWK use/alg restrictions.")
    g.add("rsa-pkcs1-pem", "RS256 verified with an RSA public key in PKCS#1 PEM (BEGIN RSA PUBLIC KEY).",
          token_for("RS256", "rsa-pkcs1-pem"), cfg([pem_src("rsa-1", pkcs1=True)], ["RS256"]))
    g.add("rsa-pkcs1-pem-ps384", "PS384 verified with an RSA public key in PKCS#1 PEM.",
          token_for("PS384", "rsa-pkcs1-pem-ps384"), cfg([pem_src("rsa-1", pkcs1=True)], ["PS384"]))
    g.add("rsa-spki-pem-rs512", "RS512 verified with an RSA public key in SPKI PEM (BEGIN PUBLIC KEY).",
          token_for("RS512", "rsa-spki-pem-rs512"), cfg([pem_src("rsa-1")], ["RS512"]))
    g.add("rsa-jwk", "RS256 verified with a single RSA public JWK (kty RSA, n, e).",
          token_for("RS256", "rsa-jwk"), cfg([jwk_src("rsa-1")], ["RS256"]))
    g.add("ec-p256-jwk", "ES256 verified with an EC P-256 public JWK.",
          token_for("ES256", "ec-p256-jwk"), cfg([jwk_src("ec-p256")], ["ES256"]))
    g.add("ec-p384-jwk", "ES384 verified with an EC P-384 public JWK.",
          token_for("ES384", "ec-p384-jwk"), cfg([jwk_src("ec-p384")], ["ES384"]))
    g.add("okp-ed25519-jwk", "EdDSA verified with an OKP Ed25519 public JWK.",
          token_for("EdDSA", "okp-ed25519-jwk"), cfg([jwk_src("ed25519")], ["EdDSA"]))
    g.add("oct-jwk", "HS256 verified with a symmetric JWK (kty oct, k = base64url of the 32-byte secret).",
          token_for("HS256", "oct-jwk"),
          cfg([{"jwk": {"kty": "oct", "k": b64u(K.hmac[32].encode("ascii"))}}], ["HS256"]))

    jwks3 = jwks_src(K.jwk("rsa-1", kid="rsa-1", use="sig"), K.jwk("rsa-2", kid="rsa-2", use="sig"),
                     K.jwk("ec-p256", kid="ec-p256", use="sig"))
    algs = ["RS256", "ES256"]
    g.add("jwks-select-by-kid",
          "JWKS with two RSA keys and one EC key; the token's kid names rsa-2, which signed it.",
          token_for("RS256", "jwks-select-by-kid", {"kid": "rsa-2"}, key="rsa-2"), cfg([jwks3], algs))
    g.add("jwks-no-kid-selects-by-type",
          "JWKS with two RSA keys and one EC key; an ES256 token without kid is verified by the only key "
          "whose type fits (EC P-256).",
          token_for("ES256", "jwks-no-kid-selects-by-type"), cfg([jwks3], algs))
    g.add("jwks-unknown-kid", "The token's kid is not in the JWKS.",
          token_for("RS256", "jwks-unknown-kid", {"kid": "rsa-3"}), cfg([jwks3], algs), "unknown_key")
    g.add("jwks-kid-signed-by-other-key",
          "The kid names rsa-1 but the token was signed by rsa-2 (also in the JWKS): no fallback to "
          "other keys once a kid has selected one.",
          token_for("RS256", "jwks-kid-signed-by-other-key", {"kid": "rsa-1"}, key="rsa-2"),
          cfg([jwks3], algs), "bad_signature")
    g.add("jwks-kid-wrong-key-type",
          "RS256 token whose kid names the EC key of the JWKS: key type does not fit the algorithm.",
          token_for("RS256", "jwks-kid-wrong-key-type", {"kid": "ec-p256"}), cfg([jwks3], algs),
          "algorithm_not_allowed")
    jwks_all = jwks_src(K.jwk("rsa-1", kid="rsa-1"), K.jwk("ec-p256", kid="ec-p256"),
                        K.jwk("ec-p384", kid="ec-p384"), K.jwk("ed25519", kid="ed25519"))
    g.add("jwks-no-kid-eddsa",
          "JWKS with RSA, P-256, P-384 and Ed25519 keys; EdDSA token without kid picks the OKP key.",
          token_for("EdDSA", "jwks-no-kid-eddsa"), cfg([jwks_all], ["RS256", "ES256", "ES384", "EdDSA"]))
    g.add("jwks-kid-es384",
          "JWKS with RSA, P-256, P-384 and Ed25519 keys; ES384 token with kid ec-p384.",
          token_for("ES384", "jwks-kid-es384", {"kid": "ec-p384"}),
          cfg([jwks_all], ["RS256", "ES256", "ES384", "EdDSA"]))

    g.add("jwk-use-sig", "JWK with use \"sig\" and a kid is used for verification.",
          token_for("RS256", "jwk-use-sig", {"kid": "k1"}), cfg([jwk_src("rsa-1", kid="k1", use="sig")], ["RS256"]))
    enc_jwks = jwks_src(K.jwk("rsa-1", kid="k1", use="enc"), K.jwk("ec-p256", kid="ec", use="sig"))
    g.add("jwk-use-enc-with-kid",
          "JWKS where the key named by the token's kid (the right RSA key) has use \"enc\": it must not "
          "verify signatures; the other key is an EC key with its own kid.",
          token_for("RS256", "jwk-use-enc-with-kid", {"kid": "k1"}), cfg([enc_jwks], ["RS256", "ES256"]),
          "unknown_key")
    g.add("jwk-use-enc-no-kid",
          "No kid; the only RSA key of the JWKS (the right one) has use \"enc\", so no usable key fits RS256.",
          token_for("RS256", "jwk-use-enc-no-kid"), cfg([enc_jwks], ["RS256", "ES256"]), "unknown_key")
    g.add("jwk-alg-matches", "JWK with alg RS256 verifies an RS256 token.",
          token_for("RS256", "jwk-alg-matches", {"kid": "k1"}),
          cfg([jwk_src("rsa-1", kid="k1", alg="RS256")], ["RS256", "RS512"]))
    g.add("jwk-alg-mismatch-with-kid",
          "The JWK named by kid declares alg RS512; the token is RS256: the key must not be used.",
          token_for("RS256", "jwk-alg-mismatch-with-kid", {"kid": "k1"}),
          cfg([jwk_src("rsa-1", kid="k1", alg="RS512")], ["RS256", "RS512"]), "unknown_key")
    g.add("jwk-alg-mismatch-no-kid",
          "No kid; the only RSA JWK declares alg PS256 and the token is RS256.",
          token_for("RS256", "jwk-alg-mismatch-no-kid"),
          cfg([jwk_src("rsa-1", alg="PS256")], ["RS256", "PS256"]), "unknown_key")
    g.add("jwks-skips-enc-key-uses-sig-key",
          "No kid; the JWKS holds rsa-2 with use \"enc\" and rsa-1 with use \"sig\"; the token is signed by rsa-1.",
          token_for("RS256", "jwks-skips-enc-key-uses-sig-key"),
          cfg([jwks_src(K.jwk("rsa-2", use="enc"), K.jwk("rsa-1", use="sig"))], ["RS256"]))

    g.add("pem-with-kid-selected",
          "Two PEM keys with kids a and b; the token (kid b) is signed by the key b.",
          token_for("RS256", "pem-with-kid-selected", {"kid": "b"}, key="rsa-2"),
          cfg([pem_src("rsa-1", kid="a"), pem_src("rsa-2", kid="b")], ["RS256"]))
    g.add("secret-with-kid-selected",
          "Two secrets with kids hs-a (32 bytes) and hs-b (64 bytes); HS256 token with kid hs-b.",
          token_for("HS256", "secret-with-kid-selected", {"kid": "hs-b"}, key=64),
          cfg([secret_src(32, kid="hs-a"), secret_src(64, kid="hs-b")], ["HS256"]))
    g.add("token-kid-config-key-without-kid",
          "The token names kid k1 and the only configured key has no kid: a key configured without "
          "a kid serves tokens whatever their kid (the signature still decides).",
          token_for("RS256", "token-kid-config-key-without-kid", {"kid": "k1"}),
          cfg([pem_src("rsa-1")], ["RS256"]))
    g.add("token-kid-falls-back-only-to-keys-without-kid",
          "The token names kid k9; the configured keys are k1 (which signed it) and one key without "
          "a kid (which did not): no key has kid k9, so only the kid-less key is tried.",
          token_for("RS256", "token-kid-falls-back-only-to-keys-without-kid", {"kid": "k9"}),
          cfg([pem_src("rsa-1", kid="k1"), pem_src("rsa-2")], ["RS256"]), "bad_signature")
    g.add("token-without-kid-config-key-with-kid",
          "The token has no kid; the configured key has kid k1 and fits the algorithm, so it is used.",
          token_for("ES256", "token-without-kid-config-key-with-kid"),
          cfg([pem_src("ec-p256", kid="k1")], ["ES256"]))
    g.add("no-key-fits-algorithm",
          "ES384 token without kid; only a P-256 key is configured (ES384 is allowed).",
          token_for("ES384", "no-key-fits-algorithm"), cfg([pem_src("ec-p256")], ["ES256", "ES384"]),
          "unknown_key")
    g.add("kid-selects-p384-key-for-es256",
          "ES256 token whose kid names a P-384 key: wrong curve for the algorithm.",
          token_for("ES256", "kid-selects-p384-key-for-es256", {"kid": "p384"}),
          cfg([pem_src("ec-p384", kid="p384"), pem_src("ec-p256", kid="p256")], ["ES256", "ES384"]),
          "algorithm_not_allowed")
    g.add("kid-selects-ed25519-key-for-es256",
          "ES256 token whose kid names an Ed25519 key.",
          token_for("ES256", "kid-selects-ed25519-key-for-es256", {"kid": "ed"}),
          cfg([pem_src("ed25519", kid="ed"), pem_src("ec-p256")], ["ES256", "EdDSA"]),
          "algorithm_not_allowed")
    g.add("mixed-key-sources",
          "PEM, secret and JWKS sources together; HS384 token without kid verified by the 48-byte secret.",
          token_for("HS384", "mixed-key-sources"),
          cfg([pem_src("rsa-1"), secret_src(48), jwks_src(K.jwk("ec-p256", kid="ec"))], ["RS256", "HS384", "ES256"]))
    return g


# --------------------------------------------------------------------------------------------
# structure.json
# --------------------------------------------------------------------------------------------

def _token_of_length(target: int, name: str) -> str:
    """A valid HS256 token of exactly `target` bytes (pads a header parameter and a claim)."""
    for hpad in range(0, 4):
        header = {"alg": "HS256", "typ": "JWT", "x-pad": "h" * hpad}
        base = jws(header, claims(name, pad=""), K.hmac[32])
        need = target - len(base)
        for extra in range(max(0, need * 3 // 4 - 4), need * 3 // 4 + 4):
            tok = jws(header, claims(name, pad="p" * extra), K.hmac[32])
            if len(tok) == target:
                return tok
    fail(f"cannot build a token of {target} bytes")


def _find_token_with_char(ch: str, seg_index: int, name: str) -> str:
    for n in range(1000):
        # '?' (0x3f) and '~' (0x7e) bytes produce '_' and '-' in base64url, at some alignment.
        tok = jws({"alg": "HS256", "typ": "JWT"}, claims(name, n="x" * (n % 3) + "???~~~" + str(n)), K.hmac[32])
        if ch in tok.split(".")[seg_index]:
            return tok
    fail(f"no token with {ch!r} in segment {seg_index}")


def group_structure() -> Group:
    g = Group("structure.json",
              "Presence, size (checked before decoding) and structure: segment count, strict base64url, "
              "JSON objects, UTF-8, duplicate member names, nesting depth.")
    hs = cfg([secret_src(32)], ["HS256"])
    g.add("missing-token", "Empty token string (no token presented).", "", hs, "missing_token")
    g.add("token-too-large-9000-bytes",
          "9000 bytes of 'a' with the default max_token_bytes (8192): rejected by size before any decoding.",
          "a" * 9000, hs, "token_too_large")
    g.add("token-too-large-1mib",
          "1 MiB token (token_repeat: 'a' x 1048576) with max_token_bytes 8192 set explicitly.",
          config=cfg([secret_src(32)], ["HS256"], max_token_bytes=8192), kind="token_too_large",
          token_repeat=("a", 1048576))
    n = "token-exactly-max-bytes"
    g.add(n, "A valid HS256 token of exactly 8192 bytes with the default limit: accepted (limit is inclusive).",
          _token_of_length(8192, n), hs)
    n = "token-one-byte-over-max"
    g.add(n, "A validly signed HS256 token of 8193 bytes with the default limit.",
          _token_of_length(8193, n), hs, "token_too_large")
    n = "custom-max-token-bytes-exceeded"
    tok = token_for("HS256", n)
    g.add(n, f"A valid {len(tok)}-byte token with max_token_bytes 256.",
          tok, cfg([secret_src(32)], ["HS256"], max_token_bytes=256), "token_too_large")
    if len(tok) <= 256:
        fail("custom-max-token-bytes-exceeded token too short")
    n = "custom-max-token-bytes-within"
    tok = token_for("HS256", n)
    g.add(n, f"The same kind of {len(tok)}-byte token with max_token_bytes 1024.",
          tok, cfg([secret_src(32)], ["HS256"], max_token_bytes=1024))
    g.add("too-large-beats-malformed",
          "8193 bytes that are not a JWT at all ('.' repeated): size is checked first.",
          "." * 8193, hs, "token_too_large")

    valid = token_for("HS256", "structure-base")
    h, p, s = valid.split(".")
    g.add("one-segment", "A single base64url segment, no dots.", h, hs, "malformed")
    g.add("two-segments", "header.payload without a signature segment (and without its dot).",
          f"{h}.{p}", hs, "malformed")
    g.add("four-segments", "A valid token with a fourth segment appended.", f"{valid}.{s}", hs, "malformed")
    g.add("trailing-dot", "A valid token followed by a dot (four segments, the last one empty).",
          f"{valid}.", hs, "malformed")
    g.add("six-segments", "Six segments.", f"{h}.{p}.{s}.{h}.{p}.{s}", hs, "malformed")
    jwe = ".".join([b64u(cjson({"alg": "RSA-OAEP", "enc": "A256GCM"})),
                    b64u(bytes(range(0, 256))), b64u(bytes(range(12))),
                    b64u(b"ciphertext-bytes-here"), b64u(bytes(range(16)))])
    g.add("jwe-five-segments", "A JWE in compact form (five segments): encrypted tokens are not supported.",
          jwe, hs, "unsupported")
    g.add("jwe-five-empty-segments", "Four dots (five empty segments): JWE shape, refused as unsupported.",
          "....", hs, "unsupported")
    g.add("empty-segments", "Two dots only: three empty segments.", "..", hs, "malformed")
    g.add("empty-header-segment", "Header segment empty.", f".{p}.{s}", hs, "malformed")
    g.add("empty-payload-segment", "Payload segment empty (zero bytes are not a JSON object).",
          f"{h}..{s}", hs, "malformed")

    g.add("header-base64-padding", "Header segment followed by '=' padding.", f"{h}=.{p}.{s}", hs, "malformed")
    g.add("payload-base64-padding", "Payload segment followed by '==' padding.", f"{h}.{p}==.{s}", hs, "malformed")
    g.add("signature-base64-padding",
          "The 43-character HS256 signature followed by its standard '=' padding.",
          f"{h}.{p}.{s}=", hs, "malformed")
    tok = _find_token_with_char("-", 2, "signature-standard-base64-plus")
    hh, pp, ss = tok.split(".")
    g.add("signature-standard-base64-plus",
          "Signature in the standard base64 alphabet: a '-' replaced by '+'.",
          f"{hh}.{pp}.{ss.replace('-', '+')}", hs, "malformed")
    tok = _find_token_with_char("_", 2, "signature-standard-base64-slash")
    hh, pp, ss = tok.split(".")
    g.add("signature-standard-base64-slash",
          "Signature in the standard base64 alphabet: a '_' replaced by '/'.",
          f"{hh}.{pp}.{ss.replace('_', '/')}", hs, "malformed")
    tok = _find_token_with_char("_", 1, "payload-standard-base64-slash")
    hh, pp, ss = tok.split(".")
    g.add("payload-standard-base64-slash", "Payload in the standard base64 alphabet: '_' replaced by '/'.",
          f"{hh}.{pp.replace('_', '/')}.{ss}", hs, "malformed")
    g.add("space-inside-payload", "A space inserted inside the payload segment.",
          f"{h}.{p[:10]} {p[10:]}.{s}", hs, "malformed")
    g.add("newline-inside-payload", "A newline inserted inside the payload segment.",
          f"{h}.{p[:10]}\n{p[10:]}.{s}", hs, "malformed")
    g.add("tab-inside-signature", "A tab inserted inside the signature segment.",
          f"{h}.{p}.{s[:5]}\t{s[5:]}", hs, "malformed")
    g.add("leading-space", "A valid token preceded by a space.", f" {valid}", hs, "malformed")
    g.add("trailing-newline", "A valid token followed by a newline.", f"{valid}\n", hs, "malformed")
    g.add("bearer-prefix", "The whole Authorization header value ('Bearer <token>') passed as the token.",
          f"Bearer {valid}", hs, "malformed")
    g.add("segment-length-invalid", "Signature segment of 45 characters (length mod 4 == 1 is never base64).",
          f"{h}.{p}.{s}AA", hs, "malformed")
    last = s[-1]
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    idx = alphabet.index(last)
    if idx & 3:
        fail("unexpected non-canonical signature in structure-base")
    g.add("signature-non-canonical-trailing-bits",
          "Last signature character changed so that its unused low bits are not zero: lenient decoders "
          "give the same bytes, strict base64url refuses it (one encoding per token).",
          f"{h}.{p}.{s[:-1]}{alphabet[idx | 1]}", hs, "malformed")
    g.add("signature-invalid-character", "A '*' inside the signature segment.",
          f"{h}.{p}.{s[:5]}*{s[6:]}", hs, "malformed")
    g.add("non-ascii-character", "A non-ASCII (valid UTF-8) character 'é' inside the payload segment.",
          f"{h}.{p[:10]}é{p[10:]}.{s}", hs, "malformed")
    g.add("invalid-utf8-token-bytes",
          "The token bytes themselves are not UTF-8 (0xff 0xfe inside the payload segment); given as "
          "token_bytes_b64.",
          config=hs, kind="malformed", token_bytes=f"{h}.{p[:10]}".encode() + b"\xff\xfe" + f"{p[10:]}.{s}".encode())

    def raw(header: bytes, payload: bytes, name: str) -> str:
        hh = b64u(header)
        pp = b64u(payload)
        return f"{hh}.{pp}.{b64u(sign('HS256', K.hmac[32], f'{hh}.{pp}'.encode()))}"

    good_payload = cjson(claims("raw"))
    good_header = cjson({"alg": "HS256", "typ": "JWT"})
    g.add("header-not-json", "Header decodes to text that is not JSON; correctly MACed.",
          raw(b"alg=HS256", good_payload, "h"), hs, "malformed")
    g.add("header-json-array", "Header is a JSON array.",
          raw(b'["HS256"]', good_payload, "h"), hs, "malformed")
    g.add("header-json-string", "Header is a JSON string.",
          raw(b'"HS256"', good_payload, "h"), hs, "malformed")
    g.add("header-json-null", "Header is JSON null.", raw(b"null", good_payload, "h"), hs, "malformed")
    g.add("header-trailing-garbage", "Header is a JSON object followed by extra characters.",
          raw(good_header + b" x", good_payload, "h"), hs, "malformed")
    g.add("header-invalid-utf8", "Header JSON contains the byte 0xff inside a string (not UTF-8).",
          raw(b'{"alg":"HS256","x":"\xff"}', good_payload, "h"), hs, "malformed")
    g.add("payload-json-string", "Payload is a JSON string.",
          raw(good_header, b'"user-123"', "p"), hs, "malformed")
    g.add("payload-json-number", "Payload is a JSON number.", raw(good_header, b"1700003600", "p"), hs, "malformed")
    g.add("payload-json-array", "Payload is a JSON array of claims objects.",
          raw(good_header, b"[" + good_payload + b"]", "p"), hs, "malformed")
    g.add("payload-not-json", "Payload is plain text.", raw(good_header, b"hello world", "p"), hs, "malformed")
    g.add("payload-invalid-utf8", "Payload JSON contains bytes 0xc3 0x28 inside a string (invalid UTF-8).",
          raw(good_header, good_payload[:-1] + b',"name":"\xc3\x28"}', "p"), hs, "malformed")
    g.add("payload-nan-literal", "Payload uses the non-JSON literal NaN as a value.",
          raw(good_header, good_payload[:-1] + b',"score":NaN}', "p"), hs, "malformed")
    g.add("header-duplicate-alg",
          "Header with two alg members (HS256, then none): duplicate member names are refused, whatever "
          "a parser would keep.",
          raw(b'{"alg":"HS256","typ":"JWT","alg":"none"}', good_payload, "h"), hs, "malformed")
    g.add("header-duplicate-alg-same-value", "Header with alg twice, both HS256.",
          raw(b'{"alg":"HS256","alg":"HS256"}', good_payload, "h"), hs, "malformed")
    dup_payload = good_payload[:-1] + b',"sub":"admin"}'
    g.add("payload-duplicate-sub", "Payload with two sub members (user-123, then admin).",
          raw(good_header, dup_payload, "p"), hs, "malformed")
    g.add("payload-duplicate-escaped-name",
          "Payload with sub and \\u0073ub (the same name once unescaped).",
          raw(good_header, good_payload[:-1] + b',"\\u0073ub":"admin"}', "p"), hs, "malformed")
    g.add("payload-nested-duplicate",
          "Duplicate member names inside a nested object of the payload.",
          raw(good_header, good_payload[:-1] + b',"cnf":{"jkt":"a","jkt":"b"}}', "p"), hs, "malformed")
    dup_exp = good_payload[:-1] + f',"exp":{NOW + 999999}'.encode() + b"}"
    g.add("payload-duplicate-exp", "Payload with two exp members.", raw(good_header, dup_exp, "p"), hs, "malformed")

    def nested(depth_total: int):
        v = "bottom"
        for _ in range(depth_total - 1):  # the top-level object counts as depth 1
            v = [v]
        return v

    n = "payload-nested-depth-40"
    g.add(n, "Payload with an array nested so that the JSON depth is 40 (the top object counts as 1); "
             "limit is 32.",
          jws({"alg": "HS256", "typ": "JWT"}, claims(n, deep=nested(40)), K.hmac[32]), hs, "malformed")
    n = "header-nested-depth-40"
    g.add(n, "Header with a member nested to JSON depth 40.",
          jws({"alg": "HS256", "x": nested(40)}, claims(n), K.hmac[32]), hs, "malformed")
    n = "payload-nested-depth-32"
    g.add(n, "Payload nested to JSON depth exactly 32 (top object = 1): at the limit, accepted.",
          jws({"alg": "HS256", "typ": "JWT"}, claims(n, deep=nested(32)), K.hmac[32]), hs)
    n = "payload-nested-depth-33"
    g.add(n, "Payload nested to JSON depth 33: one over the limit.",
          jws({"alg": "HS256", "typ": "JWT"}, claims(n, deep=nested(33)), K.hmac[32]), hs, "malformed")
    n = "payload-nested-depth-20"
    g.add(n, "Payload nested to depth 20: within the limit, accepted.",
          jws({"alg": "HS256", "typ": "JWT"}, claims(n, deep=nested(20)), K.hmac[32]), hs)
    return g


# --------------------------------------------------------------------------------------------
# header.json
# --------------------------------------------------------------------------------------------

def group_header() -> Group:
    g = Group("header.json",
              "Header policy: alg and kid types, unsupported algorithms, allow-list, enc, crit, b64, "
              "unknown kid, and which check wins when several apply.")
    hs = cfg([secret_src(32)], ["HS256"])
    hs_kid = cfg([secret_src(32, kid="hs-1")], ["HS256"])

    def t(header: dict, name: str, key=None, alg="HS256", **over) -> str:
        return jws(header, claims(name, **over), key if key is not None else K.hmac[32], alg)

    g.add("alg-missing", "Header without alg.", t({"typ": "JWT"}, "alg-missing"), hs, "malformed")
    g.add("alg-null", "alg is null.", t({"alg": None}, "alg-null"), hs, "malformed")
    g.add("alg-number", "alg is a number.", t({"alg": 256}, "alg-number"), hs, "malformed")
    g.add("alg-array", "alg is an array of strings.", t({"alg": ["HS256"]}, "alg-array"), hs, "malformed")
    g.add("kid-number", "kid is a number.", t({"alg": "HS256", "kid": 1}, "kid-number"), hs_kid, "malformed")
    g.add("kid-null", "kid is present but null.", t({"alg": "HS256", "kid": None}, "kid-null"), hs, "malformed")
    g.add("alg-es512-unsupported", "ES512 is a registered JWS algorithm this verifier does not implement.",
          jws({"alg": "ES512"}, claims("alg-es512-unsupported"), K.hmac[32], "HS256"), hs, "unsupported")
    g.add("alg-es256k-unsupported", "ES256K (secp256k1) is not implemented.",
          t({"alg": "ES256K"}, "alg-es256k-unsupported"), hs, "unsupported")
    g.add("alg-lowercase-hs256", "alg 'hs256': algorithm names are case-sensitive, so it is not HS256.",
          t({"alg": "hs256"}, "alg-lowercase-hs256"), hs, "unsupported")
    g.add("alg-jwe-key-management", "alg RSA-OAEP (a JWE key-management algorithm) in a three-segment token.",
          t({"alg": "RSA-OAEP"}, "alg-jwe-key-management"), hs, "unsupported")
    g.add("alg-empty-string", "alg is the empty string.", t({"alg": ""}, "alg-empty-string"), hs, "unsupported")
    g.add("alg-not-in-allow-list", "Valid HS384 token; only HS256 is allowed (the 48-byte secret is configured).",
          t({"alg": "HS384"}, "alg-not-in-allow-list", K.hmac[48], "HS384"),
          cfg([secret_src(48)], ["HS256"]), "algorithm_not_allowed")
    g.add("enc-header-present", "A three-segment token whose header carries enc (a JWE parameter).",
          t({"alg": "HS256", "enc": "A128GCM"}, "enc-header-present"), hs, "unsupported")
    g.add("crit-unknown-extension", "crit lists an extension this verifier does not understand.",
          t({"alg": "HS256", "crit": ["exp"], "exp": NOW + 3600}, "crit-unknown-extension"), hs, "unsupported")
    g.add("crit-b64-with-b64-false", "RFC 7797 unencoded payload: b64 false, listed in crit.",
          t({"alg": "HS256", "b64": False, "crit": ["b64"]}, "crit-b64-with-b64-false"), hs, "unsupported")
    g.add("crit-b64-with-b64-true", "crit [\"b64\"] with b64 true: any crit is refused.",
          t({"alg": "HS256", "b64": True, "crit": ["b64"]}, "crit-b64-with-b64-true"), hs, "unsupported")
    g.add("crit-empty-array", "crit is an empty array (RFC 7515 forbids it).",
          t({"alg": "HS256", "crit": []}, "crit-empty-array"), hs, "malformed")
    g.add("crit-not-array", "crit is a string, not an array.",
          t({"alg": "HS256", "crit": "b64", "b64": True}, "crit-not-array"), hs, "malformed")
    g.add("crit-array-with-number", "crit contains a number.",
          t({"alg": "HS256", "crit": [1]}, "crit-array-with-number"), hs, "malformed")
    g.add("b64-false-without-crit", "b64 false without crit.",
          t({"alg": "HS256", "b64": False}, "b64-false-without-crit"), hs, "unsupported")
    g.add("b64-true-accepted", "b64 true (the default meaning) without crit is harmless.",
          t({"alg": "HS256", "b64": True}, "b64-true-accepted"), hs)
    g.add("unknown-header-parameter-ignored", "An unknown, non-critical header parameter is ignored.",
          t({"alg": "HS256", "typ": "JWT", "x-tenant": "acme", "cty": "JWT-ish"}, "unknown-header-parameter-ignored"),
          hs)
    g.add("unknown-kid", "The token's kid names no configured key.",
          t({"alg": "HS256", "kid": "hs-2"}, "unknown-kid"), hs_kid, "unknown_key")
    g.add("kid-empty-string", "kid is the empty string; no key has that kid.",
          t({"alg": "HS256", "kid": ""}, "kid-empty-string"), hs_kid, "unknown_key")

    # Precedence inside the header policy step.
    g.add("precedence-none-beats-crit", "alg none and an unknown crit: the alg check comes first.",
          jws({"alg": "none", "crit": ["x"], "x": 1}, claims("precedence-none-beats-crit"), sig=b""), hs,
          "algorithm_not_allowed")
    g.add("precedence-allow-list-beats-enc", "HS384 (not allowed) with enc: the allow-list check comes first.",
          t({"alg": "HS384", "enc": "A128GCM"}, "precedence-allow-list-beats-enc", K.hmac[48], "HS384"), hs,
          "algorithm_not_allowed")
    g.add("precedence-unsupported-beats-unknown-kid", "Unsupported alg ES512 with an unknown kid.",
          t({"alg": "ES512", "kid": "nope"}, "precedence-unsupported-beats-unknown-kid"), hs_kid, "unsupported")
    g.add("precedence-enc-beats-unknown-kid", "enc present and an unknown kid: enc is refused first.",
          t({"alg": "HS256", "enc": "A128GCM", "kid": "nope"}, "precedence-enc-beats-unknown-kid"), hs_kid,
          "unsupported")
    g.add("precedence-crit-beats-unknown-kid", "Unknown crit and an unknown kid: crit is refused first.",
          t({"alg": "HS256", "crit": ["x"], "x": 1, "kid": "nope"}, "precedence-crit-beats-unknown-kid"),
          hs_kid, "unsupported")
    g.add("precedence-unknown-kid-beats-bad-signature", "Unknown kid and a garbage signature.",
          with_sig(t({"alg": "HS256", "kid": "nope"}, "precedence-unknown-kid-beats-bad-signature"), b"\x00" * 32),
          hs_kid, "unknown_key")
    g.add("precedence-malformed-payload-beats-alg-none",
          "alg none with a payload that is not JSON: structure is checked before header policy.",
          jws({"alg": "none"}, b"not json", sig=b""), hs, "malformed")
    return g


# --------------------------------------------------------------------------------------------
# time.json
# --------------------------------------------------------------------------------------------

def group_time() -> Group:
    g = Group("time.json",
              "exp / nbf / iat with leeway: boundaries for the default leeway (30 s), 0 and the maximum "
              "(300 s); numeric types.")
    hs = lambda **kw: cfg([secret_src(32)], ["HS256"], **kw)  # noqa: E731

    def add(name, desc, kind=None, also=(), config=None, **over):
        g.add(name, desc, token_for("HS256", name, **over), config or hs(), kind, also)

    add("exp-last-valid-second", f"Default leeway 30: exp = now - 29, so now == exp + leeway - 1.", exp=NOW - 29)
    add("exp-boundary-expired", "Default leeway 30: exp = now - 30, so now == exp + leeway.", "expired", exp=NOW - 30)
    add("exp-one-day-ago", "exp a day before now.", "expired", exp=NOW - 86400, iat=NOW - 90000)
    add("nbf-boundary-accepted", "Default leeway 30: nbf = now + 30 (now + leeway == nbf).", nbf=NOW + 30)
    add("nbf-boundary-rejected", "Default leeway 30: nbf = now + 31.", "not_yet_valid", nbf=NOW + 31)
    add("nbf-in-past", "nbf well in the past.", nbf=NOW - 3600)
    add("iat-boundary-accepted", "Default leeway 30: iat = now + 30.", iat=NOW + 30)
    add("iat-boundary-rejected", "Default leeway 30: iat = now + 31.", "issued_in_future", iat=NOW + 31)

    add("leeway-0-exp-equals-now", "leeway_seconds 0: exp == now is expired (reject on or after exp).",
        "expired", config=hs(leeway_seconds=0), exp=NOW)
    add("leeway-0-exp-now-plus-1", "leeway_seconds 0: exp == now + 1.", config=hs(leeway_seconds=0), exp=NOW + 1)
    add("leeway-0-nbf-equals-now", "leeway_seconds 0: nbf == now.", config=hs(leeway_seconds=0), nbf=NOW)
    add("leeway-0-nbf-now-plus-1", "leeway_seconds 0: nbf == now + 1.", "not_yet_valid",
        config=hs(leeway_seconds=0), nbf=NOW + 1)
    add("leeway-0-iat-equals-now", "leeway_seconds 0: iat == now.", config=hs(leeway_seconds=0), iat=NOW)
    add("leeway-0-iat-now-plus-1", "leeway_seconds 0: iat == now + 1.", "issued_in_future",
        config=hs(leeway_seconds=0), iat=NOW + 1)
    add("leeway-300-exp-last-valid-second", "leeway_seconds 300 (the maximum): exp = now - 299.",
        config=hs(leeway_seconds=300), exp=NOW - 299, iat=NOW - 4000)
    add("leeway-300-exp-boundary-expired", "leeway_seconds 300: exp = now - 300.", "expired",
        config=hs(leeway_seconds=300), exp=NOW - 300, iat=NOW - 4000)
    add("leeway-300-nbf-boundary", "leeway_seconds 300: nbf = now + 300 accepted.",
        config=hs(leeway_seconds=300), nbf=NOW + 300)
    add("leeway-10-iat-boundary-rejected", "leeway_seconds 10: iat = now + 11.", "issued_in_future",
        config=hs(leeway_seconds=10), iat=NOW + 11)

    add("exp-float", "exp is a JSON number with a fraction (now + 3600.5).", exp=NOW + 3600.5)
    add("exp-float-expired", "exp is a fractional number well in the past.", "expired", exp=NOW - 100.25)
    add("nbf-iat-float", "nbf and iat are fractional numbers in the past.", nbf=NOW - 10.5, iat=NOW - 10.5)
    n = "exp-exponent-notation"
    payload = cjson(claims(n, exp=None))[:-1] + f',"exp":{(NOW + 3600) / 1e9}e9'.encode() + b"}"
    g.add(n, "exp written in exponent notation (1.7000036e9 == now + 3600).",
          jws({"alg": "HS256", "typ": "JWT"}, payload, K.hmac[32]), hs())
    add("exp-far-future", "exp in the year 3000.", exp=32503680000)
    add("exp-string", "exp is a string holding a number.", "invalid_claim", exp=str(NOW + 3600))
    add("exp-boolean", "exp is true.", "invalid_claim", exp=True)
    add("exp-object", "exp is an object.", "invalid_claim", exp={"seconds": NOW + 3600})
    add("nbf-string", "nbf is a string.", "invalid_claim", nbf=str(NOW - 10))
    add("iat-string", "iat is a date string.", "invalid_claim", iat="2023-11-14T22:12:20Z")
    add("exp-missing-default-required", "No exp: the default required_claims is [\"exp\"].", "missing_claim",
        exp=None)
    add("exp-missing-required-claims-empty", "No exp, and required_claims is [] in the config.",
        config=hs(required_claims=[]), exp=None)
    add("no-time-claims-required-claims-empty", "No exp, nbf or iat; required_claims []: nothing to check.",
        config=hs(required_claims=[]), exp=None, iat=None)
    add("expired-and-issued-in-future", "exp in the past and iat in the future: both reported, exp first.",
        "expired", ["issued_in_future"], exp=NOW - 100, iat=NOW + 100)
    add("expired-and-not-yet-valid", "exp in the past and nbf in the future.", "expired", ["not_yet_valid"],
        exp=NOW - 100, nbf=NOW + 100)
    add("not-yet-valid-and-issued-in-future", "nbf and iat both in the future.", "not_yet_valid",
        ["issued_in_future"], nbf=NOW + 100, iat=NOW + 100)
    add("exp-string-and-nbf-future", "exp is a string and nbf is in the future.", "invalid_claim",
        ["not_yet_valid"], exp="soon", nbf=NOW + 100)
    return g


# --------------------------------------------------------------------------------------------
# claims.json
# --------------------------------------------------------------------------------------------

def group_claims() -> Group:
    g = Group("claims.json",
              "Issuer, audience, typ, required claims and claim types; every failed check after the "
              "signature is listed in `also`.")
    hs = lambda **kw: cfg([secret_src(32)], ["HS256"], **kw)  # noqa: E731

    def add(name, desc, config, kind=None, also=(), header_extra=None, **over):
        g.add(name, desc, token_for("HS256", name, header_extra, **over), config, kind, also)

    add("issuer-match", "iss equals the configured issuer.", hs(issuer=ISS))
    add("issuer-mismatch", "iss differs from the configured issuer.", hs(issuer=ISS), "issuer_mismatch",
        iss="https://evil.example")
    add("issuer-missing", "issuer configured, token has no iss.", hs(issuer=ISS), "missing_claim", iss=None)
    add("issuer-not-string", "iss is an array containing the right issuer.", hs(issuer=ISS), "invalid_claim",
        iss=[ISS])
    add("issuer-case-sensitive", "iss differs only in letter case: issuers are compared exactly.",
        hs(issuer=ISS), "issuer_mismatch", iss="https://Issuer.example")
    add("issuer-trailing-slash", "iss has a trailing slash the configured issuer lacks.", hs(issuer=ISS),
        "issuer_mismatch", iss=ISS + "/")
    add("issuer-list-second-matches", "Two issuers configured; iss equals the second.",
        hs(issuer=["https://other.example", ISS]))
    add("issuer-list-none-matches", "Two issuers configured; iss equals neither.",
        hs(issuer=["https://a.example", "https://b.example"]), "issuer_mismatch")
    add("issuer-not-configured", "No issuer configured: any iss is accepted, even a number.", hs(), iss=42)

    add("audience-string-match", "aud is a string equal to the configured audience.", hs(audience=AUD))
    add("audience-string-mismatch", "aud is a different string.", hs(audience=AUD), "audience_mismatch",
        aud="billing-api")
    add("audience-array-one-matches", "aud is an array; one element matches.", hs(audience=AUD),
        aud=["billing-api", AUD])
    add("audience-array-no-match", "aud is an array; no element matches.", hs(audience=AUD),
        "audience_mismatch", aud=["billing-api", "admin-api"])
    add("audience-empty-array", "aud is an empty array.", hs(audience=AUD), "audience_mismatch", aud=[])
    add("audience-missing", "audience configured, token has no aud.", hs(audience=AUD), "missing_claim",
        aud=None)
    add("audience-number", "aud is a number.", hs(audience=AUD), "invalid_claim", aud=7)
    add("audience-array-with-non-string", "aud array holds the right audience and a number.",
        hs(audience=AUD), "invalid_claim", aud=[AUD, 7])
    add("audience-config-list-matches", "Two audiences configured; aud equals the second.",
        hs(audience=["billing-api", AUD]))
    add("audience-config-list-array-overlap", "Two audiences configured; aud array overlaps in one value.",
        hs(audience=["billing-api", AUD]), aud=["x-api", "billing-api"])
    add("audience-not-configured-aud-ignored", "No audience configured: aud is not checked, even a number.",
        hs(), aud=42)

    add("typ-exact", "typ at+jwt configured; header typ at+jwt.", hs(typ="at+jwt"),
        header_extra={"typ": "at+jwt"})
    add("typ-application-prefix", "Header typ application/at+jwt matches at+jwt.", hs(typ="at+jwt"),
        header_extra={"typ": "application/at+jwt"})
    add("typ-case-insensitive", "Header typ AT+JWT matches at+jwt.", hs(typ="at+jwt"),
        header_extra={"typ": "AT+JWT"})
    add("typ-mismatch", "Header typ JWT where at+jwt is required.", hs(typ="at+jwt"), "invalid_claim",
        header_extra={"typ": "JWT"})
    n = "typ-missing"
    g.add(n, "typ required but the header has none.",
          jws({"alg": "HS256"}, claims(n), K.hmac[32]), hs(typ="at+jwt"), "missing_claim")
    add("typ-not-configured", "No typ configured: the header typ is not checked.", hs(),
        header_extra={"typ": "something+else"})

    add("required-claims-present", "required_claims [exp, sub, jti] all present.",
        hs(required_claims=["exp", "sub", "jti"]))
    add("required-claims-missing-jti", "required_claims includes jti; the token has none.",
        hs(required_claims=["exp", "sub", "jti"]), "missing_claim", jti=None)
    add("required-claims-custom-claim", "required_claims includes a private claim tenant, present.",
        hs(required_claims=["exp", "tenant"]), tenant="acme")
    add("required-claims-without-exp", "required_claims [sub] replaces the default: no exp needed.",
        hs(required_claims=["sub"]), exp=None)
    add("sub-not-string", "sub is a number.", hs(), "invalid_claim", sub=123)
    add("jti-not-string", "jti is an object.", hs(), "invalid_claim", jti={"id": 1})
    add("sub-empty-string", "sub is an empty string (still a string).", hs())

    add("expired-and-audience-mismatch", "Expired and for another audience: both reported, time first.",
        hs(audience=AUD), "expired", ["audience_mismatch"], exp=NOW - 3600, aud="billing-api")
    add("not-yet-valid-issuer-mismatch-sub-invalid",
        "nbf in the future, wrong issuer and a numeric sub: reported in pipeline order.",
        hs(issuer=ISS), "not_yet_valid", ["issuer_mismatch", "invalid_claim"],
        nbf=NOW + 600, iss="https://evil.example", sub=5)
    add("audience-mismatch-and-missing-exp",
        "Wrong audience and no exp: audience is checked before required claims.",
        hs(audience=AUD), "audience_mismatch", ["missing_claim"], aud="billing-api", exp=None)
    add("issuer-mismatch-and-typ-mismatch", "Wrong issuer and wrong typ.", hs(issuer=ISS, typ="at+jwt"),
        "issuer_mismatch", ["invalid_claim"], header_extra={"typ": "JWT"}, iss="https://evil.example")
    add("exp-string-and-issuer-missing", "exp is a string and iss is missing.", hs(issuer=ISS), "invalid_claim",
        ["missing_claim"], exp="tomorrow", iss=None)
    add("everything-wrong-after-signature",
        "Valid signature, but expired, issued in the future, wrong issuer, wrong audience, typ missing "
        "and a numeric jti.",
        hs(issuer=ISS, audience=AUD, typ="at+jwt"), "expired",
        ["issued_in_future", "issuer_mismatch", "audience_mismatch", "missing_claim", "invalid_claim"],
        header_extra={"typ": None}, exp=NOW - 10000, iat=NOW + 10000, iss="https://evil.example",
        aud="billing-api", jti=99)
    n = "bad-signature-hides-claim-failures"
    g.add(n, "Bad signature on a token that is also expired and for another audience: only bad_signature "
             "(nothing after a failed signature is evaluated).",
          flip_sig(token_for("HS256", n, exp=NOW - 3600, aud="billing-api")), hs(audience=AUD),
          "bad_signature")
    return g


# --------------------------------------------------------------------------------------------
# attacks.json
# --------------------------------------------------------------------------------------------

def _attacker_cert_b64() -> str:
    key = K.priv["rsa-2"]
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker.example")])
    t0 = datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(4242).not_valid_before(t0).not_valid_after(t0 + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def group_attacks() -> Group:
    g = Group("attacks.json",
              "Known JWT attacks: alg none, HS/RS key confusion, keys embedded in the token "
              "(jwk/jku/x5u/x5c), ECDSA signature encodings and psychic signatures, kid injection.")
    hs = cfg([secret_src(32)], ["HS256"])
    ref_sig = split3(token_for("HS256", "alg-none-reference"))[2]
    for spelling in ("none", "None", "NONE", "nOnE"):
        n = "alg-none-" + {"none": "lower", "None": "title", "NONE": "upper", "nOnE": "mixed"}[spelling]
        g.add(f"{n}-empty-signature",
              f"Unsecured JWT: alg \"{spelling}\" and an empty signature; HS256 is the only allowed algorithm.",
              jws({"alg": spelling, "typ": "JWT"}, claims(f"{n}-empty-signature"), sig=b""), hs,
              "algorithm_not_allowed")
        g.add(f"{n}-with-signature",
              f"alg \"{spelling}\" with a non-empty signature segment (an HS256 MAC from another token).",
              jws({"alg": spelling, "typ": "JWT"}, claims(f"{n}-with-signature"), sig=ref_sig), hs,
              "algorithm_not_allowed")
    g.add("alg-none-no-signature-segment", "alg none with the signature segment and its dot missing.",
          jws({"alg": "none"}, claims("alg-none-no-signature-segment"), sig=b"")[:-1], hs, "malformed")

    rsa_pem = K.spki_pem("rsa-1")
    n = "hs256-key-confusion-rsa-pem"
    g.add(n, "HS256 token MACed with the bytes of the configured RSA public key PEM as the secret; the "
             "config allows only RS256.",
          jws({"alg": "HS256", "typ": "JWT"}, claims(n), rsa_pem), cfg([{"pem": rsa_pem}], ["RS256"]),
          "algorithm_not_allowed")
    pkcs1 = K.pkcs1_pem("rsa-1")
    n = "hs256-key-confusion-rsa-pkcs1-pem"
    g.add(n, "Same attack with the PKCS#1 PEM text as the HMAC secret.",
          jws({"alg": "HS256", "typ": "JWT"}, claims(n), pkcs1), cfg([{"pem": pkcs1}], ["RS256"]),
          "algorithm_not_allowed")
    n = "hs256-key-confusion-hs256-allowed-no-kid"
    g.add(n, "Key confusion where the allow-list also has HS256 but only the RSA key is configured: no "
             "HMAC key exists, the RSA key is never used as a secret.",
          jws({"alg": "HS256", "typ": "JWT"}, claims(n), rsa_pem), cfg([{"pem": rsa_pem}], ["RS256", "HS256"]),
          "unknown_key")
    n = "hs256-key-confusion-kid-of-rsa-key"
    g.add(n, "Key confusion with HS256 allowed and a kid naming the RSA key: key type does not fit.",
          jws({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}, claims(n), rsa_pem),
          cfg([{"pem": rsa_pem, "kid": "rsa-1"}, secret_src(32, kid="hs")], ["RS256", "HS256"]),
          "algorithm_not_allowed")
    n = "hs256-key-confusion-rsa-jwk"
    jwk = K.jwk("rsa-1", kid="rsa-1")
    g.add(n, "HS256 MACed with the RSA public JWK's JSON text, kid naming that JWK; HS256 allowed.",
          jws({"alg": "HS256", "kid": "rsa-1"}, claims(n), json.dumps(jwk)),
          cfg([jwks_src(jwk)], ["RS256", "HS256"]), "algorithm_not_allowed")

    rs = cfg([pem_src("rsa-1")], ["RS256"])
    att = K.jwk("rsa-2")
    n = "embedded-jwk-attacker-key"
    g.add(n, "Token signed by an attacker key that is embedded in the header as jwk: header keys are never "
             "trusted, the configured key does not verify it.",
          jws({"alg": "RS256", "typ": "JWT", "jwk": att}, claims(n), K.priv["rsa-2"]), rs, "bad_signature")
    n = "embedded-jwk-attacker-key-with-kid"
    g.add(n, "Attacker key embedded as jwk with a kid equal to the configured key's kid.",
          jws({"alg": "RS256", "kid": "rsa-1", "jwk": {**att, "kid": "rsa-1"}}, claims(n), K.priv["rsa-2"]),
          cfg([pem_src("rsa-1", kid="rsa-1")], ["RS256"]), "bad_signature")
    n = "embedded-jwk-legit-key-ignored"
    g.add(n, "Header carries the right key as jwk and the token is correctly signed: the header key is "
             "ignored and the configured key verifies it.",
          jws({"alg": "RS256", "jwk": K.jwk("rsa-1")}, claims(n), K.priv["rsa-1"]), rs)
    n = "jku-header-attacker"
    g.add(n, "Header jku points to an attacker JWKS; signed by the attacker key.",
          jws({"alg": "RS256", "jku": "https://attacker.example/jwks.json", "kid": "rsa-1"}, claims(n),
              K.priv["rsa-2"]), cfg([pem_src("rsa-1", kid="rsa-1")], ["RS256"]), "bad_signature")
    n = "x5u-header-attacker"
    g.add(n, "Header x5u points to an attacker certificate; signed by the attacker key.",
          jws({"alg": "RS256", "x5u": "https://attacker.example/cert.pem"}, claims(n), K.priv["rsa-2"]), rs,
          "bad_signature")
    n = "x5c-header-attacker"
    g.add(n, "Header x5c carries a self-signed certificate of the attacker key; signed by that key.",
          jws({"alg": "RS256", "x5c": [_attacker_cert_b64()]}, claims(n), K.priv["rsa-2"]), rs, "bad_signature")
    n = "embedded-jwk-no-configured-key-fits"
    g.add(n, "ES256 token with its own key in jwk; only an RSA key is configured: the embedded key is not "
             "a candidate.",
          jws({"alg": "ES256", "jwk": K.jwk("ec-p256")}, claims(n), K.priv["ec-p256"]),
          cfg([pem_src("rsa-1")], ["RS256", "ES256"]), "unknown_key")

    es = cfg([pem_src("ec-p256")], ["ES256"])
    es384 = cfg([pem_src("ec-p384")], ["ES384"])
    n = "es256-der-signature"
    tok = token_for("ES256", n)
    raw = split3(tok)[2]
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    g.add(n, "ES256 signature in ASN.1 DER form (as OpenSSL emits it) instead of the 64-byte R||S.",
          with_sig(tok, der), es, "bad_signature")
    n = "es256-truncated-signature"
    tok = token_for("ES256", n)
    g.add(n, "ES256 signature truncated to 63 bytes.", with_sig(tok, split3(tok)[2][:63]), es, "bad_signature")
    n = "es256-signature-too-long"
    tok = token_for("ES256", n)
    g.add(n, "ES256 signature with a zero byte appended (65 bytes).", with_sig(tok, split3(tok)[2] + b"\x00"), es,
          "bad_signature")
    n = "es256-psychic-signature-zero"
    g.add(n, "CVE-2022-21449 'psychic signature': r = s = 0 (64 zero bytes).",
          with_sig(token_for("ES256", n), b"\x00" * 64), es, "bad_signature")
    n = "es384-psychic-signature-zero"
    g.add(n, "Psychic signature for ES384: 96 zero bytes.", with_sig(token_for("ES384", n), b"\x00" * 96), es384,
          "bad_signature")
    n = "es256-signature-r-equals-n"
    nb = P256_N.to_bytes(32, "big")
    g.add(n, "ES256 signature with r = s = n (the group order), out of range.",
          with_sig(token_for("ES256", n), nb + nb), es, "bad_signature")
    n = "es256-malleated-signature"
    tok = token_for("ES256", n)
    raw = split3(tok)[2]
    s = int.from_bytes(raw[32:], "big")
    g.add(n, "ES256 signature (r, s) replaced by (r, n - s): still a valid ECDSA signature, accepted "
             "(which is why revocation is keyed on (iss, jti), never on a token hash).",
          with_sig(tok, raw[:32] + (P256_N - s).to_bytes(32, "big")), es)
    n = "rs256-signature-stripped"
    g.add(n, "RS256 token with the signature segment emptied.", with_sig(token_for("RS256", n), b""), rs,
          "bad_signature")
    n = "rs256-signature-all-zero"
    g.add(n, "RS256 signature of 256 zero bytes.", with_sig(token_for("RS256", n), b"\x00" * 256), rs,
          "bad_signature")
    n = "payload-swapped"
    t1 = token_for("HS256", n)
    t2 = token_for("HS256", n, sub="admin", roles=["admin"])
    g.add(n, "Header and signature of a valid token with the payload of another (privilege escalation).",
          f"{t1.split('.')[0]}.{t2.split('.')[1]}.{t1.split('.')[2]}", hs, "bad_signature")
    n = "forged-and-expired"
    g.add(n, "A forged (bad signature) token that is also expired: reported as bad_signature, never as "
             "merely expired.",
          flip_sig(token_for("HS256", n, exp=NOW - 86400, iat=NOW - 90000)), hs, "bad_signature")
    n = "kid-path-traversal"
    g.add(n, "kid is a path traversal string.",
          token_for("HS256", n, {"kid": "../../../../dev/null"}), cfg([secret_src(32, kid="hs-1")], ["HS256"]),
          "unknown_key")
    n = "kid-sql-injection"
    g.add(n, "kid is an SQL injection string.",
          token_for("HS256", n, {"kid": "x' UNION SELECT 'secret' --"}), cfg([secret_src(32, kid="hs-1")], ["HS256"]),
          "unknown_key")
    n = "kid-with-control-characters"
    g.add(n, "kid contains a newline and an ANSI escape (log injection attempt).",
          token_for("HS256", n, {"kid": "hs-1\n\u001b[31mFAKE LOG LINE"}), cfg([secret_src(32, kid="hs-1")], ["HS256"]),
          "unknown_key")
    return g


# --------------------------------------------------------------------------------------------
# redaction.json
# --------------------------------------------------------------------------------------------

def group_redaction() -> Group:
    g = Group("redaction.json",
              "Accepted and rejected tokens carrying personal claims, with redaction policies, fingerprint "
              "keys, verifier names and request context: the outcome is fixed here, the blessed "
              "`expected.record` pins what the audit record shows.")
    personal = dict(email="alice@example.com", name="Alice Example", phone_number="+1 202 555 0143",
                    scope="orders:read orders:write", roles=["buyer"])

    def hs(**kw):
        return cfg([secret_src(32)], ["HS256"], **kw)

    def add(case, desc, config, kind=None, /, *, context=CTX, tok=None, **over):
        if tok is None:
            tok = token_for("HS256", case, **{**personal, **over})
        g.add(case, desc, tok, config, kind, (), context)

    add("default-policy-personal-claims", "No redaction config: registered and authorization claims kept, "
        "email/name/phone_number dropped and listed.", hs())
    add("redaction-keep-email", "redaction keep [email].", hs(redaction={"keep": ["email"]}))
    add("redaction-hash-email", "redaction hash [email] with a fingerprint_key.",
        hs(redaction={"hash": ["email"]}, fingerprint_key=FINGERPRINT_KEY))
    add("redaction-mask-name", "redaction mask [name].", hs(redaction={"mask": ["name"]}))
    add("redaction-drop-sub", "redaction drop [sub] (a registered claim kept by default).",
        hs(redaction={"drop": ["sub"]}))
    add("redaction-all-overrides", "keep, hash, mask and drop together, a fingerprint_key and a verifier name.",
        hs(redaction={"keep": ["phone_number"], "hash": ["email", "sub"], "mask": ["name"], "drop": ["roles"]},
           fingerprint_key=FINGERPRINT_KEY, name="orders-api"))
    add("fingerprint-key-only", "fingerprint_key set, default redaction policy.",
        hs(fingerprint_key=FINGERPRINT_KEY))
    add("verifier-name", "Custom verifier name.", hs(name="orders-api"))
    add("no-context", "No request context at all.", hs(), context=None)
    add("partial-context", "Context with only correlation_id and method.", hs(),
        context={"correlation_id": "req-only-id", "method": "POST"})
    add("context-with-control-characters", "Context values with a newline and an ANSI escape: records are "
        "structured, nothing can forge a log line.", hs(),
        context={**CTX, "user_agent": "evil\nINFO forged line \u001b[31mred", "path": "/orders\r\nX: y"})
    add("claims-with-control-characters", "sub and name with newline/ANSI escape characters.",
        hs(redaction={"keep": ["name"]}), sub="user-1\nadmin", name="\u001b[2J\u001b[31mAlice")
    add("long-string-claim", "sub of 4000 characters (length cap in records).", hs(), sub="u" * 4000)
    add("large-array-claim", "roles with 500 entries (count cap in records).", hs(),
        roles=[f"r{i}" for i in range(500)])
    add("unicode-claims", "Non-ASCII names and email.", hs(redaction={"keep": ["name"]}),
        name="Zoë Ölçer 山田", email="zoë@例え.jp")
    add("rejected-bad-signature-personal-claims",
        "Bad signature on a token with personal claims and context: recorded as untrusted, same redaction.",
        hs(redaction={"hash": ["email"]}, fingerprint_key=FINGERPRINT_KEY), "bad_signature",
        tok=flip_sig(token_for("HS256", "rejected-bad-signature-personal-claims", **personal)))
    add("rejected-expired-personal-claims", "Expired token with personal claims and context.",
        hs(), "expired", exp=NOW - 600)
    add("rejected-malformed-with-context", "Malformed token with a full context.", hs(), "malformed",
        tok="not-a-jwt")
    add("rejected-missing-token-with-context", "Missing token with a full context.", hs(), "missing_token",
        tok="")
    return g


# --------------------------------------------------------------------------------------------
# rfc.json
# --------------------------------------------------------------------------------------------

# RFC 7515 Appendix A.1: HS256, the symmetric JWK of A.1.1.
RFC7515_A1_TOKEN = (
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)
RFC7515_A1_JWK = {"kty": "oct",
                  "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}
# RFC 7515 Appendix A.2: RS256, public part (n, e) of the RSA key of A.2.1.
RFC7515_A2_TOKEN = (
    "eyJhbGciOiJSUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7"
    "AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4"
    "BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
    "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"
    "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB"
    "p0igcN_IoypGlUPQGe77Rw"
)
RFC7515_A2_JWK = {
    "kty": "RSA",
    "n": "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-"
         "SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-"
         "UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2eth"
         "FkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
    "e": "AQAB",
}
# RFC 7515 Appendix A.3: ES256, public part (x, y) of the P-256 key of A.3.1.
RFC7515_A3_TOKEN = (
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
)
RFC7515_A3_JWK = {"kty": "EC", "crv": "P-256",
                  "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                  "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
# RFC 8037 Appendix A.2 public key and A.4 JWS (payload "Example of Ed25519 signing").
RFC8037_A4_TOKEN = (
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
    ".hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)
RFC8037_A2_JWK = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
RFC_PAYLOAD = b'{"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}'
RFC_EXP = 1300819380


def check_rfc_texts() -> None:
    """The RFC tokens must decode to the documented header/payload and verify with the
    documented public keys; fail loudly otherwise (a mistyped character would show here)."""
    expect = [
        (RFC7515_A1_TOKEN, b'{"typ":"JWT",\r\n "alg":"HS256"}', RFC_PAYLOAD, RFC7515_A1_JWK, "HS256"),
        (RFC7515_A2_TOKEN, b'{"alg":"RS256"}', RFC_PAYLOAD, RFC7515_A2_JWK, "RS256"),
        (RFC7515_A3_TOKEN, b'{"alg":"ES256"}', RFC_PAYLOAD, RFC7515_A3_JWK, "ES256"),
        (RFC8037_A4_TOKEN, b'{"alg":"EdDSA"}', b"Example of Ed25519 signing", RFC8037_A2_JWK, "EdDSA"),
    ]
    for token, header, payload, jwk, alg in expect:
        h, p, s = token.split(".")
        for seg in (h, p, s):
            if b64u_decode_strict(seg.encode()) is None:
                fail(f"RFC {alg} token: segment is not strict base64url")
        if b64u_decode(h) != header or b64u_decode(p) != payload:
            fail(f"RFC {alg} token: header/payload differ from the RFC text")
        if not ref_signature_ok(_jwk_to_ref(jwk), alg, f"{h}.{p}".encode(), b64u_decode(s)):
            fail(f"RFC {alg} example signature does not verify: check the transcription")
    # A.1's key is the 64 octets printed in RFC 7515 A.1.1.
    if b64u_decode(RFC7515_A1_JWK["k"])[:4] != bytes([3, 35, 53, 75]) or len(b64u_decode(RFC7515_A1_JWK["k"])) != 64:
        fail("RFC 7515 A.1 key transcription")
    if K.pub("rsa-1").public_numbers().n.bit_length() != 2048:
        fail("rsa-1 must be 2048 bits")
    n = int.from_bytes(b64u_decode(RFC7515_A2_JWK["n"]), "big")
    if n.bit_length() != 2048:
        fail("RFC 7515 A.2 modulus must be 2048 bits")


def group_rfc() -> Group:
    g = Group("rfc.json",
              "Examples printed in RFC 7515 Appendix A.1-A.3 and RFC 8037 Appendix A.4, verbatim "
              "(their payload has iss \"joe\" and exp 1300819380).")
    before = RFC_EXP - 380
    after = RFC_EXP + 3600
    for label, tok, jwk, alg in (("a1-hs256", RFC7515_A1_TOKEN, RFC7515_A1_JWK, "HS256"),
                                 ("a2-rs256", RFC7515_A2_TOKEN, RFC7515_A2_JWK, "RS256"),
                                 ("a3-es256", RFC7515_A3_TOKEN, RFC7515_A3_JWK, "ES256")):
        sec = label[:2].upper().replace("A", "A.")
        g.add(f"rfc7515-{label}", f"RFC 7515 Appendix {sec} {alg} example, verified with the RFC's JWK, "
                                  f"before its exp.",
              tok, cfg([{"jwk": jwk}], [alg], now=before))
        g.add(f"rfc7515-{label}-with-issuer", f"RFC 7515 Appendix {sec} example with issuer \"joe\" required.",
              tok, cfg([{"jwk": jwk}], [alg], issuer="joe", now=before))
        g.add(f"rfc7515-{label}-expired", f"RFC 7515 Appendix {sec} example an hour after its exp.",
              tok, cfg([{"jwk": jwk}], [alg], now=after), "expired")
    g.add("rfc7515-a1-hs256-wrong-issuer", "RFC 7515 A.1 example with another issuer required.",
          RFC7515_A1_TOKEN, cfg([{"jwk": RFC7515_A1_JWK}], ["HS256"], issuer="https://issuer.example", now=before),
          "issuer_mismatch")
    g.add("rfc7515-a1-hs256-typ-jwt-required", "RFC 7515 A.1 header has typ JWT; typ \"JWT\" required.",
          RFC7515_A1_TOKEN, cfg([{"jwk": RFC7515_A1_JWK}], ["HS256"], typ="JWT", now=before))
    g.add("rfc7515-a2-rs256-with-other-key", "RFC 7515 A.2 example checked against the project's rsa-1 key.",
          RFC7515_A2_TOKEN, cfg([pem_src("rsa-1")], ["RS256"], now=before), "bad_signature")
    g.add("rfc8037-a4-eddsa-non-json-payload",
          "RFC 8037 A.4 Ed25519 example: the signature is valid, but the payload is the text \"Example of "
          "Ed25519 signing\", not a JSON object, so it is not a JWT.",
          RFC8037_A4_TOKEN, cfg([{"jwk": RFC8037_A2_JWK}], ["EdDSA"]), "malformed")
    return g


# --------------------------------------------------------------------------------------------
# Checks, record preservation, output
# --------------------------------------------------------------------------------------------

NAME_RE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
CONFIG_KEYS = {"keys", "algorithms", "issuer", "audience", "leeway_seconds", "required_claims", "typ",
               "max_token_bytes", "now", "redaction", "fingerprint_key", "name"}
CONTEXT_KEYS = {"correlation_id", "client_ip", "method", "path", "user_agent"}


HS_LEN = {"HS256": 32, "HS384": 48, "HS512": 64}


def check_config_valid(name: str, c: dict) -> None:
    """Every config must be one a verifier accepts at construction, so that each case tests a
    verification and never a configuration error. Rules (a superset of DESIGN.md's):
    explicit allow-list of supported algorithms; leeway 0..300; max_token_bytes 64..1 MiB;
    fingerprint_key >= 16 bytes; name 1..128 chars; issuer/audience/typ non-empty; a claim in at
    most one redaction list; a JWKS source carries no kid of its own; a single `jwk` source has
    use "sig" or none; every key source can serve at least one allowed algorithm (a JWKS: at least
    one of its usable keys); an HMAC secret is at least as long as the hash of every allowed HS*
    algorithm (RFC 7518 3.2)."""
    algs = c["algorithms"]
    if not algs or set(algs) - set(SUPPORTED_ALGS):
        fail(f"{name}: algorithms must be a non-empty list of supported algorithms")
    if not c["keys"]:
        fail(f"{name}: keys must not be empty")
    if not 0 <= c.get("leeway_seconds", DEFAULT_LEEWAY) <= MAX_LEEWAY:
        fail(f"{name}: leeway out of bounds")
    if not 64 <= c.get("max_token_bytes", DEFAULT_MAX_TOKEN_BYTES) <= 1024 * 1024:
        fail(f"{name}: max_token_bytes out of bounds")
    if "fingerprint_key" in c and len(c["fingerprint_key"].encode()) < 16:
        fail(f"{name}: fingerprint_key too short")
    if not 1 <= len(c.get("name", "jwt-audit")) <= 128:
        fail(f"{name}: bad verifier name")
    for opt in ("issuer", "audience"):
        if opt in c:
            v = c[opt] if isinstance(c[opt], list) else [c[opt]]
            if not v or not all(isinstance(x, str) and x for x in v):
                fail(f"{name}: {opt} must be non-empty")
    if "typ" in c and not c["typ"].strip():
        fail(f"{name}: empty typ")
    red = c.get("redaction", {})
    if set(red) - {"keep", "hash", "mask", "drop"}:
        fail(f"{name}: unknown redaction list")
    listed = [claim for lst in red.values() for claim in lst]
    if len(listed) != len(set(listed)):
        fail(f"{name}: a claim is in more than one redaction list")
    hs_allowed = [a for a in algs if a.startswith("HS")]

    def serves(k: RefKey) -> bool:
        if k.family == "hmac":
            if len(k.key) < max((HS_LEN[a] for a in hs_allowed), default=0):
                fail(f"{name}: HMAC secret shorter than an allowed HS algorithm needs")
        usable = k.use in (None, "sig")
        return usable and any(FAMILY[a] == k.family and k.alg in (None, a) for a in algs)

    for src in c["keys"]:
        if len(src) - ("kid" in src) != 1:
            fail(f"{name}: a key source has exactly one of jwks/jwk/pem/secret")
        if "jwks" in src:
            if "kid" in src:
                fail(f"{name}: a JWKS source carries no kid")
            refs = load_ref_keys({"keys": [src]})
            if not any([serves(k) for k in refs]):
                fail(f"{name}: no key of a JWKS serves an allowed algorithm")
        else:
            (k,) = load_ref_keys({"keys": [src]})
            if "jwk" in src and k.use not in (None, "sig"):
                fail(f"{name}: a single jwk source must be usable for signatures")
            if not serves(k):
                fail(f"{name}: a key source serves no allowed algorithm")


def self_check(groups: list[Group]) -> None:
    seen = set()
    private_markers = [K.priv[n].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()).decode().splitlines()[1]
                       for n in ASYM_KEY_FILES]
    for g in groups:
        for case in g.cases:
            name = case["name"]
            if not NAME_RE.fullmatch(name):
                fail(f"{name}: not kebab-case")
            if name in seen:
                fail(f"{name}: duplicate case name")
            seen.add(name)
            c = case["config"]
            if set(c) - CONFIG_KEYS:
                fail(f"{name}: unknown config options {set(c) - CONFIG_KEYS}")
            if not isinstance(c.get("now"), int):
                fail(f"{name}: config.now must be set (integer unix seconds)")
            check_config_valid(name, c)
            if "context" in case and set(case["context"]) - CONTEXT_KEYS:
                fail(f"{name}: unknown context fields")
            blob = json.dumps(c)
            if "PRIVATE KEY" in blob or any(m in blob for m in private_markers):
                fail(f"{name}: private key material in config")
            for src in c["keys"]:
                for j in ([src["jwk"]] if "jwk" in src else src.get("jwks", {}).get("keys", [])):
                    if j.get("kty") != "oct" and "d" in j:
                        fail(f"{name}: private JWK in config")
            exp = case["expected"]
            if exp["kind"] is not None and exp["kind"] not in KINDS:
                fail(f"{name}: unknown kind {exp['kind']}")
            for k in exp["also"]:
                if k not in KINDS:
                    fail(f"{name}: unknown kind {k} in also")
            got = reference_verify(case_token_bytes(case), c)
            want = (exp["outcome"], exp["kind"], exp["also"])
            if got != want:
                fail(f"{name}: expected {want} but the reference pipeline computes {got}")


def _input_of(case: dict):
    return (case.get("token"), case.get("token_bytes_b64"), case.get("token_repeat"),
            case.get("config"), case.get("context"),
            {k: v for k, v in case.get("expected", {}).items() if k != "record"})


def render(group: Group, old: dict | None, notes: list[str]) -> bytes:
    old_cases = {c.get("name"): c for c in (old or {}).get("cases", []) if isinstance(c, dict)}
    cases = copy.deepcopy(group.cases)
    for case in cases:
        prev = old_cases.get(case["name"])
        if prev is None or "record" not in prev.get("expected", {}):
            continue
        if _input_of(prev) == _input_of(case):
            case["expected"]["record"] = prev["expected"]["record"]
        else:
            notes.append(f"{group.filename}: {case['name']}: input changed, blessed record dropped")
    doc = {"description": group.description, "cases": cases}
    return (json.dumps(doc, indent=2, ensure_ascii=True) + "\n").encode("ascii")


def build_groups() -> list[Group]:
    return [group_algorithms(), group_keys(), group_structure(), group_header(), group_time(),
            group_claims(), group_attacks(), group_redaction(), group_rfc()]


def main() -> int:
    global K
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 if any file would change")
    ap.add_argument("--init-keys", action="store_true", help="create missing key files first")
    args = ap.parse_args()
    if args.init_keys:
        init_keys()
    try:
        K = Keys()
        check_rfc_texts()
        groups = build_groups()
        self_check(groups)
    except VectorError as e:
        print(f"generate.py: {e}", file=sys.stderr)
        return 1

    outputs: dict[str, bytes] = K.write_public_files()
    notes: list[str] = []
    for g in groups:
        path = HERE / g.filename
        old = None
        if path.exists():
            try:
                old = json.loads(path.read_text())
            except json.JSONDecodeError:
                notes.append(f"{g.filename}: existing file is not JSON; no records preserved")
        outputs[g.filename] = render(g, old, notes)
    for note in notes:
        print(note, file=sys.stderr)

    changed = [rel for rel, data in outputs.items()
               if not (HERE / rel).exists() or (HERE / rel).read_bytes() != data]
    total = sum(len(g.cases) for g in groups)
    if args.check:
        for rel in changed:
            print(f"would change: tests/vectors/{rel}", file=sys.stderr)
        print(f"{total} cases in {len(groups)} files; {'up to date' if not changed else 'OUT OF DATE'}")
        return 1 if changed else 0
    for rel in changed:
        (HERE / rel).write_bytes(outputs[rel])
    print(f"{total} cases in {len(groups)} files; {len(changed)} file(s) written")
    for g in groups:
        print(f"  {g.filename}: {len(g.cases)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
