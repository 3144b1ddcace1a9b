"""Log lines: text as before, or one JSON object per line that never fails to format;
both CLIs write them with ``--log-format json`` (real subprocesses)."""

from __future__ import annotations

import io
import json
import logging
import math
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from mqtt_helpers import wait_until

from shekara.keys import write_keypair
from shekara.localbroker import LocalBroker, free_port
from shekara.logs import JsonFormatter, setup_logging

REPO = Path(__file__).resolve().parents[2]


def _record(msg: str = "hello %s", args: Any = ("world",), **extra: Any) -> logging.LogRecord:
    record = logging.getLogger("shekara.test").makeRecord(
        "shekara.test", logging.WARNING, __file__, 1, msg, args, None, extra=extra or None
    )
    return record


def _line(record: logging.LogRecord) -> dict[str, Any]:
    text = JsonFormatter().format(record)
    assert "\n" not in text  # one record, one line
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def test_a_json_line_has_time_level_logger_message_and_the_extras() -> None:
    before = datetime.now(UTC)
    line = _line(_record(device_id="cam1", reason="bad_signature", seq=7))
    assert line["msg"] == "hello world"
    assert (line["level"], line["logger"]) == ("WARNING", "shekara.test")
    assert (line["device_id"], line["reason"], line["seq"]) == ("cam1", "bad_signature", 7)
    assert line["ts"].endswith("Z") and len(line["ts"]) == len("2026-01-01T00:00:00.000Z")
    stamp = datetime.fromisoformat(line["ts"])
    assert stamp.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC)
    assert "args" not in line and "lineno" not in line  # LogRecord internals stay out


def test_values_json_cannot_hold_are_written_as_their_repr() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)

    class Opaque:
        def __repr__(self) -> str:
            return "<opaque>"

    class Hostile:
        def __repr__(self) -> str:
            raise RuntimeError("no repr for you")

    line = _line(
        _record(
            obj=Opaque(), raw=b"\xff\x00", tags={"a"}, keys={(1, 2): "x"}, nan=math.nan,
            cycle=cycle, hostile=Hostile(), fine={"k": [1, 2.5, None]},
        )
    )  # fmt: skip
    assert line["obj"] == "<opaque>"
    assert line["raw"] == repr(b"\xff\x00")
    assert line["tags"] == "{'a'}"
    assert line["keys"] == "{(1, 2): 'x'}"
    assert line["nan"] == "nan"
    assert line["cycle"] == "[[...]]"
    assert line["hostile"] == "<unrepresentable Hostile>"
    assert line["fine"] == {"k": [1, 2.5, None]}  # the others are kept as they are
    assert line["msg"] == "hello world"


def test_a_message_whose_arguments_do_not_fit_still_formats() -> None:
    line = _line(_record("seq %d of %s", ("not a number",)))
    assert "seq %d of %s" in line["msg"] and "not a number" in line["msg"]


def test_an_extra_named_like_a_core_field_does_not_replace_it() -> None:
    line = _line(_record(ts="forged", level="forged", logger="forged"))
    assert line["ts"] != "forged" and line["level"] == "WARNING"
    assert line["logger"] == "shekara.test"
    assert (line["extra_ts"], line["extra_level"], line["extra_logger"]) == ("forged",) * 3


def test_an_exception_and_a_stack_travel_in_the_line() -> None:
    log = logging.getLogger("shekara.test.exc")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log.addHandler(handler)
    try:
        try:
            {}["missing"]
        except KeyError:
            log.exception("lookup failed", extra={"device_id": "cam1"})
        log.warning("where am I", stack_info=True)
    finally:
        log.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["msg"] == "lookup failed" and first["level"] == "ERROR"
    assert "Traceback" in first["exc"] and "KeyError: 'missing'" in first["exc"]
    assert first["device_id"] == "cam1"
    assert "test_an_exception_and_a_stack_travel_in_the_line" in second["stack"]


def _ours(root: logging.Logger) -> list[logging.Handler]:
    return [h for h in root.handlers if getattr(h, "_shekara_handler", False)]


@pytest.fixture
def root() -> Iterator[logging.Logger]:
    """The root logger; setup_logging's handlers removed and the level restored after."""
    logger = logging.getLogger()
    level = logger.level
    yield logger
    for handler in _ours(logger):
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(level)


def test_setup_logging_installs_one_handler_and_replaces_it_when_called_again(
    root: logging.Logger,
) -> None:
    text, js = io.StringIO(), io.StringIO()
    setup_logging("DEBUG", "text", stream=text)
    logging.getLogger("shekara.a").debug("as %s", "text", extra={"device_id": "cam1"})
    setup_logging("INFO", "json", stream=js)
    logging.getLogger("shekara.a").debug("below the level")
    logging.getLogger("shekara.a").info("as %s", "json")
    assert len(_ours(root)) == 1 and root.level == logging.INFO
    assert text.getvalue().rstrip().endswith("DEBUG shekara.a: as text")  # the old format
    assert [json.loads(line)["msg"] for line in js.getvalue().splitlines()] == ["as json"]


def test_setup_logging_leaves_a_root_someone_else_configured_alone(root: logging.Logger) -> None:
    theirs = logging.StreamHandler(io.StringIO())
    root.addHandler(theirs)
    try:
        root.setLevel(logging.WARNING)
        assert setup_logging("DEBUG", "json") is None  # as logging.basicConfig would
        assert theirs in root.handlers and not _ours(root) and root.level == logging.WARNING
    finally:
        root.removeHandler(theirs)
    with pytest.raises(ValueError, match="unknown log format 'xml'"):
        setup_logging("INFO", "xml")  # type: ignore[arg-type]


def _json_lines(text: str) -> list[dict[str, Any]]:
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "nothing was logged"
    return [json.loads(line) for line in lines]  # every line is one JSON object


def test_the_edge_agent_logs_json_lines(tmp_path: Path, broker: LocalBroker) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "0.png"), np.zeros((48, 64, 3), np.uint8))
    write_keypair(tmp_path / "d.key")
    config = tmp_path / "device.toml"
    config.write_text(
        'device_id = "cam1"\ncheckpoint = "cp1"\nlane = "lane1"\nrole = "barcode_station"\n'
        f'key_file = "d.key"\n[mqtt]\nport = {broker.port}\n'
        '[camera]\nsource = "frames"\n[outbox]\npath = "outbox.db"\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "edge.cli", "run", "--config", str(config), "--until-drained",
         "--log-format", "json"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = _json_lines(done.stderr)
    messages = [line["msg"] for line in lines]
    assert any(m.startswith("agent cam1 starting") for m in messages)
    assert "agent cam1 stopped" in messages
    assert {line["logger"] for line in lines} >= {"edge.agent", "edge.publisher"}


def test_the_hub_logs_json_lines_uvicorn_included(tmp_path: Path, broker: LocalBroker) -> None:
    port = free_port()
    config = tmp_path / "hub.toml"
    config.write_text(
        f'db_path = "{tmp_path / "hub.db"}"\nmqtt_host = "{broker.host}"\n'
        f"mqtt_port = {broker.port}\nhttp_port = {port}\n"
    )
    log = tmp_path / "hub.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hub", "serve", "--config", str(config), "--log-format",
             "json"],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_until(lambda: "MQTT connected" in log.read_text(), timeout=30, what="hub up")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    lines = _json_lines(log.read_text())
    messages = [line["msg"] for line in lines]
    assert any(m.startswith(f"hub listening on http://127.0.0.1:{port}") for m in messages)
    assert "hub stopped" in messages
    assert any(line["logger"].startswith("uvicorn") for line in lines)
