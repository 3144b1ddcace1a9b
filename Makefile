# The two commands that matter: `make demo` and `make test`.  Both install what is
# missing first (deploy/bootstrap.sh is idempotent).
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
FUZZ_SECONDS ?= 60
# libFuzzer writes a crashing input to the artifact prefix; build/ is ignored by git.
FUZZ_ARGS ?= -artifact_prefix=build/fuzz/ -print_final_stats=1

.PHONY: help bootstrap demo test lint format fuzz bench-ingest bench-barcodes bench-plates bench-detectors bench-queue bench-matching bench-log bench-ops bench-hardware train-models schema docs install-trial install-trial-arm64 clean

help:
	@echo "make demo            broker + hub + two simulated Temirbaba lanes"
	@echo "make test            the whole test suite"
	@echo "make lint            ruff + mypy"
	@echo "make fuzz            atheris on the parsers, FUZZ_SECONDS (60) each; x86-64 only"
	@echo "make bench-ingest    events/s and latency edge -> Mosquitto -> hub, with ceilings"
	@echo "make bench-barcodes  decode rate per format on the shared samples"
	@echo "make bench-plates    plate accuracy (real and generated), speed, memory"
	@echo "make bench-detectors plate detectors compared: plates found, ms per frame"
	@echo "make bench-queue     100 clients booking and polling, 100,000 bookings stored"
	@echo "make bench-matching  lane event to the officer's screen, 100,000 notifications"
	@echo "make bench-log       certificate log: appends/s, proofs at 1,000,000 entries"
	@echo "make bench-ops       dashboard, alert rules, db backup/check; BENCH_ARGS=--quick"
	@echo "make bench-hardware  lane sizing: barcode module px, empty-frame ms, outbox bytes/event"
	@echo "make train-models    train the own plate detector and Iranian plate reader"
	@echo "make install-trial   a lane installed for real in a fresh Debian (root, network)"
	@echo "make install-trial-arm64  the same for a Pi's arm64, under qemu-user-static (slow)"
	@echo "make docs            regenerate the protocol schema and docs/firmware_configs.md"

bootstrap:
	@deploy/bootstrap.sh dev

demo: bootstrap
	$(PY) deploy/demo.py

test: bootstrap
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: bootstrap
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Coverage-guided fuzzing of the parsers (fuzz/); the hypothesis fuzz tests in make test
# cover the same contracts on every platform, this searches longer and deeper.
fuzz: bootstrap
	@mkdir -p build/fuzz
	$(PY) fuzz/fuzz_envelope.py -max_total_time=$(FUZZ_SECONDS) $(FUZZ_ARGS)
	$(PY) fuzz/fuzz_codes.py -max_total_time=$(FUZZ_SECONDS) $(FUZZ_ARGS)
	$(PY) fuzz/fuzz_plates.py -max_total_time=$(FUZZ_SECONDS) $(FUZZ_ARGS)
	$(PY) fuzz/fuzz_notification.py -max_total_time=$(FUZZ_SECONDS) $(FUZZ_ARGS)

schema: bootstrap
	$(PY) -c "import json; from shekara.wire import json_schema; print(json.dumps(json_schema(), indent=2))" > docs/protocol.schema.json

# Every generated page: the wire schema and the device config reference (from edge/config.py;
# tests/edge/test_config_doc.py fails while the committed page differs).
docs: schema
	$(PY) -m edge.cli config docs > docs/firmware_configs.md.tmp
	mv docs/firmware_configs.md.tmp docs/firmware_configs.md

# deploy/edge/install.sh on a fresh Debian bookworm made by debootstrap (deploy/README.md);
# needs root and the network, takes minutes: not part of make test.
install-trial:
	deploy/edge/trial.sh

# The same in an arm64 root (a Raspberry Pi's), under qemu user emulation on x86-64.
install-trial-arm64:
	TRIAL_ARCH=arm64 deploy/edge/trial.sh

bench-ingest: bootstrap
	$(PY) bench/bench_ingest.py

bench-plates:
	@SHEKARA_APT_PACKAGES="mosquitto libzbar0 fonts-dejavu-core python3-venv tesseract-ocr" deploy/bootstrap.sh dev
	$(PY) bench/bench_plates.py

bench-detectors: bootstrap
	$(PY) bench/bench_detectors.py

# PyTorch lives in its own venv: no lane or hub needs it, only the ONNX file it writes.
.venv-train/.installed: pyproject.toml
	@deploy/bootstrap.sh dev
	python3 -m venv .venv-train
	.venv-train/bin/pip install -q -e '.[train]'
	touch $@

train-models: .venv-train/.installed
	.venv-train/bin/python -m train.detector
	.venv-train/bin/python -m train.persian

bench-queue: bootstrap
	$(PY) bench/bench_queue.py

bench-matching: bootstrap
	$(PY) bench/bench_matching.py

bench-log: bootstrap
	$(PY) bench/bench_log.py

# The operators' dashboard and alert rules at 218,000 events, backup and check at 50,000.
bench-ops: bootstrap
	$(PY) bench/bench_ops.py $(BENCH_ARGS)

bench-barcodes: bootstrap
	$(PY) bench/bench_barcodes.py

# Figures hardware/README.md sizes cameras and storage by; BENCH_ARGS=--quick for a short run.
bench-hardware: bootstrap
	$(PY) bench/bench_modules.py $(BENCH_ARGS)
	$(PY) bench/bench_outbox_io.py $(BENCH_ARGS)

clean:
	rm -rf .demo .bench .pytest_cache .mypy_cache .ruff_cache
