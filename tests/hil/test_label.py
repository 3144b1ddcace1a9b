"""The printable HIL label: written by its command, read back as the HIL tests expect."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
from hil_camera import REPO
from hil_label import SSCC, sheet

from edge.barcodes import DEFAULT_PASSES, decode
from shekara.codes import read_body


def test_the_printed_label_command_writes_a_sheet_that_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "hil-label.png"
    done = subprocess.run([sys.executable, "-m", "tests.hil.label", str(out)], cwd=REPO,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "print at 100 %" in done.stdout
    image = cv2.imread(str(out))
    assert image.shape[:2] == sheet().image.shape, "the same sheet the virtual camera films"
    bodies = [read_body(r) for r in decode(image, DEFAULT_PASSES)]
    assert {b["text"]: b["symbology"] for b in bodies} == sheet().expected
    assert [b["gs1"]["sscc"] for b in bodies if b.get("gs1")] == [SSCC]
    assert not any(b["invalid_check_digit"] for b in bodies)
