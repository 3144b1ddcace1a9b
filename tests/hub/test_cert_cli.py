"""``shekara-hub cert``: verify offline (exit 0 with the checks, 1 with the reason),
the hub's verifier keys, a new key file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cert_helpers import Pair, pair

from hub.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def issued(tmp_path: Path) -> tuple[Pair, Path]:
    p = pair(tmp_path)
    p.issue(5)
    path = tmp_path / "cert.json"
    path.write_text(p.bundle(2).to_json(indent=2))
    return p, path


def _args(p: Pair, path: Path) -> list[str]:
    return ["cert", "verify", str(path), "--log-key", p.log.verifier_key,
            "--witness-key", p.witness.verifier_key]  # fmt: skip


def test_a_good_bundle_verifies_and_says_what_was_checked(
    issued: tuple[Pair, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    p, path = issued
    assert main(_args(p, path)) == 0
    out = capsys.readouterr().out
    assert out.count("ok  ") == 4
    assert "VERIFIED certificate TEMIRBABA-2026-00000002: entry 2 of shekara.temirbaba/log" in out


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (lambda v: v["body"]["vehicle"].update(tractor="999ZZZ02"), "body_hash_mismatch"),
        (lambda v: v.update(tlog_proof=v["tlog_proof"].replace("index 2", "index 3")),
         "inclusion_proof_mismatch"),
        (lambda v: v.update(tlog_proof=v["tlog_proof"].replace("\n5\n", "\n6\n")),
         "bad_log_signature"),
        (lambda v: v.update(tlog_proof="\n".join(v["tlog_proof"].split("\n")[:-2]) + "\n"),
         "missing_trusted_signature"),
    ],
)  # fmt: skip
def test_a_forged_bundle_fails_with_the_precise_reason(  # type: ignore[no-untyped-def]
    issued: tuple[Pair, Path], capsys: pytest.CaptureFixture[str], forge, reason: str
) -> None:
    p, path = issued
    value = json.loads(path.read_text())
    forge(value)
    path.write_text(json.dumps(value))
    assert main(_args(p, path)) == 1
    assert capsys.readouterr().err.startswith(f"NOT VERIFIED ({reason}): ")


def test_keys_come_from_files_or_strings_and_must_be_the_right_kind(
    issued: tuple[Pair, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p, path = issued
    key_file = tmp_path / "log.vkey"
    key_file.write_text(p.log.verifier_key + "\n")
    # From a file, and with no witness asked for: three checks, no cosignature among them.
    assert main(["cert", "verify", str(path), "--log-key", str(key_file)]) == 0
    out = capsys.readouterr().out
    assert out.count("ok  ") == 3 and "cosigned" not in out
    swapped = ["cert", "verify", str(path), "--log-key", p.witness.verifier_key]
    assert main(swapped) == 1
    assert "--log-key takes an Ed25519" in capsys.readouterr().err
    assert main(["cert", "verify", str(tmp_path / "absent.json"), "--log-key",
                 p.log.verifier_key]) == 1  # fmt: skip
    assert "cannot read" in capsys.readouterr().err
    assert main(["cert", "verify", str(path), "--log-key", "nonsense"]) == 1
    assert "not a verifier key" in capsys.readouterr().err


def test_verify_runs_as_a_command_without_the_hub(issued: tuple[Pair, Path]) -> None:
    p, path = issued
    done = subprocess.run(
        [sys.executable, "-m", "hub", *_args(p, path)], capture_output=True, text=True,
        cwd=REPO, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "VERIFIED" in done.stdout


def test_keys_prints_both_verifier_keys_and_keygen_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "hub.toml"
    config.write_text(f'db_path = "{tmp_path / "hub.db"}"\ncheckpoint = "garabogaz"\n')
    assert main(["cert", "keys", "--config", str(config)]) == 0
    log_line, witness_line = capsys.readouterr().out.splitlines()
    assert log_line.startswith("log      shekara.garabogaz/log+")
    assert witness_line.startswith("witness  shekara.garabogaz/log/witness+")
    assert main(["cert", "keys", "--config", str(config)]) == 0  # the same keys again
    assert capsys.readouterr().out.splitlines() == [log_line, witness_line]
    assert main(["cert", "keygen", str(tmp_path / "new.key")]) == 0
    assert (tmp_path / "new.key").stat().st_mode & 0o777 == 0o600
    assert main(["cert", "keygen", str(tmp_path / "new.key")]) == 1
