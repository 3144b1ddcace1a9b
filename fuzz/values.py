"""Values the harnesses put into otherwise valid messages: fuzzed JSON, or plain text."""

from __future__ import annotations

import json
from typing import Any

import atheris


def json_or_text(fdp: atheris.FuzzedDataProvider, max_chars: int) -> Any:
    """Fuzzed text, parsed as JSON when it is JSON (and the data says so), else as it is."""
    text = fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, max_chars))
    if fdp.ConsumeBool():
        return text
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text
