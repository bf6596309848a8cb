"""`mypy --strict` over the package and an example app; the stubs catch misuse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir=/dev/null", *args],
        capture_output=True,
        text=True,
        cwd=HERE,
    )


def test_example_app_and_package_pass_mypy_strict() -> None:
    for target in ("typing/example_app.py", str(HERE.parent / "python" / "jwt_audit")):
        out = mypy(target)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "Success" in out.stdout


def test_stubs_reject_misuse() -> None:
    source = (HERE / "typing" / "wrong_usage.py").read_text().splitlines()
    expected = {i + 1 for i, line in enumerate(source) if line.endswith("# error")}
    out = mypy("typing/wrong_usage.py")
    assert out.returncode == 1
    flagged = {int(line.split(":")[1]) for line in out.stdout.splitlines() if ": error:" in line}
    assert flagged == expected, out.stdout
