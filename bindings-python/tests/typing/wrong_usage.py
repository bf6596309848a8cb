"""Misuses mypy --strict must report (one per line marked `# error`): proves the stubs are used."""

from __future__ import annotations

from jwt_audit import Verifier

verifier = Verifier(keys=[{"secret": "0123456789abcdef0123456789abcdef"}], algorithms=["HS256"])
verifier.verify(42)  # error
verifier.verify("t", {"route": "/x"})  # error
verifier.verify("t", scopes="x", roles=1)  # error
Verifier(keys=[], algorithms=["HS256"], leeway_seconds="30")  # error
Verifier(keys=[], algorithms=["HS256"], leeway=30)  # error
Verifier(algorithms=["HS256"])  # error
kind: int = verifier.verify("t").kind  # error
verifier.verify("t").record["no_such_field"]  # error
