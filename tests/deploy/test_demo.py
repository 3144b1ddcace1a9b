"""`make demo` as a user runs it: prints where to look and a growing count of verified events,
and its scripted truck gets a certificate that Garabogaz cosigned and verifies."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def test_demo_shows_urls_events_and_a_witnessed_certificate_then_stops(tmp_path: Path) -> None:
    demo = [sys.executable, str(REPO / "deploy" / "demo.py"), "--root", str(tmp_path)]
    # The duration is only a ceiling: the demo stops once the certificate is verified.
    result = subprocess.run(
        [*demo, "--until-certified", "--duration", "200"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert re.search(r"hub\s+http://127\.0\.0\.1:\d+", out)
    assert "/docs" in out and "/api/events" in out
    assert re.search(r"dashboard\s+http://127\.0\.0\.1:\d+/dashboard", out)
    assert re.search(r"Garabogaz hub\s+http://127\.0\.0\.1:\d+", out)
    assert re.search(r"verify: http://127\.0\.0\.1:\d+/verify", out)
    counts = [int(n) for n in re.findall(r"verified events stored:\s+(\d+)", out)]
    assert counts and counts[-1] > 0, out
    assert counts == sorted(counts), "the count only grows"
    assert re.findall(r"dead letters: (\d+)", out)[-1] == "0"
    assert "scripted truck stopped" not in out, out
    cert = re.search(r"certificate (TEMIRBABA-2026-[0-9A-Z]{8}) issued on release at entry-2", out)
    assert cert, out
    assert re.search(rf"print\s+http://127\.0\.0\.1:\d+/officer/certificates/{cert[1]}", out)
    assert re.search(r"cosigned by shekara\.garabogaz/log/witness [\d.]+ s after release; "
                     r"Garabogaz verifies it: verified$", out, re.M)  # fmt: skip
    assert out.rstrip().endswith("stopped.")
    assert "Traceback" not in result.stderr


def test_bootstrap_is_idempotent() -> None:
    # The venv is current (the suite runs in it), so a second bootstrap installs nothing.
    result = subprocess.run(
        ["bash", str(REPO / "deploy" / "bootstrap.sh"), "dev"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert "installing" not in result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv to drop root")
def test_bootstrap_without_root_says_what_to_run(tmp_path: Path) -> None:
    # As an ordinary user (nobody) with a package missing, bootstrap must stop and print
    # the one apt-get line to run, not fail somewhere inside apt.
    env = {
        "PATH": "/usr/bin:/bin",
        "SHEKARA_APT_PACKAGES": "shekara-no-such-package",
        "HOME": str(tmp_path),
    }
    result = subprocess.run(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "bash",
            str(REPO / "deploy" / "bootstrap.sh"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 1
    assert "missing system packages: shekara-no-such-package" in result.stderr
    assert "sudo apt-get install -y shekara-no-such-package" in result.stderr
