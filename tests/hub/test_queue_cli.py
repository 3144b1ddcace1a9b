"""shekara-hub queue verify / export and user add, on a real database file."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from queue_helpers import START, Clock, book, make_service

from hub.auth import check_password
from hub.cli import main
from hub.store import Store
from hub.store.queue_sql import QueueStore


@pytest.fixture
def db(tmp_path: Path) -> Path:
    clock = Clock(START)
    store, service = make_service(tmp_path / "hub.db", clock)
    slot = START + timedelta(hours=2)
    for n in range(3):
        book(service, f"10{n}ABC02", slot)
        service.on_passage(f"e{n}", "wait-out", [f"10{n}ABC02"], "KZ", START)
    service.call_next("kz-tm", "entry-1", "officer")
    store.close()
    return tmp_path / "hub.db"


def test_verify_a_database(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["queue", "verify", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"OK {db}: 8 entries intact, 1 calls in the published order")


def test_export_then_verify_the_file_and_catch_one_changed_byte(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "journal.jsonl"
    assert main(["queue", "export", "--db", str(db), "--out", str(out)]) == 0
    assert main(["queue", "verify", "--file", str(out)]) == 0
    text = out.read_text()
    at = text.index('"slot": "2026') + len('"slot": "2026')  # a digit inside an entry
    out.write_text(text[:at] + ("1" if text[at] != "1" else "2") + text[at + 1 :])
    capsys.readouterr()
    assert main(["queue", "verify", "--file", str(out)]) == 1
    assert "FAILED" in capsys.readouterr().err


def test_verify_a_missing_database_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["queue", "verify", "--db", str(tmp_path / "none.db")]) == 1
    assert (
        capsys.readouterr().err.strip() == f"shekara-hub: error: no database at {tmp_path}/none.db"
    )


def test_user_add_stores_an_argon2id_hash(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    assert main(["user", "add", "aidana", "--role", "operator", "--password-stdin",
                 "--db", str(db)]) == 0  # fmt: skip
    with Store(db) as store:
        user = QueueStore(store).user("aidana")
    assert user is not None
    stored, role = user[0], user[1]
    assert role == "operator" and stored.startswith("$argon2id$") and "a long" not in stored
    assert check_password("a long password", stored)


def test_a_short_password_is_refused(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "add", "x", "--password-stdin", "--db", str(db)]) == 1
