"""The helpers of ``make bench-hardware`` measure what they claim (no timing asserted)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

from edge.barcodes import DEFAULT_PASSES, FAST_PASSES, decode
from edge.synth import clutter

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_one_zxing_call_gives_both_columns_as_two_full_decodes_would() -> None:
    bench = load("bench_modules")
    rng = np.random.default_rng(3)
    seen = set()
    for _ in range(6):
        label = bench.SYMBOLS["EAN-13"](rng)
        frame = bench.lane_frame(rng, label, 1.75)  # where the rescue adds reads
        both = bench.read_both(frame, label.text)
        full = (
            bench.found(decode(frame, DEFAULT_PASSES), label.text),
            bench.found(decode(frame, FAST_PASSES), label.text),
        )
        assert both == full
        seen.add(both)
    assert (True, False) in seen  # the rescue branch was exercised
    assert bench.read_both(clutter(rng, bench.FRAME), "x") == (False, False)


def test_outbox_bytes_cover_every_envelope_and_batches_write_less(tmp_path: Path) -> None:
    bench = load("bench_outbox_io")
    body = bench.barcode_body()
    (tmp_path / "one").mkdir()
    (tmp_path / "ten").mkdir()
    one, size = bench.outbox_run(tmp_path / "one", body, 40, 1)
    ten, _ = bench.outbox_run(tmp_path / "ten", body, 40, 10)
    plain = bench.plain_sqlite_run(tmp_path, b"e" * size, 40, 1)
    assert size > 500  # a signed barcode.read envelope
    assert one.wchar >= size and ten.wchar >= size and plain.wchar >= size
    assert ten.wchar < one.wchar  # one fsynced commit pair per 10 events, not per event
    assert one.syscw > 0
