"""shekara-edge: help everywhere, keygen, config check, clear errors without tracebacks."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from edge.cli import build_parser, main

REPO = Path(__file__).resolve().parents[2]
SUBCOMMANDS = [["run"], ["keygen"], ["scan"], ["config"], ["config", "check"]]


@pytest.mark.parametrize("words", [[], *SUBCOMMANDS], ids=lambda w: " ".join(w) or "top")
def test_every_subcommand_has_help(words: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*words, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: shekara-edge")
    assert len(out.splitlines()) > 3


def test_parser_knows_exactly_the_documented_commands() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == {"run", "keygen", "enrol", "rotate-key", "scan", "config"}


def test_keygen_writes_0600_key_and_refuses_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "device.key"
    assert main(["keygen", "--out", str(key)]) == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "key id:" in capsys.readouterr().out
    assert main(["keygen", "--out", str(key)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err


def test_config_check_reports_ok_and_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = REPO / "firmware_configs" / "temirbaba-entry-1.toml"
    assert main(["config", "check", str(good)]) == 0
    assert "ok (tmb-entry-1 at temirbaba/entry-1" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text().replace("[camera]", "[camera]\nfsp = 3"))
    assert main(["config", "check", str(bad)]) == 2
    assert "camera.fsp: unknown key" in capsys.readouterr().err


def test_console_script_runs_without_traceback(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("shekara-edge")
    result = subprocess.run(
        [str(exe), "run", "--config", str(tmp_path / "absent.toml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "cannot read" in result.stderr
    assert "Traceback" not in result.stderr


def test_rotate_key_leaves_the_next_key_for_the_agent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "device.toml"
    config.write_text(
        'device_id = "d1"\ncheckpoint = "cp"\nlane = "l1"\nrole = "entry_lane"\n'
        'key_file = "device.key"\n[camera]\nsource = "0"\n[outbox]\npath = "o.db"\n'
    )
    assert main(["rotate-key", "--config", str(config)]) == 0
    assert (tmp_path / "device.key.next").stat().st_mode & 0o077 == 0
    assert "next heartbeat (within 60 s)" in capsys.readouterr().out
    assert main(["rotate-key", "--config", str(config)]) == 2  # one waits already
