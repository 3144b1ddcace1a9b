"""Importing the edge package keeps onnxruntime from writing a device id or phoning home."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_plate_reading_leaves_the_home_folder_empty(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env["HOME"] = str(tmp_path)
    code = (
        "import numpy as np\n"
        "from edge.plate_reader import PlateReader\n"
        "PlateReader(640, 4).read(np.zeros((480, 640, 3), np.uint8))\n"
        "import os; print(os.environ['ORT_DISABLE_TELEMETRY'])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
    assert list(tmp_path.rglob("*")) == []
