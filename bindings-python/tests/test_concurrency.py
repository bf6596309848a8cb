"""One verifier shared by many threads: no lost or duplicated records, consistent stats, and
the GIL released while verifying (a Python sink re-acquires it without deadlocking), except for
short HMAC verifications."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, List

import jwt_audit
from conftest import REPO, Records, claims, hs256, tamper

THREADS = 16
PER_THREAD = 250


def test_many_threads_lose_no_records(make_verifier: Callable[..., jwt_audit.Verifier], records: Records) -> None:
    lock = threading.Lock()
    by_thread: Dict[int, int] = {}

    def counting(record: Dict[str, Any]) -> None:
        with lock:
            ident = threading.get_ident()
            by_thread[ident] = by_thread.get(ident, 0) + 1

    verifier = make_verifier(sink=[records, counting])
    good, bad = hs256(claims()), tamper(hs256(claims()))
    barrier = threading.Barrier(THREADS)

    def work(i: int) -> List[str]:
        barrier.wait()
        ids = []
        for n in range(PER_THREAD):
            token = good if (i + n) % 3 else bad
            v = verifier.verify(token, {"correlation_id": f"t{i}-{n}"})
            assert v.ok == (token == good)
            assert v.record["request"]["correlation_id"] == f"t{i}-{n}"
            ids.append(v.record["id"])
        return ids

    with ThreadPoolExecutor(THREADS) as pool:
        ids = [i for chunk in pool.map(work, range(THREADS)) for i in chunk]

    total = THREADS * PER_THREAD
    assert len(ids) == len(set(ids)) == total
    assert sorted(r["id"] for r in records.records) == sorted(ids)
    assert sum(by_thread.values()) == total and len(by_thread) == THREADS
    stats = verifier.stats()
    assert stats["accepted"] + stats["rejected"] == total
    assert stats["rejected"] == stats["by_kind"]["bad_signature"] == sum(
        1 for i in range(THREADS) for n in range(PER_THREAD) if (i + n) % 3 == 0
    )
    assert stats["sink_errors"] == 0


def ticks_of_another_thread(verify: Callable[[], Any], calls: int) -> int:
    """How often another Python thread runs during `calls` calls of `verify`. With a huge switch
    interval the main thread never hands over the GIL by itself: the only way the other thread
    can tick is the binding releasing the GIL inside the call."""
    stop, started = threading.Event(), threading.Event()
    ticks = [0]

    def spinner() -> None:
        started.set()
        while not stop.is_set():
            ticks[0] += 1
            time.sleep(0)  # gives the GIL back at once

    old = sys.getswitchinterval()
    sys.setswitchinterval(60)
    try:
        t = threading.Thread(target=spinner)
        t.start()
        started.wait()
        base = ticks[0]
        for _ in range(calls):
            verify()
        during = ticks[0] - base
        stop.set()
        t.join()
    finally:
        sys.setswitchinterval(old)
    return during


SECRET32 = "0123456789abcdef0123456789abcdef"


def test_gil_is_released_while_verifying() -> None:
    verifier = jwt_audit.Verifier(keys=[{"secret": SECRET32}], algorithms=["HS256"], max_token_bytes=1 << 20)
    token = "a" * 1_000_000 + ".b.c"  # ~1 ms of Rust-only work (hashing) per call
    assert ticks_of_another_thread(lambda: verifier.verify(token), 50) > 0
    assert verifier.stats()["by_kind"] == {"malformed": 50}


def test_gil_is_released_for_asymmetric_keys_and_writing_sinks(tmp_path: Path) -> None:
    pem = (REPO / "tests" / "vectors" / "keys" / "rsa-1.pub.pem").read_text()
    rsa = jwt_audit.Verifier(keys=[{"pem": pem}], algorithms=["RS256"])
    # Short calls: the other thread needs many GIL releases to catch one while it is free.
    assert ticks_of_another_thread(lambda: rsa.verify("a.b.c"), 5000) > 0
    to_file = jwt_audit.Verifier(
        keys=[{"secret": SECRET32}], algorithms=["HS256"], sink={"file": str(tmp_path / "audit.jsonl")}
    )
    token = hs256(claims(), secret=SECRET32)
    assert ticks_of_another_thread(lambda: to_file.verify(token), 5000) > 0


def test_short_hmac_verifications_keep_the_gil(records: Records) -> None:
    """A few-microsecond HMAC verification keeps the GIL (releasing it would cost more than the
    verification, and the caller would wait for it to come back); a Python sink still runs."""
    verifier = jwt_audit.Verifier(keys=[{"secret": SECRET32}], algorithms=["HS256"], sink=records)
    token = hs256(claims(), secret=SECRET32)
    assert ticks_of_another_thread(lambda: verifier.verify(token), 200) == 0
    assert verifier.stats()["accepted"] == 200 and len(records.records) == 200


def test_sinks_raising_under_contention_are_all_counted(make_verifier: Callable[..., jwt_audit.Verifier]) -> None:
    def flaky(record: Dict[str, Any]) -> None:
        if record["request"]["path"] == "/odd":
            raise ValueError("rejecting odd paths")

    verifier = make_verifier(sink=flaky)
    token = hs256(claims())

    def work(i: int) -> bool:
        return verifier.verify(token, {"path": "/odd" if i % 2 else "/even"}).ok

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(2000)))
    assert all(results)
    stats = verifier.stats()
    assert stats["accepted"] == 2000 and stats["sink_errors"] == 1000
