"""Instructions per HS256 record dict, counted by callgrind (deterministic, unlike timings on a
shared machine): run it twice under valgrind, reading `.record` and not, and divide the
difference of the two totals by the number of verifications.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/record_instructions.py record 5000
    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/record_instructions.py bare 5000
"""

from __future__ import annotations

import sys
import time

import jwt as pyjwt
from bench import AUDIENCE, ISSUER, KEYS, bench_claims

import jwt_audit


def main() -> None:
    mode, n = sys.argv[1], int(sys.argv[2])
    secret = (KEYS / "hmac-32.txt").read_text()
    claims = bench_claims(int(time.time()))
    token = pyjwt.encode(claims, secret, algorithm="HS256")
    verifier = jwt_audit.Verifier(keys=[{"secret": secret}], algorithms=["HS256"], issuer=ISSUER, audience=AUDIENCE)
    assert verifier.verify(token).ok
    if mode == "record":
        for _ in range(n):
            verifier.verify(token).record
    elif mode == "bare":
        for _ in range(n):
            verifier.verify(token)
    else:
        sys.exit("usage: record_instructions.py record|bare N")


if __name__ == "__main__":
    main()
