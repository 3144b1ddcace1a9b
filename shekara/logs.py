"""Logging of both processes: the familiar text lines, or one JSON object per line.

``text`` is ``<time> <LEVEL> <logger>: <message>``, for a person at a terminal.
``json`` is for journald and log shippers: ``ts`` (RFC 3339 UTC, milliseconds),
``level``, ``logger``, ``msg``, then every field the call passed in ``extra=``
(``device_id``, ``reason``...), then ``exc`` with the traceback when there is one.  A
record never fails to format: a value JSON cannot hold is written as its ``repr``.

:func:`setup_logging` behaves like :func:`logging.basicConfig` towards handlers it did
not install: when something else already configured the root logger (a test runner,
an embedding program), it leaves it alone.  Calling it again replaces its own handler.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO, get_args

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[str, ...] = get_args(LogFormat)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Attributes every LogRecord has; whatever else a record carries came from ``extra=``.
_RECORD = logging.LogRecord("", 0, "", 0, "", None, None)
_STANDARD = frozenset([*vars(_RECORD), "message", "asctime", "taskName"])
_CORE = ("ts", "level", "logger", "msg")
_MARK = "_shekara_handler"  # set on the handler setup_logging installs


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line (never raises)."""
        out: dict[str, Any] = {
            "ts": _rfc3339(record.created),
            "level": record.levelname,
            "logger": record.name,
            "msg": _message(record),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                # An extra named like a core field must not overwrite it.
                out[f"extra_{key}" if key in _CORE else key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        try:
            return _dumps(out)
        except (TypeError, ValueError, RecursionError):
            # Non-string keys, a cycle, NaN: such a value goes in as its repr.
            return _dumps({key: _safe(value) for key, value in out.items()})


def formatter(fmt: LogFormat) -> logging.Formatter:
    """The formatter of ``fmt``."""
    if fmt == "json":
        return JsonFormatter()
    if fmt == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"unknown log format {fmt!r} (known: {', '.join(LOG_FORMATS)})")


def setup_logging(
    level: int | str = logging.INFO, fmt: LogFormat = "text", stream: TextIO | None = None
) -> logging.Handler | None:
    """Log records at ``level`` and above to ``stream`` (stderr) in ``fmt``.

    Returns the handler installed, or None when the root logger already has handlers
    installed by someone else and ``stream`` was not given (then nothing changes).
    """
    chosen = formatter(fmt)  # an unknown format fails before anything changes
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    if stream is None and root.handlers:
        return None
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    setattr(handler, _MARK, True)
    handler.setFormatter(chosen)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    return handler


def _rfc3339(created: float) -> str:
    moment = datetime.fromtimestamp(created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a call whose arguments do not fit its format string
        return f"{record.msg!r} % {record.args!r}"


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, default=_fallback)


def _safe(value: object) -> object:
    try:
        _dumps(value)
    except (TypeError, ValueError, RecursionError):
        return _fallback(value)
    return value


def _fallback(value: object) -> str:
    try:
        return repr(value)
    except Exception:
        return f"<unrepresentable {type(value).__name__}>"
