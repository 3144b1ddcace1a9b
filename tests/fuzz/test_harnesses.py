"""The atheris harnesses in fuzz/ start, fuzz a few hundred inputs and find nothing.

A smoke test: ``make fuzz`` is where they search for long; this keeps them runnable
as the code they call changes.  Skipped where atheris has no wheel (a Raspberry Pi).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris")

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"
HARNESSES = sorted(FUZZ.glob("fuzz_*.py"))


def test_every_target_has_a_harness() -> None:
    assert [h.stem for h in HARNESSES] == [
        "fuzz_codes", "fuzz_envelope", "fuzz_notification", "fuzz_plates",
    ]  # fmt: skip


@pytest.mark.parametrize("harness", HARNESSES, ids=lambda p: p.stem)
def test_harness_runs_clean(harness: Path, tmp_path: Path) -> None:
    # A crashing input would be written to the artifact prefix, not into the checkout.
    done = subprocess.run(
        [sys.executable, str(harness), "-runs=300", f"-artifact_prefix={tmp_path}/"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Done 300 runs" in done.stderr
